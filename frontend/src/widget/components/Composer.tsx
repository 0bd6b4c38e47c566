// The customer's message box. Enter sends, Shift+Enter adds a line; typing is
// reported to the agents (throttled by the chat core); the unsent text is kept
// as the conversation's draft across reloads and cleared once sent.

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { MAX_TEXT } from "../../shared/types";
import { Icon, ICONS } from "../../shared/ui";
import { fmt } from "../i18n";
import { status } from "../store/state";
import { useWidget } from "./context";

export function Composer() {
  const w = useWidget();
  const s = w.state;
  const t = w.t;
  const [text, setText] = useState(() => w.draft());
  const input = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(120, el.scrollHeight)}px`;
  }, [text, s.open]);
  useEffect(() => {
    if (!s.focusInput) return;
    // After the panel has become visible.
    const timer = setTimeout(() => input.current?.focus(), 0);
    return () => clearTimeout(timer);
  }, [s.focusInput]);

  const over = text.length - MAX_TEXT;
  const submit = () => {
    if (w.send(text)) setText("");
  };
  return (
    <>
      <div class="limit" id="fh-limit" aria-live="polite" hidden={over <= 0}>
        {over > 0 ? fmt(t.tooLong, { n: over }) : ""}
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label class="sr" for="fh-input">
          {t.inputLabel}
        </label>
        <textarea
          ref={input}
          id="fh-input"
          rows={1}
          placeholder={t.placeholder}
          data-testid="widget-input"
          aria-describedby="fh-limit"
          autocomplete="off"
          disabled={status(s) === "error"}
          value={text}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            w.typing(value);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button class="send" type="submit" data-testid="widget-send" aria-label={t.send} disabled={!text.trim() || over > 0}>
          <Icon d={ICONS.send} size={18} />
        </button>
      </form>
    </>
  );
}
