"""Fixtures for the local stack's own tests: hubs running the small `fake_app`.

`fake_hub` serves `tests/local/fake_app.py` with the real gateway, REST adapter, moto
and snapshots, a 2-second integration timeout and no automatic schedules; `short_hub`
has shrunk connection limits (1 s idle, 3 s lifetime, 5 connects per second).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.testing import HubProcess, LocalHub

FAKE_APP_ARGS = [
    "--app",
    "tests.local.fake_app:app",
    "--tables-hook",
    "tests.local.fake_app:ensure_tables",
    "--tenant-hook",
    "tests.local.fake_app:ensure_tenant",
    "--no-schedules",
]


SHELL_ONLY_VARIABLE = "HUB_TEST_SHELL_ONLY"


@pytest.fixture(scope="session")
def fake_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>widget demo</title>", encoding="utf-8")
    (dist / "agent.html").write_text("<!doctype html><title>agent</title>", encoding="utf-8")
    (dist / "widget.js").write_text("console.log('widget');", encoding="utf-8")
    process = HubProcess(
        tmp_path_factory.mktemp("fake-hub"),
        [*FAKE_APP_ARGS, "--integration-timeout", "2", "--frontend-dir", str(dist)],
        # In the hub's own environment only: no function may see it.
        env={**os.environ, SHELL_ONLY_VARIABLE: "from the developer's shell"},
    )
    hub = process.start()
    try:
        yield hub
    finally:
        process.stop()


@pytest.fixture(scope="session")
def short_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    process = HubProcess(
        tmp_path_factory.mktemp("short-hub"),
        [
            *FAKE_APP_ARGS,
            "--idle-timeout",
            "1",
            "--max-connection-duration",
            "3",
            "--max-connects-per-second",
            "5",
            "--frontend-dir",
            str(tmp_path_factory.mktemp("no-dist") / "missing"),
        ],
    )
    hub = process.start()
    try:
        yield hub
    finally:
        process.stop()


@pytest.fixture
def hub_factory(tmp_path: Path) -> Iterator[Callable[..., HubProcess]]:
    """Hubs a test starts and stops itself (durability); all stopped at the end."""
    made: list[HubProcess] = []

    def make(data_dir: Path | None = None, extra: list[str] | None = None) -> HubProcess:
        process = HubProcess(data_dir or tmp_path / "data", [*FAKE_APP_ARGS, *(extra or [])])
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()
