"""Callback recovery: customers ask to be called back, agents log missed calls, exactly one
agent works a callback at a time, and overdue ones escalate until someone claims them.

States: queued → claimed → completed | no-answer (requeued after the tenant's retry delay, or
failed after its maximum attempts) | cancelled; a released claim goes back to queued.
Every change is one transaction (the callback guarded by its version and state, the counter
deltas, a history entry), then shows live on the dashboards and in the customer's thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import Clock, iso
from chalicelib.errors import Forbidden, HubError, InvalidAction, NotFound
from chalicelib.live import LiveLane
from chalicelib.models import Callback, Tenant
from chalicelib.observability import MetricUnit, logger, metrics
from chalicelib.work_store import Conflict, WorkStore, history_entry, history_view, subject

WINDOWS = ("asap", "morning", "afternoon", "evening")
MAX_REASON = 500
# Overdue callbacks nobody claimed are announced again this often.
ALERT_EVERY_SECONDS = 60


class AlreadyTaken(HubError):
    code = "conflict"
    http_status = 409


@dataclass(frozen=True)
class Actor:
    tenant: str
    role: str  # "agent" | "customer" | "system"
    id: str
    name: str


def normalize_phone(raw: str, region: str | None) -> str:
    """E.164 via `phonenumbers`; a number without +country needs the caller's region."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidAction(f"phone: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidAction("phone: not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def view(cb: Callback, now: float) -> dict[str, Any]:
    return {
        "id": cb.callback_id,
        "status": cb.status,
        "source": cb.source,
        "phone": cb.phone,
        "customer_name": cb.customer_name,
        "conversation_id": cb.conversation_id,
        "reason": cb.reason,
        "window": cb.window,
        "priority": cb.priority,
        "overdue": bool(cb.overdue),
        "due_at": iso(float(cb.due_at)),
        "due_in_seconds": int(float(cb.due_at) - now),
        "attempts": int(cb.attempts),
        "max_attempts": int(cb.max_attempts),
        "claimed_by": {"id": cb.claimed_by, "name": cb.claimed_by_name} if cb.claimed_by else None,
        "created_at": iso(float(cb.created_at)),
        "updated_at": iso(float(cb.updated_at)),
    }


def _copy(cb: Callback) -> Callback:
    return Callback.from_raw_data(cb.serialize())


