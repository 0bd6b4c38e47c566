// The panel's head (title, status line, close) and the banner that says the
// connection is being restored or the chat is unavailable.

import { Icon, ICONS } from "../../shared/ui";
import type { Strings } from "../i18n";
import { status, type Status } from "../store/state";
import { useWidget } from "./context";

function statusText(t: Strings, st: Status, fatal: string | null): string {
  if (st === "error") return fatal || t.unavailable;
  return t[st];
}

export function Header() {
  const w = useWidget();
  const s = w.state;
  const t = w.t;
  const st = status(s);
  return (
    <header class="head">
      <div class="avatar" aria-hidden="true">
        <Icon d={ICONS.chat} size={20} />
      </div>
      <div class="titles">
        <h2>{s.title || t.title}</h2>
        <div class="status" data-testid="widget-status" data-state={st} role="status">
          <span class="dot" aria-hidden="true" />
          <span class="status-text">{statusText(t, st, s.fatal)}</span>
        </div>
      </div>
      <button class="close" type="button" aria-label={t.closeChat} onClick={() => w.close(true)}>
        <Icon d={ICONS.close} size={20} />
      </button>
    </header>
  );
}

export function Banner() {
  const w = useWidget();
  const s = w.state;
  const st = status(s);
  const show = st === "reconnecting" || st === "error";
  return (
    <div class="banner" role="alert" hidden={!show}>
      {show && <Icon d={ICONS.alert} size={14} />}
      {show && statusText(w.t, st, s.fatal)}
    </div>
  );
}
