// Splits message text into plain text and safe http(s) links (ui.tsx's
// <RichText> renders them as text nodes and <a> elements). No other scheme
// (javascript:, data:, mailto:, …) ever becomes a link, and no markup in the
// text is ever interpreted.

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'")\]}>*]$/;

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

function trimUrl(url: string): string {
  while (TRAILING.test(url)) {
    const last = url[url.length - 1];
    if (last === ")" && count(url, "(") >= count(url, ")")) break;
    url = url.slice(0, -1);
  }
  return url;
}

export function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return parsed.href;
  } catch {
    /* not a URL */
  }
  return null;
}

export interface TextPart {
  text: string;
  /** Set when this part is a safe http(s) link. */
  href?: string;
}

/** Splits message text into plain parts and safe http(s) links (for any renderer). */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  URL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_RE.exec(text)) !== null) {
    const start = m.index;
    const url = trimUrl(m[0]);
    const href = url.length > "https://".length - 1 ? safeHref(url) : null;
    if (!href) continue;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href });
    last = start + url.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
