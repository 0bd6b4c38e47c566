// Preact building blocks both apps render with: icons (inline SVG from the
// path data in dom.ts) and message text with safe links (never markup).

import { splitLinks } from "./linkify";

export { ICONS } from "./dom";

export function Icon({ d, size = 20, className = "icon" }: { d: string[]; size?: number; className?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width={size}
      height={size}
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
      class={className}
    >
      {d.map((p) => (
        <path d={p} />
      ))}
    </svg>
  );
}

/** Message text: plain text, with http(s) URLs as safe links (never markup). */
export function RichText({ text }: { text: string }) {
  return (
    <>
      {splitLinks(text).map((p) =>
        p.href ? (
          <a href={p.href} rel="noopener noreferrer nofollow" target="_blank">
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </>
  );
}
