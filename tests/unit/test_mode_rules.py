"""What each mode changes (issue 10, item 7): the rule table in `hub/mode_rules.py` and
docs/work-lanes.md, on its own (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.hub.mode_rules import MODES, RULES, rules_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "work-lanes.md"


@pytest.mark.parametrize(
    ("mode", "available", "offer", "grace", "first"),
    [
        ("ready", True, "chat", 180.0, "launch"),
        ("ready", False, "callback", 180.0, "launch"),
        ("live", True, "chat", 180.0, "next_move"),
        ("live", False, "callback", 180.0, "next_move"),
        ("recovery", True, "callback", 0.0, "recovery"),
        ("recovery", False, "callback", 0.0, "recovery"),
    ],
)
def test_each_mode_changes_the_widget_offer_routing_and_what_comes_first(
    mode: str, available: bool, offer: str, grace: float, first: str
) -> None:
    rules = rules_for(mode)
    assert rules.offer(available) == offer
    assert rules.reassign_grace(180.0) == grace
    assert rules.first == first


def test_an_unknown_mode_reads_as_ready() -> None:
    assert rules_for(None) == rules_for("party") == RULES["ready"]


def test_the_documented_table_names_every_mode() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Modes", 1)[1]
    for mode in MODES:
        assert f"| {mode} |" in section, f"docs/work-lanes.md: the mode table has no row for {mode}"
