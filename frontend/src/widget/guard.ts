// The widget lives on someone else's page: nothing it does may throw into the
// host page. Errors are reported on the console and swallowed here, and only
// here (event handlers, timers, the mount and the public API go through `guard`).

export function report(where: string, e: unknown): void {
  try {
    console.warn(`[flowhub] ${where}:`, e);
  } catch {
    /* console unavailable */
  }
}

/** Wraps a function so neither a throw nor a rejected promise escapes into the host page. */
export function guard<A extends unknown[]>(where: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => {
    try {
      const r = fn(...args);
      if (r && typeof (r as Promise<unknown>).catch === "function") (r as Promise<unknown>).catch((e) => report(where, e));
    } catch (e) {
      report(where, e);
    }
  };
}
