"""Figures the infra tests measure, printed at the end of the test run (see conftest.py)."""

from __future__ import annotations

FIGURES: dict[str, str] = {}


def record(name: str, value: str) -> None:
    FIGURES[name] = value
    print(f"\n{name}: {value}")
