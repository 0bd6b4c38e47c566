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
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.moto_server import MotoProcess
from tests.infra.figures import FIGURES, record
from tests.infra.management import ManagementApi
from tests.infra.rehearsal import Rehearsal
from tests.infra.stage import DUMMY_CREDENTIALS, Deployable, from_chalice_package, from_cloud_assembly

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "infra" / "node_modules" / ".bin" / "cdk"
STAGES = ("dev", "prod")
OLD_PACKAGE = os.environ.get("FLOWHUB_PACKAGE")


def synth(out: Path) -> float:
    """`cdk synth` of every stage into `out`, offline: no AWS credentials, no notices."""
    if not CDK.exists():
        pytest.fail("the AWS CDK command line is missing: run `scripts/bootstrap cdk`")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_")) or k in ("AWS_EC2_METADATA_DISABLED",)
    }
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    started = time.monotonic()
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "--no-notices", "--output", str(out)],
        cwd=ROOT / "infra",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"cdk synth failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return time.monotonic() - started


@pytest.fixture(scope="session")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cdk.out")
    seconds = synth(out)
    record("cdk synth, dev + prod (Lambda package built inside)", f"{seconds:.1f} s")
    return out


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
