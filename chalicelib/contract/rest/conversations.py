"""The answer of the tenant's conversation list (the live lane itself is the WebSocket API)."""

from __future__ import annotations

from msgspec import Struct

from chalicelib.contract.views.conversations import ConversationSnapshot


class ConversationList(Struct, forbid_unknown_fields=True):
    conversations: list[ConversationSnapshot]
