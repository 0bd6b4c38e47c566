// The customer chat widget. Embedded with one script tag:
//   <script src="https://HUB/widget.js" data-widget-key="wk_…" async></script>
// It reads config.json from the directory of its own script URL, renders its
// Preact components in a shadow root, defines at most window.FlowHubWidget and
// never throws into the host page.

import { options, render, type VNode } from "preact";
import { App } from "./components/App";
import { guard, report } from "./guard";
import { pickLang } from "./i18n";
import { Widget } from "./widget";

const VERSION = "0.2.0";

declare global {
  interface Window {
    FlowHubWidget?: { version: string; open(): void; close(): void; toggle(): void };
  }
}

// Every DOM event handler of the widget's components runs guarded, so a bug in
// one reports on the console instead of throwing into the host page. This
// Preact copy is bundled into widget.js: the hook touches only the widget.
const previousVnode = options.vnode;
options.vnode = (vnode: VNode) => {
  if (typeof vnode.type === "string" && vnode.props) {
    const props = vnode.props as Record<string, unknown>;
    for (const name in props) {
      const fn = props[name];
      if (name[0] === "o" && name[1] === "n" && typeof fn === "function") props[name] = guard(name, fn as (...a: unknown[]) => unknown);
    }
  }
  previousVnode?.(vnode);
};

function mount(widget: Widget, color: string | null): void {
  const host = document.createElement("flowhub-widget");
  host.setAttribute("style", "position:fixed;z-index:2147483000;right:0;bottom:0;width:0;height:0;");
  host.setAttribute("data-flowhub", VERSION);
  if (color && /^#[0-9a-f]{3,8}$/i.test(color)) host.style.setProperty("--fh-accent", color);
  const shadow = host.attachShadow({ mode: "open" });
  document.body.appendChild(host);
  render(<App widget={widget} />, shadow);
  widget.start();
}

(function init() {
  try {
    if (window.FlowHubWidget) return; // loaded twice: keep the first
    const script =
      (document.currentScript as HTMLScriptElement | null) ||
      (document.querySelector("script[data-widget-key]") as HTMLScriptElement | null);
    const src = (script && script.src) || "";
    const key = script?.getAttribute("data-widget-key") || "";
    if (!src || !key) {
      report("init", "the widget script tag needs a src and data-widget-key");
      return;
    }
    const widget = new Widget({
      scriptSrc: src,
      widgetKey: key,
      lang: pickLang(script?.getAttribute("data-lang")),
      title: script?.getAttribute("data-title"),
      name: script?.getAttribute("data-customer-name"),
    });
    const color = script?.getAttribute("data-color") || null;
    window.FlowHubWidget = {
      version: VERSION,
      open: guard("open", () => widget.open(true)),
      close: guard("close", () => widget.close(false)),
      toggle: guard("toggle", () => widget.toggle()),
    };
    const start = guard("mount", () => mount(widget, color));
    if (document.body) start();
    else document.addEventListener("DOMContentLoaded", start, { once: true });
    window.addEventListener("pagehide", guard("pagehide", () => widget.flushSave()));
  } catch (e) {
    report("init", e);
  }
})();
