"""The DynamoDB stream functions. Records arrive at least once and, across retries, out of
order: each function acts on the stored state the records point at, never on the records."""

from __future__ import annotations

from typing import Any

from chalicelib import wiring


def counters_changed(event: dict[str, Any]) -> dict[str, int]:
    """A batch of the counters table's stream (up to ~1 s of changes): the current counters of each
    tenant they changed, once, to its agents' dashboards (`hub/counters.py`)."""
    records = event.get("Records") or []
    return wiring.hub().counters.stream_batch([r for r in records if isinstance(r, dict)])
