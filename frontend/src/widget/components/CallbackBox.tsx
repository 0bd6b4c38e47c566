// The way to a phone call: an offer (prominent when nobody can answer, a quiet
// link otherwise), the request form, and the request's real phase (queued,
// calling, retrying, then completed / unreached / cancelled, after which the
// customer may ask again). The phase comes from the thread (callback.ts).

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../../shared/api";
import { Icon, ICONS } from "../../shared/ui";
import type { CallbackPhase, CallbackRequest } from "../callback";
import { fmt, type Strings } from "../i18n";
import { callbackPhase, canRequestCallback, offer } from "../store/state";
import { useWidget } from "./context";

const WINDOWS = ["asap", "morning", "afternoon", "evening"] as const;

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

/** A phone number. The country picker (a national number's region) slots in here. */
function PhoneField({ value, set }: { value: string; set: (v: string) => void }) {
  const t = useWidget().t;
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <>
      <label for="fh-cb-phone">{t.cbPhone}</label>
      <input
        ref={input}
        id="fh-cb-phone"
        type="tel"
        autocomplete="tel"
        required
        placeholder={t.cbPhoneHint}
        data-testid="widget-callback-phone"
        value={value}
        onInput={(e) => set(e.currentTarget.value)}
      />
    </>
  );
}

function CallbackForm({ done }: { done: () => void }) {
  const w = useWidget();
  const t = w.t;
  const [phone, setPhone] = useState("");
  const [when, setWhen] = useState<string>("asap");
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const [sending, setSending] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const focusPhone = () => form.current?.querySelector<HTMLInputElement>("#fh-cb-phone")?.focus();

  const submit = async () => {
    const number = phone.trim();
    if (!/\d{5,}/.test(number.replace(/[\s().-]/g, ""))) {
      setError(t.cbBadPhone);
      focusPhone();
      return;
    }
    setError("");
    setSending(true);
    try {
      await w.requestCallback(number, when, reason.trim());
      done();
    } catch (err) {
      const bad = err instanceof ApiError && err.status === 400 && /phone/i.test(err.message);
      setError(bad ? t.cbBadPhone : t.cbFailed);
      setSending(false);
      if (bad) focusPhone();
    }
  };

  return (
    <form
      ref={form}
      aria-label={t.cbTitle}
      onSubmit={(e) => {
        e.preventDefault();
        return submit();
      }}
    >
      <strong class="cb-title">{t.cbTitle}</strong>
      <div class="cb-error" role="alert" hidden={!error}>
        {error}
      </div>
      <PhoneField value={phone} set={setPhone} />
      <label for="fh-cb-window">{t.cbWindow}</label>
      <select id="fh-cb-window" data-testid="widget-callback-window" value={when} onChange={(e) => setWhen(e.currentTarget.value)}>
        {WINDOWS.map((x) => (
          <option value={x}>{t[x]}</option>
        ))}
      </select>
      <label for="fh-cb-reason">{t.cbReason}</label>
      <textarea
        id="fh-cb-reason"
        rows={2}
        maxLength={500}
        data-testid="widget-callback-reason"
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      <div class="cb-row">
        <button class="cb-cancel" type="button" onClick={done}>
          {t.cbCancel}
        </button>
        <button class="cb-submit" type="submit" data-testid="widget-callback-submit" disabled={sending}>
          {sending ? t.cbSending : t.cbSubmit}
        </button>
      </div>
    </form>
  );
}
