// What floats above the workspace: the `?` keyboard-shortcuts overlay and the toasts.

import { useEffect, useRef } from "preact/hooks";
import { COMPOSER_KEYS, SHORTCUTS } from "../keyboard";
import { Icon, ICONS, useWorkspace } from "./ui";

export function ShortcutsOverlay() {
  const ws = useWorkspace();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && ws.setHelp(false)}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts-overlay">
        <div class="dialog-head">
          <h2 id="shortcuts-title">Keyboard shortcuts</h2>
          <button ref={close} class="icon-btn" type="button" aria-label="Close" onClick={() => ws.setHelp(false)}>
            <Icon d={ICONS.close} size={18} />
          </button>
        </div>
        <p class="muted small">They work anywhere outside a text field. Esc leaves a text field or closes this list.</p>
        <dl class="shortcuts">
          {SHORTCUTS.map((s) => (
            <div class="shortcut" data-shortcut={s.id}>
              <dt>
                {s.keys.map((k) => (
                  <kbd>{k}</kbd>
                ))}
              </dt>
              <dd>{s.label}</dd>
            </div>
          ))}
        </dl>
        <h3 class="small">In the composer</h3>
        <dl class="shortcuts">
          {COMPOSER_KEYS.map((s) => (
            <div class="shortcut">
              <dt>
                {s.keys.map((k) => (
                  <kbd>{k}</kbd>
                ))}
              </dt>
              <dd>{s.label}</dd>
            </div>
          ))}
        </dl>
      </div>
    </div>
  );
}

export function Toasts() {
  const ws = useWorkspace();
  return (
    <div class="toasts" aria-live="polite">
      {ws.state.toasts.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
