"""`chalice package` with the infrastructure template merged in: `python -m infra.package [stage] [out]`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infra.template import ROOT, write


def package(stage: str, out: Path) -> Path:
    write(stage)
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(ROOT / "infra" / f"resources-{stage}.json"),
            str(out),
        ],
        cwd=ROOT,
        check=True,
        # Packaging needs a region only to fill in ARNs; the deploy step sets the real one.
        env={"AWS_DEFAULT_REGION": "us-east-1", **os.environ},
    )
    return out / "sam.json"


if __name__ == "__main__":
    stage = sys.argv[1] if len(sys.argv) > 1 else "dev"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "build" / "package" / stage
    print(f"packaged: {package(stage, out)}")
