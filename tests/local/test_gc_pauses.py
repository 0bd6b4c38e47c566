"""The local stack's garbage-collector settings (`local/procutil.py`): moto and the workers
freeze what survived a full collection, so the next one does not walk it again; and
`FLOW_GC_STATS=1` logs the pauses that remain."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from local.procutil import log_gc_pauses, short_gc_pauses


@pytest.fixture
def own_callbacks() -> Iterator[None]:
    """Only the test's own collections run (an automatic full pass mid-test would freeze early),
    and the test leaves the collector as it found it."""
    before = list(gc.callbacks)
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.callbacks[:] = before
    gc.unfreeze()
    if was_enabled:
        gc.enable()


def _ids(objects: list[object]) -> set[int]:
    return {id(o) for o in objects}


@pytest.mark.usefixtures("own_callbacks")
def test_a_full_collection_freezes_what_survived_it() -> None:
    short_gc_pauses()
    kept = [[i] for i in range(10_000)]  # long-lived objects, as moto's table items are
    gc.collect(1)  # a young collection freezes nothing: the lists move on to generation 2
    assert {id(kept), id(kept[0]), id(kept[-1])} <= _ids(gc.get_objects(2))
    gc.collect()
    tracked = _ids(gc.get_objects())  # every generation, never the frozen (permanent) one
    assert not tracked & {id(item) for item in kept} and id(kept) not in tracked
    assert gc.get_count()[2] == 0 and not gc.get_objects(2)  # the next full pass starts from nothing


@pytest.mark.usefixtures("own_callbacks")
def test_pauses_are_logged_only_when_asked(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("FLOW_GC_STATS", raising=False)
    log_gc_pauses("quiet", over_ms=0)
    gc.collect()
    assert "gc pause" not in capsys.readouterr().err
    monkeypatch.setenv("FLOW_GC_STATS", "1")
    log_gc_pauses("moto", over_ms=0)
    gc.collect()
    assert "gc pause moto: generation 2," in capsys.readouterr().err
