"""Runs every benchmark and prints a summary table: `python -m bench.all` (`make bench`).

python -m bench.all [--only ddb_calls,import_time,latency,appends,flood,cost,fanout] [--seconds 30] [--smoke]

`--smoke` runs every benchmark end to end at the smallest sizes (about 2 minutes): its figures
mean nothing, but a benchmark that crashes fails the run. The test suite runs it
(tests/local/test_bench_smoke.py), so a change that breaks a benchmark is caught when it is made,
not sessions later when someone runs `make bench`.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench import appends, cost, ddb_calls, fanout, flood, import_time, latency
from bench.report import Figure, figures_table, machine

# The smallest arguments that still take every benchmark through its whole path.
SMOKE: dict[str, list[str]] = {
    "ddb_calls": ["--sizes", "3", "--sends", "1"],
    "import_time": ["--runs", "2", "--importtime-runs", "1", "--function-runs", "1", "--package-runs", "1"],
    "latency": ["--seconds", "3", "--rates", "4"],
    "appends": ["--senders", "1,3", "--messages", "4,6", "--lines", "3"],
    "flood": ["--flood", "40", "--messages", "3", "--calm", "1", "--interval", "0.2"],
    "cost": ["--agents", "2,4", "--queues", "5"],
    "fanout": ["--sizes", "3,6", "--repeat", "1"],
    "recompute": ["--closed", "300", "--open", "10"],
}

BENCHMARKS: dict[str, Callable[[Sequence[str]], list[Figure]]] = {
    "ddb_calls": ddb_calls.run,
    "import_time": import_time.run,
    "latency": latency.run,
    "appends": appends.run,
    "flood": flood.run,
    "cost": cost.run,
    "fanout": fanout.run,
}

# The work lanes' counter-recompute benchmark, when present, follows the same interface.
try:
    from bench import recompute
except ModuleNotFoundError as exc:
    if exc.name != "bench.recompute":
        raise
else:
    BENCHMARKS["recompute"] = recompute.run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma list of benchmarks to run")
    parser.add_argument("--seconds", type=int, default=30, help="seconds of load for bench.latency (default 30)")
    parser.add_argument("--smoke", action="store_true", help="smallest sizes: checks every benchmark runs, no figures")
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    started = datetime.now(UTC)
    print(f"# benchmarks, {started:%Y-%m-%d %H:%M} UTC, {machine()}")
    if args.smoke:
        print("# smoke run (--smoke): the smallest sizes, to check each benchmark runs; the figures mean nothing")
    figures: list[Figure] = []
    failed: list[str] = []
    timings: list[str] = []
    for name in chosen:
        print()
        t0 = time.perf_counter()
        if args.smoke:
            bench_args = SMOKE.get(name, [])
        else:
            bench_args = ["--seconds", str(args.seconds)] if name == "latency" else []
        try:
            figures += BENCHMARKS[name](bench_args)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            figures.append(Figure(name, "(failed)", "see the traceback above"))
        timings.append(f"{name} {time.perf_counter() - t0:.0f} s")
        sys.stdout.flush()

    print()
    print(f"# summary ({', '.join(timings)})")
    print(figures_table(figures))
    missed = [f"{f.bench}: {f.name}" for f in figures if f.met is False]
    if args.smoke:
        print("\nsmoke run: the targets are not judged at these sizes")
    elif missed:
        print(f"\nmissed targets: {'; '.join(missed)}")
    # Figures, not a test: a missed target does not fail the run; a benchmark that crashed does.
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
