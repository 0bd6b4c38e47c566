// The reply box: a reply to the customer or, with "Internal note", a note only
// agents see. Enter sends, Shift+Enter adds a line; typing is reported to the
// thread (throttled by the chat core). Typing `/` opens the canned replies:
// the picker filters as you type, ↑/↓ choose, Enter or Tab inserts the reply
// with the customer's and your name filled in, Esc closes it.

import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { CannedReplyView } from "../../shared/types";
import { MAX_TEXT } from "../../shared/types";
import { fillPlaceholders, filterReplies, insertReply, slashQuery, type SlashQuery } from "../canned";
import { Icon, ICONS, useWorkspace } from "./ui";

export function Composer({ closed, customerName }: { closed: boolean; customerName?: string }) {
  const ws = useWorkspace();
  const note = ws.state.noteMode;
  const [text, setText] = useState("");
  const [slash, setSlash] = useState<SlashQuery | null>(null);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLTextAreaElement>(null);
  const caretAfter = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(180, el.scrollHeight)}px`;
    if (caretAfter.current !== null) {
      el.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  }, [text]);

  const options = slash ? filterReplies(ws.state.canned, slash.query) : [];
  const picking = slash !== null;

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
          : "Enter to send · Shift+Enter for a new line · / for canned replies";

  const submit = () => {
    if (closed || !ws.send(text)) return;
    setText("");
    setSlash(null);
  };
  const change = (value: string, caret: number) => {
    setText(value);
    const q = slashQuery(value, caret);
    if (q?.query !== slash?.query) setActive(0);
    setSlash(q);
    ws.typing(value);
  };
  const insert = (reply: CannedReplyView) => {
    if (!slash) return;
    const filled = fillPlaceholders(reply.text, customerName, ws.state.me.name);
    const next = insertReply(text, slash, filled);
    caretAfter.current = next.caret;
    setText(next.text);
    setSlash(null);
    ws.typing(next.text);
    input.current?.focus();
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
      {picking ? (
        <CannedPicker
          options={options}
          active={Math.min(active, Math.max(0, options.length - 1))}
          query={slash.query}
          onPick={insert}
          onHover={setActive}
        />
      ) : null}
      <textarea
        ref={input}
        rows={2}
        data-testid="composer-input"
        aria-label={note ? "Internal note" : "Reply to the customer"}
        aria-autocomplete="list"
        aria-controls={picking ? "canned-picker" : undefined}
        aria-activedescendant={picking && options.length ? `canned-${options[Math.min(active, options.length - 1)].id}` : undefined}
        placeholder={note ? "Write an internal note (only agents can see it)… Mention a colleague with @Name" : "Write a reply… ( / for canned replies)"}
        disabled={closed}
        value={text}
        onInput={(e) => {
          const el = e.currentTarget as HTMLTextAreaElement;
          change(el.value, el.selectionStart ?? el.value.length);
        }}
        onKeyDown={(e) => {
          if (picking) {
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              const n = options.length;
              if (n) setActive((a) => (e.key === "ArrowDown" ? (a + 1) % n : (a - 1 + n) % n));
              return;
            }
            if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && !e.isComposing && options.length) {
              e.preventDefault();
              insert(options[Math.min(active, options.length - 1)]);
              return;
            }
            if (e.key === "Escape") {
              e.preventDefault();
              setSlash(null);
              return;
            }
          }
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          } else if (e.key === "Escape") {
            (e.currentTarget as HTMLTextAreaElement).blur();
          }
        }}
        onBlur={() => setTimeout(() => setSlash(null), 150)}
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

function CannedPicker({
  options,
  active,
  query,
  onPick,
  onHover,
}: {
  options: CannedReplyView[];
  active: number;
  query: string;
  onPick: (r: CannedReplyView) => void;
  onHover: (i: number) => void;
}) {
  const ws = useWorkspace();
  return (
    <div class="canned-picker" id="canned-picker" data-testid="canned-picker">
      {options.length ? (
        <ul role="listbox" aria-label="Canned replies">
          {options.map((r, i) => (
            <li
              id={`canned-${r.id}`}
              key={r.id}
              role="option"
              aria-selected={i === active ? "true" : "false"}
              class={`canned-option${i === active ? " active" : ""}`}
              data-testid="canned-option"
              data-shortcut={r.shortcut}
              // mousedown, not click: the textarea keeps the focus and the caret.
              onMouseDown={(e) => {
                e.preventDefault();
                onPick(r);
              }}
              onMouseEnter={() => onHover(i)}
            >
              <span class="canned-shortcut">/{r.shortcut}</span>
              <span class="canned-title">{r.title}</span>
              <span class="canned-text">{r.text}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted small">
          {ws.state.cannedLoad === "loading" ? "Loading canned replies…" : `No canned reply starts with /${query}.`}{" "}
          <button
            class="link small"
            type="button"
            onMouseDown={(e) => {
              e.preventDefault();
              ws.showView("desk");
            }}
          >
            Manage canned replies
          </button>
        </p>
      )}
    </div>
  );
}
