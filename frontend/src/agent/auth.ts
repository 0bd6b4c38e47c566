// Cognito sign-in straight from the browser (USER_PASSWORD_AUTH), against real
// Cognito or the local moto server. The tokens live in localStorage so every tab of the
// dashboard shares one session (a new tab does not ask to sign in again), and an expired ID
// token is renewed with the refresh token (REFRESH_TOKEN_AUTH). Signing out in one tab signs
// out the others (the `storage` event). The dashboard never renders user data as HTML, which
// is what keeps tokens in localStorage out of a script's reach.

import type { HubConfig } from "../shared/types";
import { jwtClaims, storageGet, storageSet } from "../shared/util";

const KEY = "flowhub.agent.auth";

export interface Tokens {
  idToken: string;
  refreshToken?: string;
  username: string;
}

export class AuthError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export type SignInResult =
  | { kind: "ok"; tokens: Tokens }
  | { kind: "new_password"; session: string; username: string };

export function loadTokens(): Tokens | null {
  const t = storageGet<Tokens>("local", KEY) || storageGet<Tokens>("session", KEY);
  return t && typeof t.idToken === "string" ? t : null;
}

export function saveTokens(t: Tokens | null): void {
  storageSet("local", KEY, t);
  storageSet("session", KEY, null); // older builds kept them per tab
}

/** Calls `onSignedOut` when another tab signs out (its tokens disappear from localStorage). */
export function watchSignOut(onSignedOut: () => void): () => void {
  const listener = (e: StorageEvent) => {
    if (e.key === KEY && e.newValue === null) onSignedOut();
  };
  window.addEventListener("storage", listener);
  return () => window.removeEventListener("storage", listener);
}

/** True when the token's `exp` is past (or within `skewMs`). */
export function tokenExpired(idToken: string, skewMs = 30_000): boolean {
  const claims = jwtClaims(idToken);
  const exp = claims && typeof claims.exp === "number" ? claims.exp * 1000 : NaN;
  if (!isFinite(exp)) return false; // let the hub decide
  return exp - skewMs <= Date.now();
}

function endpoint(cfg: HubConfig): string {
  const c = cfg.cognito;
  if (!c) throw new AuthError("config", "Sign-in is not configured for this hub (config.json has no cognito section).");
  const base = c.endpoint || `https://cognito-idp.${c.region}.amazonaws.com`;
  return base.endsWith("/") ? base : `${base}/`;
}

const MESSAGES: Record<string, string> = {
  NotAuthorizedException: "Incorrect username or password.",
  UserNotFoundException: "Incorrect username or password.",
  UserNotConfirmedException: "This account has not been confirmed yet. Ask your administrator.",
  PasswordResetRequiredException: "A password reset is required for this account. Ask your administrator.",
  TooManyRequestsException: "Too many attempts. Wait a moment and try again.",
  LimitExceededException: "Too many attempts. Wait a moment and try again.",
  InvalidPasswordException: "That password does not meet the password policy.",
  InvalidParameterException: "Enter both a username and a password.",
};

async function call<T>(cfg: HubConfig, target: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(endpoint(cfg), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    if (e instanceof AuthError) throw e;
    throw new AuthError("network", "Can't reach the sign-in service. Check your connection and try again.");
  }
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    /* no body */
  }
  if (!res.ok) {
    const type = String((data && (data.__type || data.code)) || "").split("#").pop() || `http_${res.status}`;
    throw new AuthError(type, MESSAGES[type] || (data && data.message) || `Sign-in failed (${res.status}).`);
  }
  return data as T;
}

interface AuthResponse {
  AuthenticationResult?: { IdToken: string; RefreshToken?: string };
  ChallengeName?: string;
  Session?: string;
}

export async function signIn(cfg: HubConfig, username: string, password: string): Promise<SignInResult> {
  const r = await call<AuthResponse>(cfg, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: cfg.cognito!.clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (r.AuthenticationResult?.IdToken) {
    return {
      kind: "ok",
      tokens: { idToken: r.AuthenticationResult.IdToken, refreshToken: r.AuthenticationResult.RefreshToken, username },
    };
  }
  if (r.ChallengeName === "NEW_PASSWORD_REQUIRED" && r.Session) {
    return { kind: "new_password", session: r.Session, username };
  }
  throw new AuthError("challenge", `This account needs a sign-in step the agent view does not support (${r.ChallengeName || "unknown"}).`);
}

export async function completeNewPassword(cfg: HubConfig, username: string, session: string, newPassword: string): Promise<Tokens> {
  const r = await call<AuthResponse>(cfg, "RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: cfg.cognito!.clientId,
    Session: session,
    ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
  });
  if (!r.AuthenticationResult?.IdToken) throw new AuthError("challenge", "Setting the new password did not complete sign-in.");
  return { idToken: r.AuthenticationResult.IdToken, refreshToken: r.AuthenticationResult.RefreshToken, username };
}

/** A fresh ID token from the refresh token, or null when that is not possible. */
export async function refreshTokens(cfg: HubConfig, t: Tokens): Promise<Tokens | null> {
  if (!t.refreshToken) return null;
  try {
    const r = await call<AuthResponse>(cfg, "InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: cfg.cognito!.clientId,
      AuthParameters: { REFRESH_TOKEN: t.refreshToken },
    });
    if (!r.AuthenticationResult?.IdToken) return null;
    return { ...t, idToken: r.AuthenticationResult.IdToken };
  } catch {
    return null;
  }
}
