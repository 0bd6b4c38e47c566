// The reply box: a reply to the customer or, with "Internal note", a note only
// agents see. Enter sends, Shift+Enter adds a line; typing is reported to the
// thread (throttled by the chat core).

import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { MAX_TEXT } from "../../shared/types";
import { Icon, ICONS, useWorkspace } from "./ui";

export function Composer({ closed }: { closed: boolean }) {
  const ws = useWorkspace();
  const note = ws.state.noteMode;
  const [text, setText] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(180, el.scrollHeight)}px`;
  }, [text]);

  const len = text.length;
  const over = len > MAX_TEXT;
  const hint = closed
    ? "This conversation is closed."
    : over
      ? `${len - MAX_TEXT} characters over the 4,000 limit`
      : len > MAX_TEXT - 500
        ? `${MAX_TEXT - len} characters left`
        : note
          ? "Internal note: only agents see this · Enter to add"
          : "Enter to send · Shift+Enter for a new line";

  const submit = () => {
    if (closed || !ws.send(text)) return;
    setText("");
  };
  const change = (value: string) => {
    setText(value);
    ws.typing(value);
  };

  return (
    <form
      class={`composer${note ? " note-mode" : ""}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div class="composer-tools">
        <span class="mode-label">{note ? "Internal note · agents only" : "Reply to customer"}</span>
        <button
          class="note-toggle"
          type="button"
          data-testid="note-toggle"
          aria-pressed={note ? "true" : "false"}
          title="Internal notes are visible to agents only"
          onClick={() => {
            ws.setNoteMode(!note);
            input.current?.focus();
          }}
        >
          <Icon d={ICONS.note} size={16} />
          Internal note
        </button>
      </div>
      <textarea
        ref={input}
        rows={2}
        data-testid="composer-input"
        aria-label={note ? "Internal note" : "Reply to the customer"}
        placeholder={note ? "Write an internal note (only agents can see it)… Mention a colleague with @Name" : "Write a reply…"}
        disabled={closed}
        value={text}
        onInput={(e) => change((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          } else if (e.key === "Escape") {
            (e.currentTarget as HTMLTextAreaElement).blur();
          }
        }}
      />
      <div class="composer-foot">
        <div class={`hint${over ? " over" : ""}`}>{hint}</div>
        <button class="btn primary send" type="submit" data-testid="composer-send" disabled={closed || !text.trim() || over}>
          <Icon d={ICONS.send} size={16} />
          <span>{note ? "Add note" : "Send"}</span>
        </button>
      </div>
    </form>
  );
}
