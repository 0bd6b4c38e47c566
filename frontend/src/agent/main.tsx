// Agent view entry: loads config.json, then shows the sign-in form or the
// signed-in workspace. Which screen shows is the Root component's only state.

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { loadConfig } from "../shared/api";
import type { HubConfig } from "../shared/types";
import { loadTokens, refreshTokens, saveTokens, tokenExpired, watchSignOut, type Tokens } from "./auth";
import { WorkspaceScreen } from "./components/App";
import { ConfigError, NewPassword, SignIn, Splash } from "./components/SignIn";
import { Session } from "./session";
import "./agent.css";

type Screen =
  | { kind: "loading" }
  | { kind: "config-error"; detail: string }
  | { kind: "signin"; cfg: HubConfig; notice?: string }
  | { kind: "new-password"; cfg: HubConfig; username: string; session: string }
  | { kind: "workspace"; session: Session };

const EXPIRED = "Your session has expired. Please sign in again.";

function Root() {
  const [screen, setScreen] = useState<Screen>({ kind: "loading" });
  const [boots, setBoots] = useState(0);

  const signOut = (cfg: HubConfig, session: Session | null, notice?: string) => {
    session?.end();
    saveTokens(null);
    try {
      history.replaceState(null, "", location.pathname + location.search);
    } catch {
      /* ignore */
    }
    setScreen({ kind: "signin", cfg, notice });
  };

  const start = (cfg: HubConfig, tokens: Tokens) => {
    saveTokens(tokens);
    const session: Session = new Session(cfg, tokens, () => signOut(cfg, session, EXPIRED));
    setScreen({ kind: "workspace", session });
  };

  // Signing out in another tab signs this one out too (one session across tabs).
  useEffect(() => {
    if (screen.kind !== "workspace") return;
    const session = screen.session;
    return watchSignOut(() => {
      session.end();
      setScreen({ kind: "signin", cfg: session.cfg, notice: "You signed out in another tab." });
    });
  }, [screen]);

  useEffect(() => {
    let alive = true;
    setScreen({ kind: "loading" });
    void (async () => {
      let cfg: HubConfig;
      try {
        cfg = await loadConfig(new URL("config.json", location.href).href);
      } catch (e) {
        if (alive) setScreen({ kind: "config-error", detail: e instanceof Error ? e.message : String(e) });
        return;
      }
      const tokens = loadTokens();
      if (tokens && !tokenExpired(tokens.idToken)) return alive && start(cfg, tokens);
      if (tokens) {
        const fresh = await refreshTokens(cfg, tokens);
        if (!alive) return;
        if (fresh) return start(cfg, fresh);
        saveTokens(null);
        return setScreen({ kind: "signin", cfg, notice: EXPIRED });
      }
      if (alive) setScreen({ kind: "signin", cfg });
    })();
    return () => {
      alive = false;
    };
  }, [boots]);

  switch (screen.kind) {
    case "loading":
      return <Splash text="Loading…" />;
    case "config-error":
      return <ConfigError detail={screen.detail} onRetry={() => setBoots(boots + 1)} />;
    case "signin":
      return (
        <SignIn
          cfg={screen.cfg}
          notice={screen.notice}
          onSignedIn={(tokens) => start(screen.cfg, tokens)}
          onNewPassword={(username, session) => setScreen({ kind: "new-password", cfg: screen.cfg, username, session })}
        />
      );
    case "new-password":
      return <NewPassword cfg={screen.cfg} username={screen.username} session={screen.session} onSignedIn={(tokens) => start(screen.cfg, tokens)} />;
    case "workspace":
      return <WorkspaceScreen key={screen.session} session={screen.session} signOut={(notice) => signOut(screen.session.cfg, screen.session, notice)} />;
  }
}

function root(): HTMLElement {
  let el = document.getElementById("app");
  if (!el) {
    el = document.createElement("div");
    el.id = "app";
    document.body.appendChild(el);
  }
  el.textContent = ""; // the <noscript> fallback
  return el;
}

render(<Root />, root());
