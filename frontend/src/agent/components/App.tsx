// The signed-in workspace: loads the agent (/me), then lays out the header,
// counters strip, views (live lane, tickets, support command) and overlays.
// It is the only component subscribed to the store: a change re-renders the
// tree from here, and Preact patches what differs.

import { useEffect, useState } from "preact/hooks";
import { isAuthFailure } from "../../shared/api";
import { bindShortcuts } from "../keyboard";
import type { Session } from "../session";
import type { Me } from "../store/state";
import { useStore } from "../store/store";
import { Workspace } from "../workspace";
import { CommandView } from "./CommandView";
import { ConversationList } from "./ConversationList";
import { CountersStrip, ViewNav } from "./CountersStrip";
import { DeskView } from "./DeskView";
import { Header } from "./Header";
import { ShortcutsOverlay, Toasts } from "./Overlays";
import { Rail } from "./Rail";
import { Splash } from "./SignIn";
import { ThreadPane } from "./ThreadPane";
import { TicketsView } from "./Tickets";
import { Icon, ICONS, WorkspaceContext } from "./ui";

type Phase = { kind: "loading" } | { kind: "fatal"; detail: string } | { kind: "ready"; ws: Workspace };

export function WorkspaceScreen({ session, signOut }: { session: Session; signOut: (message?: string) => void }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let alive = true;
    let ws: Workspace | null = null;
    setPhase({ kind: "loading" });
    session
      .api<Me>("/me")
      .then((me) => {
        if (!alive) return;
        ws = new Workspace(session, me, { signOut });
        ws.start();
        setPhase({ kind: "ready", ws });
      })
      .catch((e: unknown) => {
        if (!alive || isAuthFailure(e)) return; // an auth failure already signed out
        setPhase({ kind: "fatal", detail: e instanceof Error ? e.message : String(e) });
      });
    return () => {
      alive = false;
      ws?.destroy();
    };
  }, [session, attempt]);

  if (phase.kind === "loading") return <Splash text="Loading your workspace…" />;
  if (phase.kind === "fatal") {
    return (
      <div class="splash" role="alert">
        <Icon d={ICONS.alert} size={32} className="icon big" />
        <h1>We couldn't load your workspace.</h1>
        <p class="muted">{phase.detail}</p>
        <div class="row">
          <button class="btn primary" type="button" onClick={() => setAttempt(attempt + 1)}>
            Try again
          </button>
          <button class="btn" type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </div>
    );
  }
  return (
    <WorkspaceContext.Provider value={phase.ws}>
      <App ws={phase.ws} />
    </WorkspaceContext.Provider>
  );
}

function App({ ws }: { ws: Workspace }) {
  useStore(ws.store);
  useEffect(() => bindShortcuts(ws), [ws]);
  const view = ws.state.view;
  return (
    <div class="app">
      <Header />
      <div class="subbar">
        <CountersStrip />
        <ViewNav />
      </div>
      <div class="views-body">
        <div class="body" hidden={view !== "lane"}>
          <ConversationList />
          <ThreadPane />
          <Rail />
        </div>
        {view === "tickets" ? <TicketsView /> : null}
        {view === "command" ? <CommandView /> : null}
        {view === "desk" ? <DeskView /> : null}
      </div>
      <Toasts />
      {ws.state.help ? <ShortcutsOverlay /> : null}
    </div>
  );
}
