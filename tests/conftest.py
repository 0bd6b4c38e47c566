"""Shared fixtures: the whole local stack, started once per test session.

`local_hub` runs `python -m local.run --port 0` as a subprocess with its own moto and a
temporary data dir, waits for its ready file and yields a `local.testing.LocalHub`:
URLs (`base_url`, `api_url`, `ws_url`, `moto_url`), Cognito (`user_pool_id`, `client_id`),
the demo sign-ins (`agent_username`, `agent_password`, `agent2_username`), `widget_key`,
`data_dir`, and helpers `agent_token()`, `widget_session()`, `run_schedule()`.
Unit-test fixtures live in tests/unit/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from local.rest_gateway import use_verified_claims
from local.testing import HubProcess, LocalHub


@pytest.fixture(autouse=True)
def verified_rest_claims() -> Iterator[None]:
    """Chalice's test `Client` runs the REST API's Cognito authorizer as API Gateway does: the
    hub's own verifier (the production code, with the test's keys and clock) checks the token;
    a bad or missing one gets 401 and the route never runs."""

    def verify(token: str) -> Mapping[str, Any]:
        from chalicelib import wiring

        return wiring.hub().agents.claims(token)

    with use_verified_claims(verify):
        yield


@pytest.fixture(scope="session")
def local_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    # Scheduled functions run only when a test asks (`run_schedule`), so time rules stay
    # deterministic; the scheduler itself is covered by tests/local with a fake app.
    process = HubProcess(tmp_path_factory.mktemp("local-hub"), extra_args=["--no-schedules"])
    hub = process.start(timeout=60)
    try:
        yield hub
    finally:
        process.stop()


@pytest.fixture(scope="session")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth` of dev and prod, once per session (tests/infra, and tests/local where the
    local stack is compared with what is deployed)."""
    from tests.infra.cdk import synth
    from tests.infra.figures import record

    out = tmp_path_factory.mktemp("cdk.out")
    seconds = synth(out)
    record("cdk synth, dev + prod (Lambda package built inside)", f"{seconds:.1f} s")
    return out
