"""Benchmarks of the live hub: they print figures and never assert on timings.

`python -m bench.all` runs every benchmark and prints a summary table; each module
also runs alone (`python -m bench.ddb_calls`, `bench.latency`, `bench.import_time`).
Local-only tooling: never packaged into the Lambda. See docs/benchmarks.md.
"""
