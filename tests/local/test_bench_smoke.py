"""Every benchmark runs to its end: `python -m bench.all --smoke` at the smallest sizes.

The figures mean nothing at these sizes and are not checked against targets (the benchmarks'
own runs are, in docs/benchmarks.md). What fails here is a benchmark that crashes, or one that
no longer prints the figures `make bench` is read for: both went unseen for several sessions
before this test (the call-count bench broke on the widget-session limit; the per-function
RSS read the parent's memory)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One figure of each benchmark that `make bench` is read for, as the summary names it.
EXPECTED_FIGURES = {
    "ddb_calls": "life of a message: send + read",
    "import_time": "prod: import app vs boto3+pynamodb",
    "latency": "sustained capacity",
    "appends": "write calls per message, 3 sender(s)",
    "flood": "lost / duplicated / refused-but-stored / gaps",
    "cost": "$ per 1M customer messages",
    "fanout": "counters events per agent connection",
    "recompute": "items read, 10 open + 300 closed",
}


@pytest.mark.timeout(900)
def test_every_benchmark_runs_to_its_end_and_prints_its_figures(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "bench.all", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    printed = out.stdout + out.stderr
    (tmp_path / "bench-smoke.log").write_text(printed, encoding="utf-8")
    assert out.returncode == 0, f"a benchmark crashed:\n{printed[-6000:]}"
    summary = printed.split("# summary", 1)[-1]
    assert "(failed)" not in summary, summary
    timings = re.search(r"\(([^)]*)\)", summary)
    assert timings is not None, summary
    ran = {part.split()[0] for part in timings.group(1).split(", ")}
    assert ran == set(EXPECTED_FIGURES), f"benchmarks run: {sorted(ran)}"
    rows = [line for line in summary.splitlines() if line and not line.startswith(("benchmark", "---"))]
    for bench, figure in EXPECTED_FIGURES.items():
        assert any(row.startswith(bench) and figure in row for row in rows), f"{bench}: no {figure!r} row\n{summary}"
