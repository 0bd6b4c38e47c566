"""What differs between the stages, and the named limits the stacks use.

Every figure an operator might tune or be paged by is a named constant here or in the
component that owns it, never a bare number in a resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_logs as logs

from infra import names
from infra.names import APP


@dataclass(frozen=True)
class Throttle:
    """API Gateway token bucket: steady requests per second and the burst above it."""

    rate: float
    burst: int


@dataclass(frozen=True)
class StageSettings:
    name: str
    # Data survives `cdk destroy` and cannot be deleted by a stack update.
    protect_data: bool
    log_retention: logs.RetentionDays
    # Whole API (every route) and the tighter limits on the public, unauthenticated entry points.
    rest: Throttle
    widget_session: Throttle
    websocket: Throttle
    websocket_connect: Throttle

    def physical(self, what: str) -> str:
        """A resource name inside this stage: `flow-hub-dev-connections`."""
        return f"{APP}-{self.name}-{what}"

    @property
    def stateful_stack(self) -> str:
        return names.stateful_stack(self.name)

    @property
    def stateless_stack(self) -> str:
        return names.stateless_stack(self.name)


STAGES: dict[str, StageSettings] = {
    "dev": StageSettings(
        name="dev",
        protect_data=False,
        log_retention=logs.RetentionDays.ONE_WEEK,
        rest=Throttle(rate=50, burst=100),
        widget_session=Throttle(rate=5, burst=10),
        websocket=Throttle(rate=100, burst=200),
        websocket_connect=Throttle(rate=10, burst=20),
    ),
    "prod": StageSettings(
        name="prod",
        protect_data=True,
        log_retention=logs.RetentionDays.THREE_MONTHS,
        rest=Throttle(rate=500, burst=1000),
        widget_session=Throttle(rate=50, burst=100),
        websocket=Throttle(rate=1000, burst=2000),
        # API Gateway's own account limit is 500 new connections per second per region.
        websocket_connect=Throttle(rate=100, burst=200),
    ),
}
