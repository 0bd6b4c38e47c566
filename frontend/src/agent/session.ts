// A signed-in agent's credentials: REST calls with a fresh ID token (refreshed
// before it expires) and the WebSocket URL. An expired session signs out.

import { apiFetch, isAuthFailure } from "../shared/api";
import type { HubConfig } from "../shared/types";
import { refreshTokens, saveTokens, tokenExpired, type Tokens } from "./auth";

export type ApiOptions = { method?: string; body?: unknown };

export class Session {
  private ended = false;

  constructor(
    readonly cfg: HubConfig,
    public tokens: Tokens,
    private onExpired: () => void,
  ) {}

  get username(): string {
    return this.tokens.username;
  }

  /** Stops this session from signing out again (after a sign-out or a new sign-in). */
  end(): void {
    this.ended = true;
  }

  async api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
    await this.ensureFreshToken();
    try {
      return await apiFetch<T>(this.cfg.apiUrl, path, { ...opts, token: this.tokens.idToken });
    } catch (e) {
      if (isAuthFailure(e)) this.expired();
      throw e;
    }
  }

  async wsUrl(): Promise<string> {
    await this.ensureFreshToken();
    const sep = this.cfg.wsUrl.includes("?") ? "&" : "?";
    return `${this.cfg.wsUrl}${sep}token=${encodeURIComponent(this.tokens.idToken)}`;
  }

  async ensureFreshToken(): Promise<void> {
    if (!tokenExpired(this.tokens.idToken)) return;
    const fresh = await refreshTokens(this.cfg, this.tokens);
    if (!fresh) {
      this.expired();
      throw new Error("session expired");
    }
    this.tokens = fresh;
    saveTokens(fresh);
  }

  expired(): void {
    if (this.ended) return;
    this.onExpired();
  }
}
