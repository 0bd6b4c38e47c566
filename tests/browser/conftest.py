"""Browser-test fixtures: frontend/dist (built when missing or stale) and one headless
Chromium per session. Each test opens its own contexts (customer and agent apart)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _dist_is_stale() -> bool:
    built = DIST / "widget.js"
    if not built.exists() or not (DIST / "agent.js").exists():
        return True
    newest_source = max(p.stat().st_mtime for p in (FRONTEND / "src").rglob("*") if p.is_file())
    return newest_source > built.stat().st_mtime


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    """frontend/dist, built first when missing or older than the sources."""
    if _dist_is_stale():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("frontend/dist is missing or stale and npm is not installed to build it")
        if not (FRONTEND / "node_modules" / ".bin" / "esbuild").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
        subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)
    return DIST


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: make test installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
