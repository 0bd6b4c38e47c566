// Desk setup: the tenant's canned replies (add, edit, delete; shortcuts are
// typed after `/` in the composer) and its business hours (weekly hours in
// the tenant's time zone, holidays; outside them the widget offers a message
// or a callback at the next opening).

import { useEffect, useState } from "preact/hooks";
import type { BusinessHoursView, CannedReplyView, OpeningInterval, WeeklyHours } from "../../shared/types";
import { formatWhen } from "../../shared/util";
import type { CannedDraft } from "../desk";
import { Icon, ICONS, Spinner, useWorkspace } from "./ui";

const DAYS: [keyof WeeklyHours, string][] = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];

export function DeskView() {
  return (
    <main class="page desk-page" aria-label="Desk setup">
      <header class="page-head">
        <div>
          <h1>Desk setup</h1>
          <p class="muted">Canned replies for the composer and the team's business hours.</p>
        </div>
      </header>
      <div class="desk-grid">
        <CannedReplies />
        <BusinessHours />
      </div>
    </main>
  );
}

// ---- canned replies ---------------------------------------------------------------

const EMPTY_DRAFT: CannedDraft = { title: "", shortcut: "", text: "" };

function CannedReplies() {
  const ws = useWorkspace();
  const s = ws.state;
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<CannedDraft>(EMPTY_DRAFT);
  const [saving, setSaving] = useState(false);
  const edit = (r: CannedReplyView | null) => {
    setEditing(r ? r.id : null);
    setDraft(r ? { title: r.title, shortcut: r.shortcut, text: r.text } : EMPTY_DRAFT);
  };
  const save = async () => {
    setSaving(true);
    const ok = await ws.desk.saveCanned(editing, { ...draft, shortcut: draft.shortcut.replace(/^\//, "").trim() });
    setSaving(false);
    if (ok) edit(null);
  };
  return (
    <section class="card" aria-labelledby="canned-title" data-testid="canned-manager">
      <h2 id="canned-title">Canned replies</h2>
      <p class="muted small">
        Type <kbd>/</kbd> and the shortcut in the composer; <code>{"{customer.name}"}</code> and <code>{"{agent.name}"}</code> are filled in.
      </p>
      {s.cannedLoad === "loading" && !s.canned.length ? (
        <p class="muted small" aria-busy="true">
          <Spinner /> Loading…
        </p>
      ) : s.canned.length ? (
        <ul class="canned-list">
          {s.canned.map((r) => (
            <li key={r.id} class="canned-item" data-testid="canned-item" data-shortcut={r.shortcut}>
              <div>
                <strong>/{r.shortcut}</strong> · {r.title}
                <div class="muted small canned-preview">{r.text}</div>
              </div>
              <div class="row">
                <button class="btn tiny" type="button" aria-label={`Edit /${r.shortcut}`} onClick={() => edit(r)}>
                  Edit
                </button>
                <button class="btn tiny" type="button" aria-label={`Delete /${r.shortcut}`} onClick={() => void ws.desk.deleteCanned(r)}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted small">No canned reply yet.</p>
      )}
      <form
        class="canned-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <h3>{editing ? "Edit reply" : "New reply"}</h3>
        <label>
          Title
          <input class="field" data-testid="canned-title" required maxLength={80} value={draft.title} onInput={(e) => setDraft({ ...draft, title: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Shortcut
          <input
            class="field"
            data-testid="canned-shortcut"
            required
            maxLength={33}
            pattern="/?[A-Za-z0-9][A-Za-z0-9_\-]{0,31}"
            placeholder="e.g. refund"
            value={draft.shortcut}
            onInput={(e) => setDraft({ ...draft, shortcut: (e.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <label>
          Text
          <textarea
            class="field"
            data-testid="canned-text"
            required
            rows={4}
            maxLength={4000}
            placeholder="Hi {customer.name}, …"
            value={draft.text}
            onInput={(e) => setDraft({ ...draft, text: (e.currentTarget as HTMLTextAreaElement).value })}
          />
        </label>
        <div class="row">
          <button class="btn primary" type="submit" data-testid="canned-save" disabled={saving}>
            {editing ? "Save reply" : "Add reply"}
          </button>
          {editing ? (
            <button class="btn" type="button" onClick={() => edit(null)}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}

// ---- business hours ------------------------------------------------------------------

type DayDraft = { open: boolean; from: string; to: string; more: OpeningInterval[] };

// A time field stops at 23:59: a day open until midnight shows 23:59 and is saved as 24:00.
const toField = (t: string) => (t === "24:00" ? "23:59" : t);
const fromField = (t: string) => (t === "23:59" ? "24:00" : t);
type HoursDraft = { tz: string; days: Record<string, DayDraft>; holidays: string };

function draftOf(h: BusinessHoursView | null, teamZone: string | undefined): HoursDraft {
  const days: Record<string, DayDraft> = {};
  for (const [d] of DAYS) {
    const list = h?.weekly[d] || [];
    days[d] = list.length
      ? { open: true, from: list[0].open, to: toField(list[0].close), more: list.slice(1) }
      : { open: !h && d !== "sat" && d !== "sun", from: "09:00", to: "17:00", more: [] };
  }
  // The team's one time zone (callback windows use it too): the hours never bring their own.
  const tz = h?.time_zone || teamZone || "UTC";
  return { tz, days, holidays: (h?.holidays || []).join(", ") };
}

function hoursOf(d: HoursDraft): BusinessHoursView {
  const weekly: WeeklyHours = {};
  for (const [day] of DAYS) {
    const x = d.days[day];
    // The editor shows a day's first interval; further ones (set over the API) are kept.
    weekly[day] = x.open ? [{ open: x.from, close: fromField(x.to) }, ...x.more] : [];
  }
  const holidays = d.holidays
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  return { time_zone: d.tz.trim(), weekly, holidays };
}

function BusinessHours() {
  const ws = useWorkspace();
  const s = ws.state;
  const [draft, setDraft] = useState<HoursDraft | null>(null);
  useEffect(() => {
    if (s.hoursLoad === "ready" && draft === null) setDraft(draftOf(s.hours?.hours || null, s.hours?.time_zone));
  }, [s.hoursLoad]);
  const team = s.team;
  const status = team ? (team.open ? "Open now" : `Closed · opens ${formatWhen(team.next_open_at)}`) : "…";
  if (!draft) {
    return (
      <section class="card" aria-labelledby="hours-title">
        <h2 id="hours-title">Business hours</h2>
        {s.hoursLoad === "error" ? (
          <p class="muted small">
            Couldn't load the hours.{" "}
            <button class="link small" type="button" onClick={() => void ws.desk.loadHours()}>
              Try again
            </button>
          </p>
        ) : (
          <p class="muted small" aria-busy="true">
            <Spinner /> Loading…
          </p>
        )}
      </section>
    );
  }
  const setDay = (day: string, patch: Partial<DayDraft>) => setDraft({ ...draft, days: { ...draft.days, [day]: { ...draft.days[day], ...patch } } });
  return (
    <section class="card" aria-labelledby="hours-title" data-testid="hours-editor">
      <h2 id="hours-title">Business hours</h2>
      <p class="muted small">
        <span data-testid="hours-status">{status}</span>.{" "}
        {s.hours?.hours ? "Callback due times and waiting times count open hours only." : "No hours set: the team counts as open around the clock."}{" "}
        A day closing at 23:59 is open until midnight.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void ws.desk.saveHours(hoursOf(draft));
        }}
      >
        <label>
          Time zone (the team's: callback windows use it too)
          <input class="field" data-testid="hours-tz" required value={draft.tz} onInput={(e) => setDraft({ ...draft, tz: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <table class="hours-table">
          <tbody>
            {DAYS.map(([day, label]) => {
              const x = draft.days[day];
              return (
                <tr key={day}>
                  <th scope="row">
                    <label class="inline">
                      <input type="checkbox" data-testid={`hours-${day}-open`} checked={x.open} onChange={(e) => setDay(day, { open: (e.currentTarget as HTMLInputElement).checked })} />
                      {label}
                    </label>
                  </th>
                  <td>
                    <input class="field time" type="time" aria-label={`${label} opens`} data-testid={`hours-${day}-from`} disabled={!x.open} value={x.from} onInput={(e) => setDay(day, { from: (e.currentTarget as HTMLInputElement).value })} />
                  </td>
                  <td>
                    <input class="field time" type="time" aria-label={`${label} closes`} data-testid={`hours-${day}-to`} disabled={!x.open} value={x.to} onInput={(e) => setDay(day, { to: (e.currentTarget as HTMLInputElement).value })} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <label>
          Holidays (closed days, yyyy-mm-dd)
          <input class="field" data-testid="hours-holidays" placeholder="2026-12-24, 2026-12-25" value={draft.holidays} onInput={(e) => setDraft({ ...draft, holidays: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <div class="row">
          <button class="btn primary" type="submit" data-testid="hours-save">
            <Icon d={ICONS.check} size={15} />
            Save hours
          </button>
          {s.hours?.hours ? (
            <button
              class="btn"
              type="button"
              data-testid="hours-clear"
              onClick={() => {
                void ws.desk.saveHours(null).then((ok) => ok && setDraft(draftOf(null, ws.state.hours?.time_zone)));
              }}
            >
              Remove hours
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
