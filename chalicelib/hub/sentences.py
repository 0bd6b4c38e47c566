"""The wording of the next move and the launch blockers: one plain sentence per rule, with the
numbers a team lead acts on. Durations are read in whole units, rounded down."""

from __future__ import annotations

import math

from chalicelib.hub.pressure import Pressure


def human_duration(seconds: float) -> str:
    """Whole units, rounded down: "less than a second", "45 seconds", "7 minutes", "2 hours", "3 days"."""
    if math.isnan(seconds) or seconds < 1:
        return "less than a second"
    if math.isinf(seconds):
        return "an unknown time"
    s = int(seconds)
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if s >= size:
            return count(s // size, unit)
    return count(s, "second")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 callback", "2 callbacks"; `plural` for irregular nouns ("delivery", "deliveries")."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def is_are(n: int) -> str:
    return "is" if n == 1 else "are"


def join_words(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def known_age(seconds: float | None) -> float | None:
    """An age worth printing: None for unknown, negative or non-finite ones."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def wait_key(seconds: float | None) -> float:
    """An age to compare in a tie: unknown, negative or non-finite ages count as 0 seconds."""
    age = known_age(seconds)
    return 0.0 if age is None else age


def _oldest_clause(n: int, age: float | None, single: str, many: str) -> str:
    """ "; it is 7 minutes past due" / "; the oldest is 7 minutes past due", or "" when unknown."""
    known = known_age(age)
    if known is None:
        return ""
    return "; " + (single if n == 1 else many).format(human_duration(known))


# ------------------------------------------------------------------ sentences (shared with launch)
def no_agent_sentence(p: Pressure) -> str:
    waiting: list[str] = []
    if p.unanswered_chats > 0:
        waiting.append(
            f"{count(p.unanswered_chats, 'chat')} {'waits' if p.unanswered_chats == 1 else 'wait'} unanswered"
        )
    if p.callback_overdue > 0:
        waiting.append(f"{count(p.callback_overdue, 'callback')} {is_are(p.callback_overdue)} overdue")
    if p.callback_queued > 0:
        waiting.append(f"{count(p.callback_queued, 'callback')} {is_are(p.callback_queued)} queued")
    if not waiting:
        return "No agent is available, so new chats can only be offered a callback."
    return f"No agent is available while {join_words(waiting)}."


def failing_deliveries_sentence(p: Pressure) -> str:
    n = p.failing_deliveries
    return (
        f"{count(n, 'message delivery', 'message deliveries')} recently failed or hit a gone connection, "
        "so customers may be missing replies."
    )


def presence_drift_sentence(p: Pressure) -> str:
    """Names who dropped off (with their open chats) when the pressure says who."""
    n = p.presence_drift
    if p.lost_agents:
        if len(p.lost_agents) == 1:
            a = p.lost_agents[0]
            return (
                f"{a.name} dropped off {human_duration(a.silent_s)} ago with {count(a.open_chats, 'open chat')}; "
                "reassign their chats."
            )
        named = join_words([f"{a.name} ({count(a.open_chats, 'chat')})" for a in p.lost_agents])
        return f"{named} dropped off with open chats; reassign their chats."
    if n == 1:
        return "1 agent dropped off with open chats; reassign their chats."
    return f"{n} agents dropped off with open chats; reassign their chats."


def overdue_callbacks_sentence(p: Pressure) -> str:
    n = p.callback_overdue
    tail = _oldest_clause(n, p.oldest_overdue_callback_s, "it is {} past due", "the oldest is {} past due")
    return f"{count(n, 'callback')} {is_are(n)} overdue{tail}."


def unanswered_chats_sentence(p: Pressure) -> str:
    n = p.unanswered_chats
    tail = _oldest_clause(n, p.oldest_unanswered_chat_s, "the customer has waited {}", "the oldest has waited {}")
    return f"{count(n, 'chat')} {is_are(n)} waiting for an agent's reply{tail}."


def typing_drift_sentence(p: Pressure) -> str:
    n = p.typing_drift
    who = "a customer sees" if n == 1 else "customers see"
    return f"{count(n, 'typing indicator')} never stopped, so {who} someone typing who is gone."


def queued_callbacks_sentence(p: Pressure) -> str:
    n = p.callback_queued
    if n == 1:
        return "1 callback is queued and not overdue yet; claim it before it is due."
    return f"{n} callbacks are queued and none is overdue yet; claim the next one before it is due."


def tickets_waiting_internal_sentence(p: Pressure) -> str:
    n = p.waiting_internal
    # The oldest waiting age covers tickets waiting on customers too, hence "waiting ticket".
    oldest = "the oldest waiting ticket has waited {}"
    tail = _oldest_clause(n, p.oldest_waiting_ticket_s, oldest, oldest)
    return f"{count(n, 'ticket')} {is_are(n)} waiting on another internal team{tail}."


def ticket_pile_up_sentence(p: Pressure) -> str:
    n = p.open_tickets
    return f"{count(n, 'ticket')} {is_are(n)} open and the live lanes are quiet; work the ticket queue."


def ready_sentence(p: Pressure) -> str:
    n = max(p.agents_available, 0)
    return f"Live chat lane is ready: {count(n, 'agent')} {is_are(n)} available and no customer is waiting."
