"""The views the hub shows, one module per lane: conversations, work (callbacks, tickets,
history), hub (support command) and agent_day. WebSocket events and REST answers are built
from these."""
