// The way to a phone call: an offer (prominent when nobody can answer, a quiet
// link otherwise), the request form, and the request's real phase (queued,
// calling, retrying, then completed / unreached / cancelled, after which the
// customer may ask again). The phase comes from the thread (callback.ts).

import { useState } from "preact/hooks";
import { Icon, ICONS } from "../../shared/ui";
import type { CallbackPhase, CallbackRequest } from "../callback";
import { fmt, type Strings } from "../i18n";
import { callbackPhase, canRequestCallback, offer } from "../store/state";
import { CallbackForm, WINDOWS } from "./CallbackForm";
import { useWidget } from "./context";

function windowLabel(t: Strings, w: string): string {
  return (WINDOWS as readonly string[]).includes(w) ? t[w as (typeof WINDOWS)[number]] : w;
}

function phaseText(t: Strings, phase: CallbackPhase, req: CallbackRequest): string {
  const phone = req.phone;
  switch (phase) {
    case "queued":
      return fmt(t.cbDone, { phone, window: windowLabel(t, req.window) });
    case "calling":
      return fmt(t.cbCalling, { phone });
    case "retrying":
      return fmt(t.cbRetrying, { phone });
    case "completed":
      return t.cbCompleted;
    case "failed":
      return fmt(t.cbUnreached, { phone });
    case "cancelled":
      return t.cbCancelled;
  }
}

const PHASE_ICON: Record<CallbackPhase, string[]> = {
  queued: ICONS.check,
  calling: ICONS.phone,
  retrying: ICONS.alert,
  completed: ICONS.check,
  failed: ICONS.alert,
  cancelled: ICONS.close,
};

export function CallbackBox() {
  const w = useWidget();
  const s = w.state;
  const t = w.t;
  const [form, setForm] = useState(false);
  if (form) {
    return (
      <div class="cb form" data-testid="widget-callback">
        <CallbackForm done={() => setForm(false)} />
      </div>
    );
  }
  const phase = callbackPhase(s);
  const open = canRequestCallback(s) && (
    <button class="cb-open" type="button" data-testid="widget-callback-open" onClick={() => setForm(true)}>
      <Icon d={ICONS.phone} size={15} />
      {phase ? t.cbAgain : offer(s) === "callback" ? t.cbRequest : t.cbPrefer}
    </button>
  );
  if (s.callback && phase) {
    const bad = phase === "failed" || phase === "retrying" || phase === "cancelled";
    return (
      <div class={`cb done${bad ? " bad" : ""}`} data-testid="widget-callback">
        <div class="cb-done" role="status" data-testid="widget-callback-status" data-phase={phase}>
          <Icon d={PHASE_ICON[phase]} size={16} />
          {phaseText(t, phase, s.callback)}
        </div>
        {open}
      </div>
    );
  }
  if (!open) return <div class="cb" data-testid="widget-callback" />;
  if (offer(s) === "callback") {
    return (
      <div class="cb offer" data-testid="widget-callback">
        <p>{t.cbOffer}</p>
        {open}
      </div>
    );
  }
  return (
    <div class="cb quiet" data-testid="widget-callback">
      {open}
    </div>
  );
}
