"""The wire contract: every WebSocket action and event, every REST body and view, with their JSON Schemas."""
