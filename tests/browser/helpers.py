"""Helpers shared by the browser tests: page watchers, sign-in, the widget, and
page-level spies for what a user would get from the browser (desktop notifications,
sounds) and for accessibility (axe-core injected from frontend/node_modules)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"

# Installed before any page script runs. `Notification` is replaced by a recorder whose
# permission starts as "default" and becomes "granted" when the page asks (as if the user
# clicked Allow); every oscillator start of WebAudio is counted (the dashboard's chime).
SPIES = """
(() => {
  const notes = [];
  let asks = 0;
  let permission = "default";
  let tones = 0;
  class SpyNotification {
    constructor(title, options) {
      notes.push({ title, body: (options && options.body) || "", tag: (options && options.tag) || "" });
      this.onclick = null;
    }
    close() {}
    static get permission() { return permission; }
    static requestPermission() { asks += 1; permission = "granted"; return Promise.resolve(permission); }
  }
  Object.defineProperty(window, "Notification", { value: SpyNotification, configurable: true, writable: true });
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { tones += 1; return start.apply(this, args); };
  window.__spy = { notes: () => notes.slice(), asks: () => asks, tones: () => tones };
})();
"""


class Watch:
    """Uncaught page errors and JavaScript dialogs (alert/confirm) of every page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def page(self, ctx: Any, label: str) -> Any:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{label}: {exc}"))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{label}: {dialog.type} {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    def check(self) -> None:
        assert not self.dialogs, f"dialogs fired: {self.dialogs}"
        assert not self.errors, f"uncaught page errors: {self.errors}"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def sign_in(page: Any, hub: Any, username: str | None = None) -> None:
    page.goto(f"{hub.base_url.rstrip('/')}/agent.html")
    page.get_by_test_id("signin-username").fill(username or hub.agent_username)
    page.get_by_test_id("signin-password").fill(hub.agent_password)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("counter-open_tickets")).to_have_attribute("data-value", re.compile(r"^\d+$"))


def open_widget(page: Any, hub: Any) -> None:
    page.goto(f"{hub.base_url.rstrip('/')}/")
    page.get_by_test_id("launcher").click()
    expect(page.get_by_test_id("widget-status")).to_have_attribute("data-state", re.compile(r"^(online|offline)$"))


def customer_says(page: Any, text: str) -> Any:
    page.get_by_test_id("widget-input").fill(text)
    page.get_by_test_id("widget-send").click()
    mine = page.get_by_test_id("widget-message").filter(has_text=text)
    expect(mine).to_have_attribute("data-state", re.compile(r"^(sent|delivered|read)$"))
    return mine


def set_presence(page: Any, status: str) -> None:
    page.get_by_test_id("presence-select").select_option(status)
    expect(page.get_by_test_id("reachable-dot")).to_have_class(re.compile(rf"status-{status}"))


def title_count(page: Any) -> int:
    """The count in the tab title ("(3) Agent workspace · …"), 0 without one."""
    m = re.match(r"^\((\d+)\) ", page.title())
    return int(m.group(1)) if m else 0


def settled_title_count(page: Any) -> int:
    """The title count once it stopped moving (threads followed at sign-in finish loading)."""
    last = -1
    for _ in range(30):
        now = title_count(page)
        if now == last:
            return now
        last = now
        page.wait_for_timeout(700)
    return last


def expect_title_count(page: Any, n: int) -> None:
    page.wait_for_function(
        "n => { const m = document.title.match(/^\\((\\d+)\\) /); return (m ? Number(m[1]) : 0) === n; }",
        arg=n,
        timeout=20_000,
    )


def spy(page: Any, what: str) -> Any:
    return page.evaluate(f"() => window.__spy.{what}()")


def serious_violations(page: Any, context: str = "document") -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (one line per node)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async (context) => {
          const r = await axe.run(context === "document" ? document : context, { resultTypes: ["violations"] });
          return r.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => ({
              id: v.id,
              impact: v.impact,
              nodes: v.nodes.map((n) => [n.target.join(" "), n.failureSummary]),
            }));
        }""",
        context,
    )
    return [f"{v['impact']} {v['id']}: {target} — {summary}" for v in found for target, summary in v["nodes"]]
