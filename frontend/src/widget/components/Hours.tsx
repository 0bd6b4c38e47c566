// Outside business hours: when the team opens next, and the week's opening
// hours (in the tenant's time zone, shown in the customer's own clock). The
// callback box below offers a call for the next opening.

import type { BusinessHoursView, OpeningInterval } from "../../shared/types";
import { formatWhen } from "../../shared/util";
import { fmt, type Strings } from "../i18n";
import { closedHours } from "../store/state";
import { useWidget } from "./context";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** "Monday" … in the customer's language (2024-01-01 was a Monday). */
function dayName(i: number, locale: string | undefined): string {
  return new Date(Date.UTC(2024, 0, 1 + i)).toLocaleDateString(locale, { weekday: "long", timeZone: "UTC" });
}

function intervals(list: OpeningInterval[] | undefined, t: Strings): string {
  return list && list.length ? list.map((x) => `${x.open}–${x.close}`).join(", ") : t.closedDay;
}

function Week({ hours, locale }: { hours: BusinessHoursView; locale: string | undefined }) {
  const t = useWidget().t;
  return (
    <details class="hours-week">
      <summary>{t.hoursTitle}</summary>
      <table>
        <tbody>
          {DAYS.map((d, i) => (
            <tr key={d}>
              <th scope="row">{dayName(i, locale)}</th>
              <td>{intervals(hours.weekly[d], t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="tz">{hours.time_zone}</p>
    </details>
  );
}

/** When the team opens next, in the customer's language ("Tue 09:00"). */
export function opensAt(next: string | null, locale: string | undefined): string {
  return next ? formatWhen(next, locale) : "";
}

export function HoursNotice() {
  const w = useWidget();
  const s = w.state;
  if (!closedHours(s) || !s.team) return null;
  const locale = s.lang === "sv" ? "sv-SE" : undefined;
  const when = opensAt(s.team.nextOpenAt, locale);
  return (
    <div class="hours" data-testid="widget-hours" data-open="false" role="status">
      <p>{when ? fmt(w.t.closedNow, { when }) : w.t.closedNoNext}</p>
      {s.team.hours ? <Week hours={s.team.hours} locale={locale} /> : null}
    </div>
  );
}
