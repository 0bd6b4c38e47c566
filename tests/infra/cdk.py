"""`cdk synth` of every stage, offline: the cloud assembly tests/infra (and the local
stack's comparison with the deployed user pool) read."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "infra" / "node_modules" / ".bin" / "cdk"


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
