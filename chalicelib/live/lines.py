"""System lines: what the hub writes into a thread, as a code with parameters.

A system line is stored and sent with its `code` and `params` (strings only) and an English
`text`. Clients word the code in their own language (the widget's Swedish strings,
`frontend/src/widget/i18n.ts`) and fall back to `text` for a code they do not know. The
English wording lives here, once. Parameters never carry a phone number: a thread is read
by the customer, and a missed call linked to it may be someone else's.
"""

from __future__ import annotations

import json

from msgspec import Struct, field

# code → English wording; `{name}` etc. are the line's params.
ENGLISH: dict[str, str] = {
    "agent_joined": "{name} joined the conversation",
    "agent_took_over": "{name} took over the conversation",
    "agent_assigned": "{name} is now handling your conversation",
    "agent_left": "{name} is no longer available; you're back in the queue and the next free agent will answer",
    "conversation_closed": "{name} closed the conversation",
    "callback_requested": "Callback requested ({window}). We'll call you back.",
    "callback_calling": "{name} is calling you back now.",
    "callback_retry": "We tried to call you but couldn't get through. We'll try again in {minutes} minutes.",
    "callback_failed": "We could not reach you by phone. Reply here and we'll pick it up.",
    "callback_completed": "Callback completed.",
    "callback_cancelled": "Callback cancelled.",
    "ticket_opened": "We've opened ticket #{number} for your request; we'll follow up here.",
    "csat_rated": "{name} rated the conversation {rating}/5",
    "csat_rated_comment": "{name} rated the conversation {rating}/5: “{comment}”",
}
CODES: tuple[str, ...] = tuple(ENGLISH)

WINDOW_WORDS = {"asap": "as soon as possible", "morning": "morning", "afternoon": "afternoon", "evening": "evening"}


class Line(Struct, frozen=True):
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return ENGLISH[self.code].format(**self.params)

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, ensure_ascii=False, sort_keys=True)


def line(code: str, **params: object) -> Line:
    if code not in ENGLISH:
        raise ValueError(f"unknown system line {code!r}")
    return Line(code, {k: str(v) for k, v in params.items()})


def params_of(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    value = json.loads(raw)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
