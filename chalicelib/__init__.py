"""Domain logic of the Flow Conversation Live Hub (everything `app.py` wires up)."""
