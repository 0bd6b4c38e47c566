// The callback request form: country and phone, preferred window, an optional
// reason. A national number is read in the picked country: the shop's own region
// (the hub's default_region) first, else the visitor's locale; the hub checks the
// number, and its answer, or the network's failure, shows in the form.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../../shared/api";
import { COUNTRIES, localeRegion } from "../i18n";
import { useWidget } from "./context";

export const WINDOWS = ["asap", "morning", "afternoon", "evening"] as const;

/** A country (a national number's region) and a phone number. */
function PhoneField({ value, set, region, setRegion }: { value: string; set: (v: string) => void; region: string; setRegion: (v: string) => void }) {
  const t = useWidget().t;
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const known = COUNTRIES.some(([code]) => code === region);
  return (
    <div class="cb-phone-row">
      <div class="cb-field country">
        <label for="fh-cb-country">{t.cbCountry}</label>
        <select id="fh-cb-country" data-testid="widget-callback-country" value={region} onChange={(e) => setRegion(e.currentTarget.value)}>
          {!known && region ? <option value={region}>{region}</option> : null}
          {COUNTRIES.map(([code, label]) => (
            <option value={code}>{label}</option>
          ))}
        </select>
      </div>
      <div class="cb-field number">
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
      </div>
    </div>
  );
}

export function CallbackForm({ done }: { done: () => void }) {
  const w = useWidget();
  const t = w.t;
  const [phone, setPhone] = useState("");
  const [region, setRegion] = useState(w.state.defaultRegion || localeRegion(navigator.language) || (w.state.lang === "sv" ? "SE" : "SE"));
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
      await w.requestCallback(number, when, reason.trim(), region);
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
      <PhoneField value={phone} set={setPhone} region={region} setRegion={setRegion} />
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
