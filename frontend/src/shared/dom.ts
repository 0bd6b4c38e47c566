// DOM-side helpers both apps share: icon path data (drawn by ui.tsx's <Icon>)
// and the scroll check that keeps a thread pinned to its bottom.

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
