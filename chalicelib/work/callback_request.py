"""A callback request checked and built: window, reason, E.164 number, due time, the queued callback."""

from __future__ import annotations

import secrets
from datetime import timedelta

from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import InvalidAction
from chalicelib.store.models import Tenant
from chalicelib.store.work_models import Callback
from chalicelib.work.callback_window import WINDOWS, CallbackDue, NeverOpenInWindow, OpenHours, callback_due, zone

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


def check_request(window: str, reason: str | None) -> None:
    """The window is one the widget offers; the reason is not too long."""
    if window not in WINDOWS:
        raise InvalidAction(f"window: expected one of {', '.join(WINDOWS)}")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidAction(f"reason: at most {MAX_REASON} characters")


def due_in_hours(tenant: Tenant, window: str, start: float, sla: timedelta, hours: OpenHours | None) -> CallbackDue:
    """The window in the tenant's time zone, the SLA in its open time."""
    try:
        return callback_due(window, start, sla, zone(tenant.time_zone), hours)
    except NeverOpenInWindow as exc:
        raise InvalidAction(f"window: {exc}; choose another window") from None


def queued_callback(
    actor: Actor,
    tenant: Tenant,
    e164: str,
    window: str,
    reason: str | None,
    conversation_id: str | None,
    customer_id: str | None,
    customer_name: str | None,
    source: str,
    due: CallbackDue,
    now: float,
) -> Callback:
    """The new callback, queued: due as computed, its attempts and retry delay the tenant's."""
    return Callback(
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
