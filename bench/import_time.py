"""Cold-start import time of `app.py` against a bare `import boto3, pynamodb`.

Each sample is a fresh interpreter (`python -c`) with the stage's environment from
`.chalice/config.json` set as Lambda would see it; the figure is the time the import
statement itself takes (interpreter start-up is the same for both and is left out),
median over `--runs` processes per stage, baseline and app interleaved. Then a few
runs under `python -X importtime` show where the app's import time goes.

Target (issue): app import under 1.5x the bare `import boto3, pynamodb`.

    python -m bench.import_time [--runs 15] [--stages dev,prod] [--top 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.report import Figure, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
BASELINE = "import boto3, pynamodb"
APP = "import app"
TIMED = "import time as _t\n_s = _t.perf_counter()\n{stmt}\nprint(_t.perf_counter() - _s)\n"


def stage_environment(stage: str) -> dict[str, str]:
    """The process environment Lambda would give the stage's functions (no AWS endpoints)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
    env.update({k: str(v) for k, v in (config.get("environment_variables") or {}).items()})
    env.update({k: str(v) for k, v in config["stages"][stage].get("environment_variables", {}).items()})
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
        AWS_LAMBDA_FUNCTION_NAME=f"flow-hub-{stage}-websocket_message",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(config["stages"][stage].get("lambda_memory_size", 512)),
    )
    return env


def timed_import(stmt: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds the import statement took, seconds the whole process took)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(stmt=stmt)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{stmt!r} failed:\n{out.stderr[-3000:]}")
    return float(out.stdout.strip().splitlines()[-1]), wall


# ----------------------------------------------------------------------------- -X importtime
@dataclass(frozen=True)
class Entry:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None


