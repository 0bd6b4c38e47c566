"""Mentions: a colleague's `@Name` in an internal note reaches the named agent as a `mention`
event on every dashboard they have open — also when they do not follow that conversation.

Names are matched against the tenant's agents (their presence items, AP-P2: every agent who
ever signed in), case-insensitively; the longest name after an `@` wins, so `@Demo Agent 2` is
Demo Agent 2, not Demo Agent; an `@` inside a word (an e-mail address) is no mention. The
author is never notified of their own note. Hand-written: it is a dozen lines, and no library
parses mentions against a list of display names.
"""

from __future__ import annotations

import re

from chalicelib.contract.common import Ref
from chalicelib.contract.events import MentionEvent
from chalicelib.live.events import NoteAdded
from chalicelib.live.port import LivePort
from chalicelib.platform.clock import iso
from chalicelib.store.ports import HubStore

_WORD = re.compile(r"[\w]", re.UNICODE)


def _word(ch: str) -> bool:
    return bool(ch) and bool(_WORD.match(ch))


def mentioned(text: str, agents: dict[str, str]) -> set[str]:
    """The ids of the agents (id → display name) that `text` mentions as `@Name`."""
    by_name: dict[str, set[str]] = {}
    for agent_id, name in agents.items():
        key = name.strip().casefold()
        if key:
            by_name.setdefault(key, set()).add(agent_id)
    names = sorted(by_name, key=len, reverse=True)
    lower = text.casefold()
    found: set[str] = set()
    at = lower.find("@")
    while at >= 0:
        before = lower[at - 1] if at > 0 else ""
        if not (_word(before) or before == "."):
            rest = lower[at + 1 :]
            hit = next((n for n in names if rest.startswith(n) and not _word(rest[len(n) : len(n) + 1])), None)
            if hit is not None:
                found |= by_name[hit]
        at = lower.find("@", at + 1)
    return found


class Mentions:
    def __init__(self, store: HubStore, live: LivePort) -> None:
        self.store = store
        self.live = live

    def note_added(self, event: NoteAdded) -> None:
        """Listener: tells each mentioned agent (not the author) on all their connections."""
        if "@" not in event.text:
            return
        agents = {str(p.agent_id): str(p.name) for p in self.store.tenant_presence(event.tenant)}
        targets = mentioned(event.text, agents) - {event.author_id}
        if not targets:
            return
        self.live.push_to_agents(
            event.tenant,
            MentionEvent(
                event.conversation_id,
                event.seq,
                Ref(event.author_id, event.author_name),
                event.text,
                iso(event.created_at),
            ),
            only_users=targets,
        )
