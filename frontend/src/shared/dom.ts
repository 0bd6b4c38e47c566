// Tiny DOM helpers. User data only ever reaches the page through text nodes
// (textContent / createTextNode) and attribute values; never via innerHTML.

export type Child = Node | string | number | null | undefined | false;
type Handler = (ev: any) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Handler>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const key of Object.keys(props)) {
      const value = props[key];
      if (value == null || value === false) continue;
      if (typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === "className") {
        el.className = String(value);
      } else if (key === "text") {
        el.textContent = String(value);
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c == null || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An inline SVG icon built from path data (24x24 viewBox, stroke style). */
export function icon(paths: string[], size = 20, className = "icon"): SVGSVGElement {
  const s = document.createElementNS(SVG_NS, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("width", String(size));
  s.setAttribute("height", String(size));
  s.setAttribute("fill", "none");
  s.setAttribute("stroke", "currentColor");
  s.setAttribute("stroke-width", "2");
  s.setAttribute("stroke-linecap", "round");
  s.setAttribute("stroke-linejoin", "round");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  s.setAttribute("class", className);
  for (const d of paths) {
    const p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", d);
    s.appendChild(p);
  }
  return s;
}

export const ICONS = {
  chat: ["M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-5A8 8 0 1 1 21 12z"],
  close: ["M6 6l12 12", "M18 6L6 18"],
  send: ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"],
  note: ["M5 4h11l3 3v13H5z", "M9 10h6", "M9 14h6"],
  retry: ["M4 12a8 8 0 0 1 14-5.3L20 9", "M20 4v5h-5", "M20 12a8 8 0 0 1-14 5.3L4 15", "M4 20v-5h5"],
  check: ["M5 12.5l4.5 4.5L19 7.5"],
  checks: ["M2.5 12.5l4.5 4.5L16.5 7.5", "M12 16.2l.8.8L22.3 7.5"],
  clock: ["M12 7v5l3 2", "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z"],
  alert: ["M12 8v5", "M12 16.5v.5", "M10.3 3.9L2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"],
  inbox: ["M3 13l3-8h12l3 8", "M3 13v6h18v-6h-5l-1.5 2.5h-5L8 13z"],
  logout: ["M15 4h4v16h-4", "M10 8l-4 4 4 4", "M6 12h10"],
  phone: ["M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z"],
};

/** Keeps a scroll container pinned to the bottom when it was already there. */
export function nearBottom(el: HTMLElement, slack = 80): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight < slack;
}

/**
 * Brings `container`'s children in line with `items`, reusing the element of
 * an item whose key and signature did not change (so focus, selection and
 * scroll survive re-renders and nothing flickers).
 */
const keyed = new WeakMap<Element, Map<string, { sig: string; el: HTMLElement }>>();

export function reconcile<T>(
  container: HTMLElement,
  items: T[],
  key: (item: T) => string,
  sig: (item: T) => string,
  render: (item: T) => HTMLElement,
): void {
  const old = keyed.get(container) || new Map<string, { sig: string; el: HTMLElement }>();
  const next = new Map<string, { sig: string; el: HTMLElement }>();
  const els: HTMLElement[] = [];
  for (const item of items) {
    const k = key(item);
    if (next.has(k)) continue;
    const s = sig(item);
    let rec = old.get(k);
    if (!rec || rec.sig !== s) rec = { sig: s, el: render(item) };
    next.set(k, rec);
    els.push(rec.el);
  }
  els.forEach((el, i) => {
    const at = container.children[i] || null;
    if (at !== el) container.insertBefore(el, at);
  });
  while (container.children.length > els.length) container.removeChild(container.lastElementChild!);
  keyed.set(container, next);
}
