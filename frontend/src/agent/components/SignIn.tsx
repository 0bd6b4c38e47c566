// Before the workspace: loading, sign-in (Cognito USER_PASSWORD_AUTH), the
// first-sign-in new password, and "the hub could not be reached".

import { useEffect, useRef, useState } from "preact/hooks";
import type { HubConfig } from "../../shared/types";
import { AuthError, completeNewPassword, signIn, type Tokens } from "../auth";
import { Icon, ICONS, Spinner } from "./ui";

export function Splash({ text }: { text: string }) {
  return (
    <div class="splash" role="status">
      <Spinner />
      <p>{text}</p>
    </div>
  );
}

function Brand() {
  return (
    <div class="signin-brand">
      <span class="logo big" aria-hidden="true">
        <Icon d={ICONS.chat} size={24} />
      </span>
      <h1>Flow Conversation Live Hub</h1>
      <p class="muted">Live chat, presence and delivery</p>
    </div>
  );
}

type SignInProps = {
  cfg: HubConfig;
  notice?: string;
  onSignedIn: (tokens: Tokens) => void;
  onNewPassword: (username: string, session: string) => void;
};

export function SignIn({ cfg, notice, onSignedIn, onNewPassword }: SignInProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const user = useRef<HTMLInputElement>(null);
  const pass = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = "Sign in · Flow Conversation Live Hub";
    user.current?.focus();
  }, []);
  return (
    <div class="signin">
      <div class="signin-card">
        <Brand />
        <h2>Sign in to the agent workspace</h2>
        <form
          class="signin-form"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            const username = user.current!.value.trim();
            const password = pass.current!.value;
            if (!username || !password) {
              setError("Enter your username and password.");
              (username ? pass : user).current!.focus();
              return;
            }
            setError(null);
            setBusy(true);
            try {
              const r = await signIn(cfg, username, password);
              if (r.kind === "ok") onSignedIn(r.tokens);
              else onNewPassword(r.username, r.session);
            } catch (err) {
              setError(err instanceof AuthError ? err.message : "Sign-in failed. Try again.");
              setBusy(false);
              pass.current?.select();
            }
          }}
        >
          {notice ? (
            <div class="form-notice" role="status" data-testid="signin-notice">
              {notice}
            </div>
          ) : null}
          <div class="form-error" role="alert" hidden={!error}>
            {error}
          </div>
          <label for="signin-username">Username</label>
          <input ref={user} id="signin-username" name="username" autocomplete="username" required data-testid="signin-username" />
          <label for="signin-password">Password</label>
          <input ref={pass} id="signin-password" name="password" type="password" autocomplete="current-password" required data-testid="signin-password" />
          <button class="btn primary wide" type="submit" data-testid="signin-submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </div>
      <p class="signin-foot muted">Customers reach you through the chat widget on your website.</p>
    </div>
  );
}

export function NewPassword({ cfg, username, session, onSignedIn }: { cfg: HubConfig; username: string; session: string; onSignedIn: (tokens: Tokens) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pass = useRef<HTMLInputElement>(null);
  useEffect(() => pass.current?.focus(), []);
  return (
    <div class="signin">
      <div class="signin-card">
        <Brand />
        <h2>Choose a new password</h2>
        <p class="muted">{`The account ${username} needs a new password before its first sign-in.`}</p>
        <form
          class="signin-form"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            try {
              onSignedIn(await completeNewPassword(cfg, username, session, pass.current!.value));
            } catch (err) {
              setError(err instanceof AuthError ? err.message : "Could not set the password.");
              setBusy(false);
            }
          }}
        >
          <div class="form-error" role="alert" hidden={!error}>
            {error}
          </div>
          <label for="new-password">New password</label>
          <input ref={pass} id="new-password" type="password" autocomplete="new-password" required />
          <button class="btn primary wide" type="submit" disabled={busy}>
            Set password and sign in
          </button>
        </form>
      </div>
    </div>
  );
}

export function ConfigError({ detail, onRetry }: { detail: string; onRetry: () => void }) {
  return (
    <div class="splash" role="alert">
      <Icon d={ICONS.alert} size={32} className="icon big" />
      <h1>The hub could not be reached</h1>
      <p class="muted">{detail}</p>
      <button class="btn primary" type="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