def parse_importtime(stderr: str) -> list[Entry]:
    """`-X importtime` lines, in their (post-)order, each with the module that imported it."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_part, cumulative_part, field = line.removeprefix("import time:").split("|", 2)
        depth = (len(field) - len(field.lstrip(" ")) - 1) // 2
        rows.append((field.strip(), int(self_part), int(cumulative_part), depth))
    parents: dict[int, int] = {}
    pending: dict[int, list[int]] = defaultdict(list)
    for i, (_, _, _, depth) in enumerate(rows):
        for child in pending.pop(depth + 1, []):
            parents[child] = i
        pending[depth].append(i)
    return [
        Entry(name, s, c, d, rows[parents[i]][0] if i in parents else None) for i, (name, s, c, d) in enumerate(rows)
    ]


def _ours(name: str | None) -> bool:
    return name is not None and (name == "app" or name.split(".")[0] == "chalicelib")


def app_subtree(entries: list[Entry]) -> list[Entry]:
    """Entries imported (directly or not) by `import app`: the run before the `app` root, post-order."""
    end = next(i for i, e in enumerate(entries) if e.name == "app" and e.depth == 0)
    start = max((i for i in range(end) if entries[i].depth == 0), default=-1) + 1
    return entries[start : end + 1]


@dataclass(frozen=True)
class Breakdown:
    edges: list[tuple[str, str, float, float]]  # (module, imported by, cumulative ms, ms beyond baseline)
    packages: list[tuple[str, float, int]]  # (top-level package, self ms beyond baseline, modules)
    total_ms: float
    beyond_ms: float


def _importtime(stmt: str, env: dict[str, str]) -> list[Entry]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", stmt],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"-X importtime {stmt!r} failed:\n{out.stderr[-3000:]}")
    return parse_importtime(out.stderr)


def importtime_breakdown(env: dict[str, str], runs: int) -> Breakdown:
    """Which imports made by app.py / chalicelib cost the most, counting only modules the
    baseline (`import boto3, pynamodb`) does not import itself: that is what trimming saves."""
    baseline = {e.name for e in _importtime(BASELINE, env)}
    edge_ms: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    package_ms: dict[str, list[float]] = defaultdict(list)
    package_modules: dict[str, int] = {}
    totals: list[float] = []
    beyond: list[float] = []
    for _ in range(runs):
        tree = app_subtree(_importtime(APP, env))
        totals.append(tree[-1].cumulative_us / 1000)
        extra = [0.0 if e.name in baseline else e.self_us / 1000 for e in tree]
        beyond.append(sum(extra))
        per_package: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        for i, e in enumerate(tree):
            if _ours(e.parent) and not _ours(e.name):
                j = i
                while j > 0 and tree[j - 1].depth > e.depth:  # post-order: the subtree precedes its root
                    j -= 1
                edge_ms[(e.name, str(e.parent))].append((e.cumulative_us / 1000, sum(extra[j : i + 1])))
            if not _ours(e.name) and e.name not in baseline:
                per_package[e.name.split(".")[0]] += e.self_us / 1000
                counts[e.name.split(".")[0]] += 1
        for pkg, ms in per_package.items():
            package_ms[pkg].append(ms)
            package_modules[pkg] = counts[pkg]
    edges = sorted(
        (
            (m, by, statistics.median(c for c, _ in v), statistics.median(x for _, x in v))
            for (m, by), v in edge_ms.items()
        ),
        key=lambda x: x[3],
        reverse=True,
    )
    packages = sorted(
        ((p, statistics.median(v), package_modules[p]) for p, v in package_ms.items()),
        key=lambda x: x[1],
        reverse=True,
    )
    return Breakdown(edges, packages, statistics.median(totals), statistics.median(beyond))


# ----------------------------------------------------------------------------- run
def measure_stage(stage: str, runs: int, top: int, importtime_runs: int) -> list[Figure]:
    env = stage_environment(stage)
    timed_import(APP, env)  # warm the bytecode caches; not counted
    timed_import(BASELINE, env)
    base: list[float] = []
    app: list[float] = []
    base_wall: list[float] = []
    app_wall: list[float] = []
    for _ in range(runs):
        b, bw = timed_import(BASELINE, env)
        a, aw = timed_import(APP, env)
        base.append(b)
        base_wall.append(bw)
        app.append(a)
        app_wall.append(aw)
    b_ms, a_ms = statistics.median(base) * 1000, statistics.median(app) * 1000
    ratio = a_ms / b_ms
    print(f"-- stage {stage} ({runs} fresh processes each, median)")
    print(
        table(
            ["import", "median ms", "min ms", "max ms", "process wall median ms"],
            [
                [BASELINE, b_ms, min(base) * 1000, max(base) * 1000, statistics.median(base_wall) * 1000],
                [APP, a_ms, min(app) * 1000, max(app) * 1000, statistics.median(app_wall) * 1000],
            ],
        )
    )
    print(f"   ratio app / baseline: {ratio:.2f}x (target < {TARGET_RATIO}x)")
    tracing = env.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true")
    print(f"   tracing (X-Ray through Powertools) {'on' if tracing else 'off'} in this stage")
    breakdown = importtime_breakdown(env, importtime_runs)
    print()
    print(
        f"   heaviest imports made by app.py / chalicelib (-X importtime, median of {importtime_runs}): "
        f"`import app` = {breakdown.total_ms:.0f} ms there, {breakdown.beyond_ms:.0f} ms of it in modules "
        "the baseline does not import"
    )
    print(
        table(
            ["module", "imported by", "cumulative ms", "beyond baseline ms"],
            [list(e) for e in breakdown.edges[:top]],
        )
    )
    print("   (cumulative counts shared modules where they are first imported; 'beyond baseline' is what")
    print("   dropping or deferring that import would save)")
    print()
    print("   modules the baseline does not import, by top-level package (self time summed):")
    print(table(["package", "self ms", "modules"], [list(p) for p in breakdown.packages[:top]]))
    print()
    heaviest = ", ".join(f"{m} +{x:.0f} ms" for m, _, _, x in breakdown.edges[:3])
    return [
        Figure(
            "import_time",
            f"{stage}: import app vs boto3+pynamodb",
            f"{a_ms:.0f} / {b_ms:.0f} ms = {ratio:.2f}x",
            f"< {TARGET_RATIO}x",
            ratio < TARGET_RATIO,
        ),
        Figure("import_time", f"{stage}: heaviest imports", heaviest),
    ]


def run(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.import_time", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per import and stage (default 15)")
    parser.add_argument("--stages", default="dev,prod", help="stages of .chalice/config.json (default dev,prod)")
    parser.add_argument("--top", type=int, default=10, help="heaviest imports to list (default 10)")
    parser.add_argument("--importtime-runs", type=int, default=3, help="-X importtime runs per stage (default 3)")
    args = parser.parse_args(argv)
    print("== bench.import_time: cold-start import of app.py vs a bare `import boto3, pynamodb`")
    found: list[Figure] = []
    for stage in [s for s in args.stages.split(",") if s]:
        found += measure_stage(stage, args.runs, args.top, args.importtime_runs)
    return found


def main() -> None:
    run(sys.argv[1:])


if __name__ == "__main__":
    main()
