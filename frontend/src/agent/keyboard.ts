// Keyboard shortcuts for the moves agents make all day. One table: the `?`
// overlay lists it and the key handler reads it, so they never disagree.
// Shortcuts never fire while the focus is in a text field, a select or an
// editable element, nor with Ctrl / Cmd / Alt held (browser shortcuts stay).

import type { Workspace } from "./workspace";

export interface Shortcut {
  id: string;
  /** KeyboardEvent.key values that trigger it. */
  keys: string[];
  label: string;
  run: (ws: Workspace) => void;
}

function needsThread(ws: Workspace, then: () => void): void {
  if (!ws.state.selectedId) ws.toast("Open a conversation first.", "info");
  else then();
}

export const SHORTCUTS: Shortcut[] = [
  { id: "next-unread", keys: ["j"], label: "Next conversation with unread messages", run: (ws) => ws.selectNextUnread() },
  {
    id: "reply",
    keys: ["r"],
    label: "Reply to the customer (focus the composer)",
    run: (ws) =>
      needsThread(ws, () => {
        ws.showView("lane");
        ws.setNoteMode(false);
        ws.focus("composer");
      }),
  },
  {
    id: "note",
    keys: ["n"],
    label: "Write an internal note",
    run: (ws) =>
      needsThread(ws, () => {
        ws.showView("lane");
        ws.setNoteMode(true);
        ws.focus("composer");
      }),
  },
  { id: "assign", keys: ["a"], label: "Take ownership of the open conversation", run: (ws) => ws.takeOwnership() },
  { id: "close", keys: ["c"], label: "Close the open conversation", run: (ws) => ws.closeConversation() },
  {
    id: "search",
    keys: ["/"],
    label: "Search customers (name, e-mail), phone numbers and ids",
    run: (ws) => {
      ws.showView("lane");
      ws.focus("search");
    },
  },
  { id: "help", keys: ["?"], label: "Show these shortcuts", run: (ws) => ws.setHelp(true) },
];

/** Keys inside the composer (listed in the `?` overlay; they are the composer's, not page shortcuts). */
export const COMPOSER_KEYS: { keys: string[]; label: string }[] = [
  { keys: ["/"], label: "Canned replies: type / and a shortcut, Enter inserts" },
  { keys: ["Enter"], label: "Send (Shift+Enter: new line)" },
  { keys: ["Esc"], label: "Close the picker, or leave the composer" },
];

/** True when a key press belongs to what the user is typing, not to a shortcut. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  const tag = el.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
}

export function shortcutFor(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "target">): Shortcut | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return undefined;
  return SHORTCUTS.find((s) => s.keys.includes(e.key));
}

/** The page-wide key handler; returns a function that removes it. */
export function bindShortcuts(ws: Workspace): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.isComposing) return;
    if (ws.state.help) {
      if (e.key === "Escape" || e.key === "?") {
        e.preventDefault();
        ws.setHelp(false);
      }
      return;
    }
    const s = shortcutFor(e);
    if (!s) return;
    e.preventDefault();
    s.run(ws);
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
