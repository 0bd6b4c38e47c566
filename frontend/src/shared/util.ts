export function uuid(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context: fall through */
    }
  }
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Milliseconds since the epoch from an ISO string or epoch seconds/ms. */
export function toMs(t: string | number | null | undefined): number {
  if (t == null || t === "") return NaN;
  if (typeof t === "number") return t < 1e12 ? t * 1000 : t;
  if (/^\d+(\.\d+)?$/.test(t)) return toMs(Number(t));
  return Date.parse(t);
}

export function formatTime(t: string | number | null | undefined, locale?: string): string {
  const ms = toMs(t);
  if (!isFinite(ms)) return "";
  return new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

/** When something happens next, for people: "Tue 09:00" (a weekday and a time), optionally in a time zone. */
export function formatWhen(t: string | number | null | undefined, locale?: string, timeZone?: string): string {
  const ms = toMs(t);
  if (!isFinite(ms)) return "";
  try {
    return new Date(ms).toLocaleString(locale, { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone });
  } catch {
    return new Date(ms).toLocaleString(locale, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  }
}

/** Short relative time for lists: "now", "5m", "3h", else a date. */
export function formatAgo(t: string | number | null | undefined, now = Date.now(), locale?: string): string {
  const ms = toMs(t);
  if (!isFinite(ms)) return "";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return "now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  return new Date(ms).toLocaleDateString(locale, { month: "short", day: "numeric" });
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "?";
  const first = Array.from(parts[0])[0] || "";
  const second = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || "" : "";
  return (first + second).toUpperCase();
}

/** localStorage / sessionStorage that never throws (blocked storage, quota). */
export function storageGet<T>(store: "local" | "session", key: string): T | null {
  try {
    const s = store === "local" ? window.localStorage : window.sessionStorage;
    const raw = s.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function storageSet(store: "local" | "session", key: string, value: unknown): void {
  try {
    const s = store === "local" ? window.localStorage : window.sessionStorage;
    if (value === null || value === undefined) s.removeItem(key);
    else s.setItem(key, JSON.stringify(value));
  } catch {
    /* storage unavailable or full: keep working in memory */
  }
}

/** Decodes a JWT's payload (no verification: the hub verifies). */
export function jwtClaims(token: string): Record<string, unknown> | null {
  try {
    const part = token.split(".")[1];
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}
