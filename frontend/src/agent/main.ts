// Agent view entry: loads config.json, then shows the sign-in form or the
// workspace (AgentApp).

import { loadConfig } from "../shared/api";
import { clear, h, icon, ICONS } from "../shared/dom";
import type { HubConfig } from "../shared/types";
import { AgentApp } from "./app";
import { AuthError, completeNewPassword, loadTokens, refreshTokens, saveTokens, signIn, tokenExpired, type Tokens } from "./auth";
import "./agent.css";

let app: AgentApp | null = null;

function root(): HTMLElement {
  let el = document.getElementById("app");
  if (!el) {
    el = document.createElement("div");
    el.id = "app";
    document.body.appendChild(el);
  }
  return el;
}

function brand(): HTMLElement {
  return h(
    "div",
    { className: "signin-brand" },
    h("span", { className: "logo big", "aria-hidden": "true" }, icon(ICONS.chat, 24)),
    h("h1", null, "Flow Conversation Live Hub"),
    h("p", { className: "muted" }, "Live chat, presence and delivery"),
  );
}

function startApp(cfg: HubConfig, tokens: Tokens): void {
  saveTokens(tokens);
  app?.destroy();
  app = new AgentApp(root(), cfg, tokens, {
    signOut: (message?: string) => {
      app?.destroy();
      app = null;
      saveTokens(null);
      try {
        history.replaceState(null, "", location.pathname + location.search);
      } catch {
        /* ignore */
      }
      renderSignIn(cfg, message);
    },
  });
  void app.start();
}

function renderSignIn(cfg: HubConfig, notice?: string): void {
  const el = root();
  clear(el);
  document.title = "Sign in · Flow Conversation Live Hub";
  const error = h("div", { className: "form-error", role: "alert", hidden: true });
  const user = h("input", {
    id: "signin-username",
    name: "username",
    autocomplete: "username",
    required: true,
    "data-testid": "signin-username",
    autofocus: true,
  });
  const pass = h("input", {
    id: "signin-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "data-testid": "signin-password",
  });
  const submit = h("button", { className: "btn primary wide", type: "submit", "data-testid": "signin-submit" }, "Sign in");
  const showError = (msg: string) => {
    error.textContent = msg;
    error.hidden = false;
  };
  const form = h(
    "form",
    {
      className: "signin-form",
      novalidate: true,
      onSubmit: async (e: Event) => {
        e.preventDefault();
        const username = user.value.trim();
        const password = pass.value;
        if (!username || !password) {
          showError("Enter your username and password.");
          (username ? pass : user).focus();
          return;
        }
        error.hidden = true;
        submit.disabled = true;
        submit.textContent = "Signing in…";
        try {
          const r = await signIn(cfg, username, password);
          if (r.kind === "ok") startApp(cfg, r.tokens);
          else renderNewPassword(cfg, r.username, r.session);
        } catch (err) {
          showError(err instanceof AuthError ? err.message : "Sign-in failed. Try again.");
          submit.disabled = false;
          submit.textContent = "Sign in";
          pass.select();
        }
      },
    },
    notice ? h("div", { className: "form-notice", role: "status", "data-testid": "signin-notice" }, notice) : null,
    error,
    h("label", { for: "signin-username" }, "Username"),
    user,
    h("label", { for: "signin-password" }, "Password"),
    pass,
    submit,
  );
  el.appendChild(
    h(
      "div",
      { className: "signin" },
      h("div", { className: "signin-card" }, brand(), h("h2", null, "Sign in to the agent workspace"), form),
      h("p", { className: "signin-foot muted" }, "Customers reach you through the chat widget on your website."),
    ),
  );
  user.focus();
}

function renderNewPassword(cfg: HubConfig, username: string, session: string): void {
  const el = root();
  clear(el);
  const error = h("div", { className: "form-error", role: "alert", hidden: true });
  const pass = h("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true });
  const submit = h("button", { className: "btn primary wide", type: "submit" }, "Set password and sign in");
  el.appendChild(
    h(
      "div",
      { className: "signin" },
      h(
        "div",
        { className: "signin-card" },
        brand(),
        h("h2", null, "Choose a new password"),
        h("p", { className: "muted" }, `The account ${username} needs a new password before its first sign-in.`),
        h(
          "form",
          {
            className: "signin-form",
            onSubmit: async (e: Event) => {
              e.preventDefault();
              submit.disabled = true;
              try {
                startApp(cfg, await completeNewPassword(cfg, username, session, pass.value));
              } catch (err) {
                error.textContent = err instanceof AuthError ? err.message : "Could not set the password.";
                error.hidden = false;
                submit.disabled = false;
              }
            },
          },
          error,
          h("label", { for: "new-password" }, "New password"),
          pass,
          submit,
        ),
      ),
    ),
  );
  pass.focus();
}

function renderConfigError(detail: string): void {
  const el = root();
  clear(el);
  el.appendChild(
    h(
      "div",
      { className: "splash", role: "alert" },
      icon(ICONS.alert, 32, "icon big"),
      h("h1", null, "The hub could not be reached"),
      h("p", { className: "muted" }, detail),
      h("button", { className: "btn primary", type: "button", onClick: () => void boot() }, "Try again"),
    ),
  );
}

async function boot(): Promise<void> {
  const el = root();
  clear(el);
  el.appendChild(h("div", { className: "splash", role: "status" }, h("div", { className: "spinner", "aria-hidden": "true" }), h("p", null, "Loading…")));
  let cfg: HubConfig;
  try {
    cfg = await loadConfig(new URL("config.json", location.href).href);
  } catch (e) {
    renderConfigError(e instanceof Error ? e.message : String(e));
    return;
  }
  const tokens = loadTokens();
  if (tokens && !tokenExpired(tokens.idToken)) return startApp(cfg, tokens);
  if (tokens) {
    const fresh = await refreshTokens(cfg, tokens);
    if (fresh) return startApp(cfg, fresh);
    saveTokens(null);
    return renderSignIn(cfg, "Your session has expired. Please sign in again.");
  }
  renderSignIn(cfg);
}

void boot();
