// The round button in the corner: opens and closes the panel, and while the
// panel is closed shows how many agent replies the customer has not seen.

import { useEffect, useRef } from "preact/hooks";
import { Icon, ICONS } from "../../shared/ui";
import { fmt } from "../i18n";
import { unread } from "../store/state";
import { useWidget } from "./context";

export function Launcher() {
  const w = useWidget();
  const s = w.state;
  const t = w.t;
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (s.focusLauncher) button.current?.focus();
  }, [s.focusLauncher]);

  const n = s.open ? 0 : unread(s);
  const shown = n > 99 ? "99+" : String(n);
  // The name holds the badge's visible text, outside parentheses (WCAG 2.5.3, label in name).
  const label = s.open ? t.closeChat : n > 0 ? `${t.openChat}, ${n === 1 ? t.unreadOne : fmt(t.unreadMany, { n: shown })}` : t.openChat;
  return (
    <button
      ref={button}
      class="launcher"
      type="button"
      data-testid="launcher"
      data-unread={n}
      aria-label={label}
      aria-expanded={s.open ? "true" : "false"}
      aria-controls="fh-panel"
      onClick={() => w.toggle()}
    >
      <Icon d={ICONS.chat} size={26} />
      <span class="badge" data-testid="launcher-badge" aria-hidden="true" hidden={n === 0}>
        {shown}
      </span>
    </button>
  );
}
