import type { HubConfig } from "./types";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    /** The parsed error body (e.g. the blockers of a 409 `launch_blocked`). */
    public data?: unknown,
  ) {
    super(message);
  }
}

/** The credential was not accepted: 401, or 403 from API Gateway's authorizer. */
export function isAuthFailure(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

export async function apiFetch<T>(
  base: string,
  path: string,
  opts: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.token) headers["Authorization"] = opts.token;
  let res: Response;
  try {
    res = await fetch(joinUrl(base, path), {
      method: opts.method || "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The hub could not be reached.");
  }
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    /* empty or non-JSON body */
  }
  if (!res.ok) {
    throw new ApiError(
      res.status,
      (data && typeof data.code === "string" && data.code) || `http_${res.status}`,
      (data && typeof data.message === "string" && data.message) ||
        (data && typeof data.Message === "string" && data.Message) || // API Gateway's own errors
        res.statusText ||
        "Request failed",
      data,
    );
  }
  return data as T;
}

export async function loadConfig(url: string): Promise<HubConfig> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: "omit", cache: "no-store" });
  } catch {
    throw new ApiError(0, "network", "The hub could not be reached.");
  }
  if (!res.ok) throw new ApiError(res.status, "config", `config.json answered ${res.status}`);
  const cfg = (await res.json()) as HubConfig;
  if (!cfg || typeof cfg.apiUrl !== "string" || typeof cfg.wsUrl !== "string") {
    throw new ApiError(0, "config", "config.json lacks apiUrl or wsUrl");
  }
  return cfg;
}
