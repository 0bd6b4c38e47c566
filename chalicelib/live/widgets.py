"""The customer's way in: a public widget key names the tenant, and opens a widget session
(the token the widget connects with) for a visitor or a verified customer.

Identity verification, as Intercom does it: the tenant's own server computes
`HMAC-SHA256(verification secret, user_id)` for its signed-in user and puts `user_id` and that
hash into the widget. A matching hash makes a *verified* customer whose id is derived from the
user id (`keys.verified_customer_id`): the same on every device and session, so a second device
finds the same thread. Without one the customer is a visitor with a random id; a visitor can
never become a verified customer (a visitor's earlier token only ever continues a visitor, and
a verified id is only issued against a matching hash). A wrong hash is refused.

The tenant's verification secret is in the desk table (AP-D4), never in any API answer; after a
rotation the previous secret is still accepted for ROTATION_GRACE_SECONDS.
"""

from __future__ import annotations

import secrets

from msgspec import Struct

from chalicelib.live.customers import CustomerContext, Profiles
from chalicelib.platform.auth import Identity, WidgetTokens, identity_matches
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import IdentityRejected, NotFound, Unauthorized, UnknownWidgetKey
from chalicelib.platform.limits import RateLimits
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.store import keys
from chalicelib.store.desk_models import IdentitySecret
from chalicelib.store.ports import DeskStore, DirectoryStore, TenantStore

ROTATION_GRACE_SECONDS = 24 * 3600
SECRET_BYTES = 32


class WidgetSession(Struct, frozen=True):
    token: str
    customer_id: str
    tenant: str
    expires_at: str
    verified: bool = False
    # A verified customer's newest open conversation (another device started it).
    conversation_id: str | None = None


class Widgets:
    def __init__(
        self,
        store: TenantStore,
        tokens: WidgetTokens,
        clock: Clock,
        limits: RateLimits,
        desk: DeskStore,
        directory: DirectoryStore,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.limits = limits
        self.desk = desk
        self.directory = directory
        self.profiles = Profiles(directory)

    def tenant_for_key(self, widget_key: str) -> str:
        tenant_id = keys.widget_key_tenant(widget_key)
        tenant = self.store.get_tenant(tenant_id) if tenant_id else None
        if tenant is None or widget_key not in (tenant.widget_keys or set()):
            raise UnknownWidgetKey("unknown widget key")
        return str(tenant.tenant_id)

    def open_session(
        self,
        widget_key: str,
        previous_token: str | None,
        name: str | None = None,
        *,
        context: CustomerContext | None = None,
        identity: tuple[str, str] | None = None,
        client: str = "unknown",
    ) -> WidgetSession:
        """A verified identity (`identity` = user id and its hash) keeps one customer id
        everywhere; otherwise a still-valid previous visitor session of the same tenant keeps
        its customer id (reloads). `name` is the display name when the context has none.
        Sessions per tenant and client address are limited (RateLimited), before anything else."""
        tenant = self.tenant_for_key(widget_key)
        self.limits.widget_session(tenant, client)
        ctx = context or CustomerContext()
        if ctx.name is None and name is not None:
            ctx = ctx.with_name(name)
        now = self.clock.now()
        external_id: str | None = None
        before_name: str | None = None
        if identity is not None:
            external_id = self._verify(tenant, *identity, now)
            customer_id = keys.verified_customer_id(tenant, external_id)
        else:
            customer_id = keys.new_customer_id()
            before = self._previous(previous_token)
            # A visitor's earlier session continues; a verified one needs its hash again, so a
            # page without the signed-in user never carries the verified identity on.
            if before is not None and before.tenant == tenant and not before.verified:
                customer_id, before_name = before.user_id, before.name
        profile = self.profiles.visit(
            tenant, customer_id, ctx, now, external_id is not None, external_id, before_name or "Visitor"
        )
        token, exp = self.tokens.issue(tenant, customer_id, str(profile.name), verified=external_id is not None)
        conversation_id = self._open_conversation(tenant, customer_id) if external_id is not None else None
        return WidgetSession(token, customer_id, tenant, iso(exp), external_id is not None, conversation_id)

    def _previous(self, token: str | None) -> Identity | None:
        if not token:
            return None
        try:
            return self.tokens.verify(token)
        except Unauthorized:
            return None

    def _verify(self, tenant: str, user_id: str, user_hash: str, now: float) -> str:
        stored = self.desk.get_identity_secret(tenant)
        if stored is None:
            raise IdentityRejected("identity verification is not set up for this tenant")
        in_force = [str(stored.current)]
        if stored.previous and float(stored.previous_until or 0) > now:
            in_force.append(str(stored.previous))
        if not identity_matches(in_force, user_id, user_hash):
            metrics.add_metric(name="IdentityRejected", unit=MetricUnit.Count, value=1)
            logger.info("identity hash refused", extra={"tenant": tenant})
            raise IdentityRejected("user_hash does not match user_id for this tenant")
        return user_id

    def _open_conversation(self, tenant: str, customer_id: str) -> str | None:
        """AP-V8: the verified customer's newest open conversation, if any."""
        for meta in self.directory.customer_conversations(tenant, customer_id, limit=5):
            if meta.status == "open":
                return str(meta.conversation_id)
        return None

    # ------------------------------------------------------------------ the secret (admin)
    def rotate_identity_secret(self, tenant: str) -> str:
        """A new verification secret for the tenant (the previous one stays valid for a day).
        Returns the new secret: the one time it is shown, to the tenant's administrator."""
        if self.store.get_tenant(tenant) is None:
            raise NotFound(f"no tenant {tenant!r}")
        before = self.desk.get_identity_secret(tenant)
        item = rotated_secret(tenant, before, self.clock.now())
        self.desk.put_identity_secret(item, before)
        return str(item.current)


def rotated_secret(tenant: str, before: IdentitySecret | None, now: float) -> IdentitySecret:
    """The tenant's next verification secret: 32 random bytes as hex; the one it replaces stays
    accepted for ROTATION_GRACE_SECONDS (also used by the admin CLI, `tools/admin.py`)."""
    return IdentitySecret(
        tenant,
        keys.IDENTITY_SK,
        current=secrets.token_hex(SECRET_BYTES),
        previous=before.current if before is not None else None,
        previous_until=now + ROTATION_GRACE_SECONDS if before is not None else None,
        rotated_at=now,
    )
