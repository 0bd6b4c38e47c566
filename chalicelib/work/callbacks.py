"""Callback recovery: customers ask to be called back, agents log missed calls, exactly one
agent works a callback at a time (overdue ones escalate: `escalation.py`).

States: queued → claimed → completed | no-answer (requeued after the tenant's retry delay, or
failed after its maximum attempts) | cancelled; a released claim goes back to queued.
Every change is one transaction (the callback guarded by its version and state, the counter
deltas, a history entry), then shows live on the dashboards, in the customer's thread (a
system line with a code, never a phone number) and in the customer's widget (`callback_status`:
queued, calling, completed, failed, cancelled — after which they may ask again).

The due time follows the window the customer chose, in the tenant's time zone
(`callback_window.py`). A number without a country code is read in the region the request
names (the widget's country picker), else the tenant's default region (`phone_region`).
A missed call is its own record: it joins a conversation only when the agent names one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.contract.events import CallbackEvent, CallbackStatusEvent
from chalicelib.contract.views import HistoryItem
from chalicelib.live import lines
from chalicelib.live.port import LivePort
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import AlreadyTaken, Forbidden, InvalidAction, NotFound
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.keys import history_subject
from chalicelib.store.models import Tenant
from chalicelib.store.ports import WorkStore, WriteConflict
from chalicelib.store.work import history_entry
from chalicelib.store.work_models import Callback
from chalicelib.work.callback_window import WINDOWS, callback_due, zone
from chalicelib.work.views import callback_view, customer_callback_view, history_view

MAX_REASON = 500


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


def copy(cb: Callback) -> Callback:
    return Callback.from_raw_data(cb.serialize())


class Callbacks:
    def __init__(self, store: WorkStore, live: LivePort, clock: Clock, counters_changed: Callable[[str], None]) -> None:
        self.store = store
        self.live = live
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
        tenant = self._tenant(actor.tenant)
        e164 = normalize_phone(phone, region or tenant.phone_region)
        meta = None
        if conversation_id is not None:
            meta = self.store.conversation(actor.tenant, conversation_id)
            if meta is None or (actor.role == "customer" and meta.customer_id != actor.id):
                raise NotFound(f"no conversation {conversation_id!r} for you")
            customer_name = customer_name or str(meta.customer_name)
            customer_id: str | None = str(meta.customer_id)
        else:
            customer_id = actor.id if actor.role == "customer" else None
        now = self.clock.now()
        due = callback_due(window, now, timedelta(minutes=float(tenant.callback_sla_minutes)), zone(tenant.time_zone))
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
            not_before=due.not_before,
            due_at=due.due_at,
            attempts=0,
            max_attempts=int(tenant.callback_max_attempts),
            retry_minutes=float(tenant.callback_retry_minutes),
            created_at=now,
            created_by=actor.id,
            updated_at=now,
            open_tenant=actor.tenant,
        )
        verb = "requested" if source == "widget" else "logged a missed call"
        self.commit(cb, None, actor, "requested" if source == "widget" else "missed_call", f"{actor.name} {verb}")
        if conversation_id is not None and meta is not None and meta.status == "new":
            self.live.start_conversation(actor.tenant, conversation_id)  # asking for a callback starts it
        self._thread(cb, lines.line("callback_requested", window=window), "requested")
        metrics.add_metric(name="CallbacksRequested", unit=MetricUnit.Count, value=1)
        return cb

    # ------------------------------------------------------------------ agent actions
    def claim(self, actor: Actor, callback_id: str) -> Callback:
        """Exactly one agent wins: the write is conditioned on the callback still being queued."""
        before = self._get(actor, callback_id)
        if before.status != "queued":
            raise AlreadyTaken(self._taken_message(before))
        cb = copy(before)
        now = self.clock.now()
        cb.status, cb.claimed_by, cb.claimed_by_name, cb.claimed_at, cb.updated_at = (
            "claimed",
            actor.id,
            actor.name,
            now,
            now,
        )
        self.commit(
            cb,
            before,
            actor,
            "claimed",
            f"{actor.name} is calling",
            expect={"status": "queued"},
            lost=self._taken_message,
        )
        self._thread(cb, lines.line("callback_calling", name=actor.name), f"claimed-{int(cb.attempts)}")
        return cb

    def release(self, actor: Actor, callback_id: str) -> Callback:
        before = self._claimed_by(actor, callback_id)
        cb = copy(before)
        cb.status, cb.claimed_by, cb.claimed_by_name, cb.claimed_at, cb.updated_at = (
            "queued",
            None,
            None,
            None,
            self.clock.now(),
        )
        self.commit(
            cb,
            before,
            actor,
            "released",
            f"{actor.name} put it back in the queue",
            expect={"claimed_by": actor.id},
        )
        return cb

    def complete(self, actor: Actor, callback_id: str, note: str | None) -> Callback:
        before = self._claimed_by(actor, callback_id)
        cb = copy(before)
        now = self.clock.now()
        cb.status, cb.attempts, cb.updated_at, cb.closed_at, cb.open_tenant = (
            "completed",
            int(before.attempts) + 1,
            now,
            now,
            None,
        )
        self.commit(cb, before, actor, "completed", note or "Reached the customer", expect={"claimed_by": actor.id})
        self._thread(cb, lines.line("callback_completed"), "completed")
        return cb

    def no_answer(self, actor: Actor, callback_id: str, note: str | None) -> Callback:
        """Records the failed attempt; requeues after the retry delay, or fails after the last one."""
        before = self._claimed_by(actor, callback_id)
        cb = copy(before)
        now = self.clock.now()
        cb.attempts = int(before.attempts) + 1
        cb.claimed_by, cb.claimed_by_name, cb.claimed_at, cb.updated_at = None, None, None, now
        if cb.attempts >= int(before.max_attempts):
            cb.status, cb.closed_at, cb.open_tenant = "failed", now, None
            detail = f"No answer (attempt {cb.attempts} of {int(before.max_attempts)}); closed as failed"
            line = lines.line("callback_failed")
        else:
            cb.status, cb.overdue, cb.priority = "queued", False, "normal"
            # The retry waits the tenant's delay and still falls inside the customer's window.
            retry_at = now + 60 * float(before.retry_minutes)
            tenant = self._tenant(cb.tenant)
            again = callback_due(str(cb.window), retry_at, timedelta(0), zone(tenant.time_zone))
            cb.not_before, cb.due_at = again.not_before, again.due_at
            detail = (
                f"No answer (attempt {cb.attempts} of {int(before.max_attempts)}); retry at {iso(float(cb.due_at))}"
            )
            line = lines.line("callback_retry", minutes=int(before.retry_minutes))
        self.commit(
            cb,
            before,
            actor,
            "no_answer",
            (note + " — " if note else "") + detail,
            expect={"claimed_by": actor.id},
        )
        self._thread(cb, line, f"no-answer-{cb.attempts}")
        return cb

    def cancel(self, actor: Actor, callback_id: str, reason: str | None) -> Callback:
        before = self._get(actor, callback_id)
        if actor.role == "customer" and before.customer_id != actor.id:
            raise NotFound(f"no callback {callback_id!r} for you")
        if before.status not in ("queued", "claimed"):
            raise AlreadyTaken(f"callback is already {before.status}")
        cb = copy(before)
        now = self.clock.now()
        cb.status, cb.closed_at, cb.updated_at, cb.open_tenant = "cancelled", now, now, None
        self.commit(cb, before, actor, "cancelled", reason or f"Cancelled by {actor.name}")
        self._thread(cb, lines.line("callback_cancelled"), "cancelled")
        return cb

    # ------------------------------------------------------------------ reads
    def queue(self, tenant: str) -> list[Callback]:
        """Open callbacks, due first (overdue ones are simply the earliest)."""
        return self.store.open_callbacks(tenant)

    def get(self, actor: Actor, callback_id: str) -> tuple[Callback, list[HistoryItem]]:
        cb = self._get(actor, callback_id)
        history = history_view(self.store.history(history_subject(actor.tenant, "CB", callback_id)))
        return cb, history

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

    def commit(
        self,
        cb: Callback,
        before: Callback | None,
        actor: Actor,
        action: str,
        detail: str,
        expect: dict[str, Any] | None = None,
        lost: Callable[[Callback], str] | None = None,
    ) -> None:
        """Stores one change with its history entry, then shows it on the dashboards and counters.
        A lost race is `AlreadyTaken`, worded by `lost` from the callback as it is now."""
        now = self.clock.now()
        entry = history_entry(
            history_subject(cb.tenant, "CB", cb.callback_id), now, action, actor.id, actor.name, detail
        )
        try:
            self.store.commit(cb.tenant, cb, before, now, [entry], expect)
        except WriteConflict:
            fresh = self.store.get_callback(cb.tenant, cb.callback_id)
            raise AlreadyTaken(
                lost(fresh) if (lost and fresh) else "the callback changed meanwhile; reload it"
            ) from None
        self.live.push_to_agents(cb.tenant, CallbackEvent(action, callback_view(cb, now)))
        if cb.customer_id and cb.source == "widget":
            # The customer's widget follows its own request live (never an agent-logged call:
            # a missed call's number may not be this customer's).
            self.live.push_to_customer(cb.tenant, str(cb.customer_id), CallbackStatusEvent(customer_callback_view(cb)))
        self.counters_changed(cb.tenant)

    def customer_status(self, actor: Actor, callback_id: str) -> Callback:
        """A customer's own callback request (the widget shows its state after a reload)."""
        cb = self.store.get_callback(actor.tenant, callback_id)
        if cb is None or cb.customer_id != actor.id or cb.source != "widget":
            raise NotFound(f"no callback {callback_id!r} for you")
        return cb

    def _thread(self, cb: Callback, line: lines.Line, step: str) -> None:
        """The customer's conversation shows every change; one line per step (idempotent)."""
        if cb.conversation_id:
            self.live.post_to_thread(cb.tenant, cb.conversation_id, line, f"{cb.callback_id}-{step}")