class Callbacks:
    def __init__(self, store: WorkStore, lane: LiveLane, clock: Clock, counters_changed: Callable[[str], None]) -> None:
        self.store = store
        self.lane = lane
        self.clock = clock
        self.counters_changed = counters_changed

    # ------------------------------------------------------------------ creation
    def request(
        self,
        actor: Actor,
        phone: str,
        region: str | None,
        window: str,
        reason: str | None,
        conversation_id: str | None,
        customer_name: str | None = None,
        source: str = "widget",
    ) -> Callback:
        """A customer asks to be called back (source widget) or an agent logs a missed call."""
        if window not in WINDOWS:
            raise InvalidAction(f"window: expected one of {', '.join(WINDOWS)}")
        if reason is not None and len(reason) > MAX_REASON:
            raise InvalidAction(f"reason: at most {MAX_REASON} characters")
        e164 = normalize_phone(phone, region)
        if conversation_id is not None:
            state = self.lane.store.load_conversation(actor.tenant, conversation_id, self.clock.now())
            if state is None or (actor.role == "customer" and state.meta.customer_id != actor.id):
                raise NotFound(f"no conversation {conversation_id!r} for you")
            customer_name = customer_name or str(state.meta.customer_name)
            customer_id: str | None = str(state.meta.customer_id)
        else:
            customer_id = actor.id if actor.role == "customer" else None
        tenant = self._tenant(actor.tenant)
        now = self.clock.now()
        cb = Callback(
            actor.tenant,
            "cb_" + secrets.token_urlsafe(9),
            status="queued",
            source=source,
            phone=e164,
            customer_name=(customer_name or (actor.name if actor.role == "customer" else "Caller"))[:80],
            customer_id=customer_id,
            conversation_id=conversation_id,
            reason=(reason or None),
            window=window,
            priority="normal",
            overdue=False,
            due_at=now + 60 * float(tenant.callback_sla_minutes),
            attempts=0,
            max_attempts=int(tenant.callback_max_attempts),
            retry_minutes=float(tenant.callback_retry_minutes),
            created_at=now,
            created_by=actor.id,
            updated_at=now,
            open_tenant=actor.tenant,
        )
        verb = "requested" if source == "widget" else "logged a missed call"
        self._commit(cb, None, actor, "requested" if source == "widget" else "missed_call", f"{actor.name} {verb}")
        self._thread(cb, f"Callback requested to {e164} ({window}). We'll call you back.", "requested")
        metrics.add_metric(name="CallbacksRequested", unit=MetricUnit.Count, value=1)
        return cb

    # ------------------------------------------------------------------ agent actions
    def claim(self, actor: Actor, callback_id: str) -> Callback:
        """Exactly one agent wins: the write is conditioned on the callback still being queued."""
        before = self._get(actor, callback_id)
        if before.status != "queued":
            raise AlreadyTaken(self._taken_message(before))
        cb = _copy(before)
        now = self.clock.now()
        cb.status, cb.claimed_by, cb.claimed_by_name, cb.claimed_at, cb.updated_at = (
            "claimed",
            actor.id,
            actor.name,
            now,
            now,
        )
        self._commit(
            cb,
            before,
            actor,
            "claimed",
            f"{actor.name} is calling",
            condition=Callback.status == "queued",
            lost=self._taken_message,
        )
        self._thread(cb, f"{actor.name} is calling you back now.", f"claimed-{int(cb.attempts)}")
        return cb

    def release(self, actor: Actor, callback_id: str) -> Callback:
        before = self._claimed_by(actor, callback_id)
        cb = _copy(before)
        cb.status, cb.claimed_by, cb.claimed_by_name, cb.claimed_at, cb.updated_at = (
            "queued",
            None,
            None,
            None,
            self.clock.now(),
        )
        self._commit(
            cb,
            before,
            actor,
            "released",
            f"{actor.name} put it back in the queue",
            condition=Callback.claimed_by == actor.id,
        )
        return cb

    def complete(self, actor: Actor, callback_id: str, note: str | None) -> Callback:
        before = self._claimed_by(actor, callback_id)
        cb = _copy(before)
        now = self.clock.now()
        cb.status, cb.attempts, cb.updated_at, cb.closed_at, cb.open_tenant = (
            "completed",
            int(before.attempts) + 1,
            now,
            now,
            None,
        )
        self._commit(
            cb, before, actor, "completed", note or "Reached the customer", condition=Callback.claimed_by == actor.id
        )
        self._thread(cb, "Callback completed.", "completed")
        return cb

    def no_answer(self, actor: Actor, callback_id: str, note: str | None) -> Callback:
        """Records the failed attempt; requeues after the retry delay, or fails after the last one."""
        before = self._claimed_by(actor, callback_id)
        cb = _copy(before)
        now = self.clock.now()
        cb.attempts = int(before.attempts) + 1
        cb.claimed_by, cb.claimed_by_name, cb.claimed_at, cb.updated_at = None, None, None, now
        if cb.attempts >= int(before.max_attempts):
            cb.status, cb.closed_at, cb.open_tenant = "failed", now, None
            detail = f"No answer (attempt {cb.attempts} of {int(before.max_attempts)}); closed as failed"
            line = "We could not reach you by phone. Reply here and we'll pick it up."
        else:
            cb.status, cb.overdue, cb.priority = "queued", False, "normal"
            cb.due_at = now + 60 * float(before.retry_minutes)
            detail = (
                f"No answer (attempt {cb.attempts} of {int(before.max_attempts)}); retry at {iso(float(cb.due_at))}"
            )
            retry = int(before.retry_minutes)
            line = f"We tried to call you but couldn't get through. We'll try again in {retry} minutes."
        self._commit(
            cb,
            before,
            actor,
            "no_answer",
            (note + " — " if note else "") + detail,
            condition=Callback.claimed_by == actor.id,
        )
        self._thread(cb, line, f"no-answer-{cb.attempts}")
        return cb

    def cancel(self, actor: Actor, callback_id: str, reason: str | None) -> Callback:
        before = self._get(actor, callback_id)
        if actor.role == "customer" and before.customer_id != actor.id:
            raise NotFound(f"no callback {callback_id!r} for you")
        if before.status not in ("queued", "claimed"):
            raise AlreadyTaken(f"callback is already {before.status}")
        cb = _copy(before)
        now = self.clock.now()
        cb.status, cb.closed_at, cb.updated_at, cb.open_tenant = "cancelled", now, now, None
        self._commit(cb, before, actor, "cancelled", reason or f"Cancelled by {actor.name}")
        self._thread(cb, "Callback cancelled.", "cancelled")
        return cb

    # ------------------------------------------------------------------ reads
    def queue(self, tenant: str) -> list[Callback]:
        """Open callbacks, due first (overdue ones are simply the earliest)."""
        return self.store.open_callbacks(tenant)

    def get(self, actor: Actor, callback_id: str) -> tuple[Callback, list[dict[str, Any]]]:
        cb = self._get(actor, callback_id)
        history = history_view(self.store.history(subject(actor.tenant, "CB", callback_id)))
        return cb, history

    # ------------------------------------------------------------------ scheduled
    def escalate_overdue(self) -> dict[str, int]:
        """Every minute. Marks callbacks past due as overdue (raising priority, once), and alerts
        available agents about unclaimed ones at most every ALERT_EVERY_SECONDS.

        Idempotent, also with two copies at once: each transition is a conditional write that
        only one run can win; a run that loses does nothing.
        """
        stats = {"marked_overdue": 0, "alerts": 0, "tenants": 0}
        now = self.clock.now()
        system = "scheduler"
        for tenant in self.store.tenant_ids():
            stats["tenants"] += 1
            available: set[str] | None = None
            for before in self.store.open_callbacks(tenant, due_before=now):
                actor = Actor(tenant, "system", system, "Escalation")
                cb = before
                if not before.overdue:
                    cb = _copy(before)
                    cb.overdue, cb.priority, cb.updated_at = True, "high", now
                    try:
                        self._commit(
                            cb,
                            before,
                            actor,
                            "overdue",
                            "Past its due time; priority raised",
                            condition=Callback.overdue == False,  # noqa: E712 (a PynamoDB condition, not a bool test)
                        )
                    except AlreadyTaken:
                        continue  # another run (or an agent) changed it first
                    stats["marked_overdue"] += 1
                    metrics.add_metric(name="CallbacksOverdue", unit=MetricUnit.Count, value=1)
                if cb.status != "queued" or float(cb.last_alert_at) > now - ALERT_EVERY_SECONDS + 1:
                    continue
                try:
                    cb.update(
                        actions=[Callback.last_alert_at.set(now)],
                        condition=Callback.last_alert_at == cb.last_alert_at,
                    )
                except Exception as exc:
                    if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                        continue  # another run alerted this minute
                    raise
                if available is None:
                    available = self.lane.available_agents(tenant)
                self.lane.broadcast_agents(
                    tenant, {"type": "callback_alert", "callback": view(cb, now)}, only_users=available
                )
                stats["alerts"] += 1
        if stats["marked_overdue"] or stats["alerts"]:
            logger.info("callback escalation", extra=stats)
        return stats

    # ------------------------------------------------------------------ internals
    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        return tenant

    def _get(self, actor: Actor, callback_id: str) -> Callback:
        cb = self.store.get_callback(actor.tenant, callback_id)
        if cb is None:
            raise NotFound(f"no callback {callback_id!r}")
        return cb

    def _claimed_by(self, actor: Actor, callback_id: str) -> Callback:
        cb = self._get(actor, callback_id)
        if actor.role != "agent":
            raise Forbidden("only agents work callbacks")
        if cb.status != "claimed" or cb.claimed_by != actor.id:
            raise AlreadyTaken(
                "you have not claimed this callback" if cb.status != "claimed" else self._taken_message(cb)
            )
        return cb

    @staticmethod
    def _taken_message(cb: Callback) -> str:
        if cb.status == "claimed":
            return f"{cb.claimed_by_name} already claimed this callback"
        return f"callback is already {cb.status}"

    def _commit(
        self,
        cb: Callback,
        before: Callback | None,
        actor: Actor,
        action: str,
        detail: str,
        condition: Any = None,
        lost: Any = None,
    ) -> None:
        now = self.clock.now()
        entry = history_entry(subject(cb.tenant, "CB", cb.callback_id), now, action, actor.id, actor.name, detail)
        try:
            self.store.commit(cb.tenant, cb, before, now, [entry], condition)
        except Conflict:
            fresh = self.store.get_callback(cb.tenant, cb.callback_id)
            raise AlreadyTaken(
                lost(fresh) if (lost and fresh) else "the callback changed meanwhile; reload it"
            ) from None
        self.lane.broadcast_agents(cb.tenant, {"type": "callback", "action": action, "callback": view(cb, now)})
        self.counters_changed(cb.tenant)

    def _thread(self, cb: Callback, text: str, step: str) -> None:
        """The customer's conversation shows every change; one line per step (idempotent)."""
        if cb.conversation_id:
            self.lane.system_entry(cb.tenant, cb.conversation_id, text, f"{cb.callback_id}-{step}")
