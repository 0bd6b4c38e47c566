// The widget's root, rendered into its shadow root: the stylesheet, the panel
// (kept mounted while closed, so the composer and the callback form keep what
// was typed) and the launcher. It is the only component subscribed to the
// store: a change re-renders the tree from here, and Preact patches what differs.

import { useErrorBoundary } from "preact/hooks";
import { useStore } from "../../shared/store";
import { report } from "../guard";
import type { Widget } from "../widget";
import css from "../widget.css";
import { CallbackBox } from "./CallbackBox";
import { Composer } from "./Composer";
import { fmt } from "../i18n";
import { useWidget as useWidgetContext, WidgetContext } from "./context";
import { Conversation, Typing } from "./Conversation";
import { Banner, Header } from "./Header";
import { Launcher } from "./Launcher";

/** The customer's place in the queue while they wait for an agent with a free place. */
function QueuePlace() {
  const w = useWidgetContext();
  const place = w.state.queuePlace;
  if (place == null) return null;
  return (
    <div class="queue" role="status" data-testid="widget-queue" data-place={place}>
      {place === 1 ? w.t.queueNext : fmt(w.t.queuePlace, { n: place })}
    </div>
  );
}

export function App({ widget }: { widget: Widget }) {
  useStore(widget.store);
  // A rendering bug must not take the host page down: the widget steps aside.
  const [failed] = useErrorBoundary((e) => report("render", e));
  if (failed) return null;
  const s = widget.state;
  const t = widget.t;
  return (
    <WidgetContext.Provider value={widget}>
      <style>{css}</style>
      <div
        class={`root${s.open ? " open" : ""}`}
        lang={s.lang}
        onKeyDown={(e) => {
          if (e.key === "Escape" && widget.state.open) {
            e.stopPropagation();
            widget.close(true);
          }
        }}
      >
        <section class="panel" id="fh-panel" role="dialog" aria-label={s.title || t.title} hidden={!s.open}>
          <Header />
          <Banner />
          {/* Notices above the thread slot in here: business hours, queue position. */}
          <QueuePlace />
          <Conversation />
          <Typing />
          {/* After the conversation closes, the rating prompt (CSAT) slots in here. */}
          <CallbackBox />
          <Composer />
          <div class="foot">{t.poweredBy}</div>
        </section>
        <Launcher />
      </div>
    </WidgetContext.Provider>
  );
}
