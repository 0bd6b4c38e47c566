"""tests/infra: the synthesized stacks and the Lambda package, checked offline.

`cdk synth` of both stages runs once per test session (`cloud_assembly`); every module
reads that one cloud assembly. One moto server and one management-API recorder serve the
session; each stage is rehearsed on them once (`rehearsal`).

FLOWHUB_PACKAGE=DIR points the artifact test and the rehearsal at an old
`chalice package` output instead (DIR/<stage>/sam.json and deployment.zip), to show
what they catch there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.moto_server import MotoProcess
from tests.infra.figures import FIGURES
from tests.infra.management import ManagementApi
from tests.infra.rehearsal import Rehearsal
from tests.infra.stage import DUMMY_CREDENTIALS, Deployable, from_chalice_package, from_cloud_assembly

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")
OLD_PACKAGE = os.environ.get("FLOWHUB_PACKAGE")


@pytest.fixture(scope="session", params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def deployable_for(stage: str, request: pytest.FixtureRequest) -> Deployable:
    if OLD_PACKAGE:
        return from_chalice_package(Path(OLD_PACKAGE), stage)
    out: Path = request.getfixturevalue("cloud_assembly")
    return from_cloud_assembly(out, stage)


@pytest.fixture(scope="session")
def deployables(request: pytest.FixtureRequest) -> dict[str, Deployable]:
    return {s: deployable_for(s, request) for s in STAGES}


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    moto = MotoProcess(log_path=tmp_path_factory.mktemp("moto") / "moto.log")
    url = moto.start()
    yield url
    moto.stop()


@pytest.fixture(scope="session")
def management() -> Iterator[ManagementApi]:
    api = ManagementApi().start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def rehearsals(
    deployables: dict[str, Deployable],
    moto_url: str,
    management: ManagementApi,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Rehearsal]]:
    started: dict[str, Rehearsal] = {}
    with pytest.MonkeyPatch.context() as mp:
        # The admin CLI and the test's own clients talk to moto with the usual credential chain.
        for var, value in DUMMY_CREDENTIALS.items():
            mp.setenv(var, value)
        mp.delenv("AWS_PROFILE", raising=False)
        yield started  # filled on first use by `rehearsal`, one per stage
        for r in started.values():
            r.close()


@pytest.fixture
def rehearsal(
    stage: str,
    rehearsals: dict[str, Rehearsal],
    deployables: dict[str, Deployable],
    moto_url: str,
    management: ManagementApi,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rehearsal:
    if stage in _FAILED:
        pytest.fail(f"the {stage} rehearsal could not be set up (see the first test that used it): {_FAILED[stage]}")
    if stage not in rehearsals:
        try:
            rehearsals[stage] = Rehearsal(deployables[stage], moto_url, management, tmp_path_factory.mktemp(stage))
        except Exception as exc:
            _FAILED[stage] = f"{type(exc).__name__}: {exc}"
            raise
    return rehearsals[stage]


_FAILED: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("infra figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
