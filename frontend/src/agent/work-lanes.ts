// The work lanes' actions: load and follow the callback queue, tickets, the
// hub's counters, pressure and mode, and change them (claim a callback, patch
// a ticket, go live). Live updates arrive through the event map (store/events.ts).

import { ApiError } from "../shared/api";
import type { Blocker, CallbackView, HubMode, HubSnapshot, Lane, TicketView } from "../shared/types";
import type { ModeChange } from "./store/state";
import type { Workspace } from "./workspace";

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class WorkLanes {
  private hubTimer: ReturnType<typeof setTimeout> | null = null;
  private ended = false;

  constructor(private ws: Workspace) {}

  destroy(): void {
    this.ended = true;
    if (this.hubTimer) clearTimeout(this.hubTimer);
  }

  async loadAll(quiet = false): Promise<void> {
    if (!quiet) this.ws.store.set({ callbacksLoad: "loading", ticketsLoad: "loading", hubLoad: "loading" });
    await Promise.all([this.loadCallbacks(quiet), this.loadTickets(quiet), this.loadHub(quiet), this.loadAgents()]);
  }

  /** Every agent of the tenant (GET /agents): owner pickers and @mentions know them all. */
  private async loadAgents(): Promise<void> {
    try {
      const r = await this.ws.api<{ agents: { id: string; name: string }[] }>("/agents");
      this.ws.store.update((s) => {
        for (const a of r.agents || []) s.agents.set(a.id, a.name);
      });
    } catch {
      // The directory only widens the owner picker; agents seen in events still fill it.
    }
  }

  async loadCallbacks(quiet: boolean): Promise<void> {
    try {
      const r = await this.ws.api<{ callbacks: CallbackView[] }>("/callbacks");
      this.ws.store.update((s) => {
        s.work.setQueue(r.callbacks || []);
        for (const cb of r.callbacks || []) if (cb.claimed_by) s.agents.set(cb.claimed_by.id, cb.claimed_by.name);
        s.callbacksLoad = "ready";
      });
    } catch (e) {
      this.ws.store.update((s) => {
        if (!quiet || s.callbacksLoad !== "ready") {
          s.callbacksLoad = "error";
          s.loadError = message(e);
        }
      });
    }
  }

  async loadTickets(quiet: boolean): Promise<void> {
    try {
      const r = await this.ws.api<{ tickets: TicketView[] }>("/tickets");
      this.ws.store.update((s) => {
        s.work.setTickets(r.tickets || []);
        for (const t of r.tickets || []) s.agents.set(t.owner.id, t.owner.name);
        s.ticketsLoad = "ready";
      });
    } catch (e) {
      this.ws.store.update((s) => {
        if (!quiet || s.ticketsLoad !== "ready") {
          s.ticketsLoad = "error";
          s.loadError = message(e);
        }
      });
    }
  }

  async loadHub(quiet = true): Promise<void> {
    try {
      const [snap, hist] = await Promise.all([
        this.ws.api<HubSnapshot>("/hub"),
        this.ws.api<{ history: ModeChange[] }>("/hub/mode").catch(() => ({ history: this.ws.state.modeHistory })),
      ]);
      this.ws.store.update((s) => {
        s.hub = snap;
        s.modeHistory = hist.history || [];
        s.work.counters = snap.counters;
        s.work.mode = snap.mode.mode;
        s.work.modeBy = snap.mode.by;
        s.work.modeAt = snap.mode.at;
        s.team = snap.team;
        s.hubLoad = "ready";
        if (snap.launch.ready) s.blockers = null;
      });
    } catch (e) {
      this.ws.store.update((s) => {
        if (!quiet || s.hubLoad !== "ready") {
          s.hubLoad = "error";
          s.loadError = message(e);
        }
      });
    }
  }

  /** Pressure, next move and launch are computed by the hub: re-read them soon after a change,
   * if they are on screen (`Workspace.hubOnScreen`; showing them reads them at once). */
  hubSoon(): void {
    if (this.hubTimer || !this.ws.hubOnScreen()) return;
    this.hubTimer = setTimeout(() => {
      this.hubTimer = null;
      if (!this.ended && this.ws.hubOnScreen()) void this.loadHub(true);
    }, 600);
  }

  // ---- work lanes: actions --------------------------------------------------------

  private setBusy(key: string, on: boolean): void {
    this.ws.store.update((s) => {
      if (on) s.busy.add(key);
      else s.busy.delete(key);
    });
  }

  /** True when the ticket was created. */
  async createTicket(conversationId: string, subject: string): Promise<boolean> {
    try {
      const r = await this.ws.api<{ ticket: TicketView }>("/tickets", { method: "POST", body: { subject, conversation_id: conversationId } });
      this.ws.store.update((s) => {
        s.work.applyTicket(r.ticket);
      });
      this.ws.toast(`Ticket created: ${r.ticket.subject}`);
      this.hubSoon();
      return true;
    } catch (err) {
      this.ws.toast(`Couldn't create the ticket: ${message(err)}`, "error");
      return false;
    }
  }

  async patchTicket(t: TicketView, body: Record<string, unknown>): Promise<boolean> {
    this.setBusy(t.id, true);
    try {
      const r = await this.ws.api<{ ticket: TicketView }>(`/tickets/${encodeURIComponent(t.id)}`, { method: "PATCH", body });
      this.ws.store.update((s) => {
        s.work.applyTicket(r.ticket);
      });
      this.hubSoon();
      return true;
    } catch (err) {
      this.ws.toast(`Couldn't update the ticket: ${message(err)}`, "error");
      return false;
    } finally {
      this.setBusy(t.id, false);
    }
  }

  async callbackStep(cb: CallbackView, step: string): Promise<void> {
    this.setBusy(cb.id, true);
    try {
      const r = await this.ws.api<{ callback: CallbackView }>(`/callbacks/${encodeURIComponent(cb.id)}/${step}`, { method: "POST", body: {} });
      this.ws.store.update((s) => {
        s.work.applyCallback(r.callback);
      });
      if (step === "complete") this.ws.toast(`Callback to ${r.callback.phone} completed`);
      if (step === "no-answer")
        this.ws.toast(
          r.callback.status === "failed" ? `No answer: ${r.callback.phone} reached its last attempt` : `No answer: ${r.callback.phone} is back in the queue for a retry`,
          "warn",
        );
      this.hubSoon();
    } catch (err) {
      this.ws.toast(`${step === "claim" ? "Couldn't claim" : "Couldn't update"} the callback: ${message(err)}`, "error");
      void this.loadCallbacks(true);
    } finally {
      this.setBusy(cb.id, false);
    }
  }

  /** Logs a missed call; resolves to an error message, or null when it was queued. */
  /**
   * A missed call is its own record: it joins a conversation only when the agent picks one in
   * the form (`body.conversation_id`), never because a thread happens to be open (issue 10, item 1).
   */
  async logMissedCall(body: Record<string, string>): Promise<string | null> {
    try {
      const r = await this.ws.api<{ callback: CallbackView }>("/callbacks", { method: "POST", body });
      this.ws.store.update((s) => {
        s.work.applyCallback(r.callback);
      });
      this.hubSoon();
      return null;
    } catch (err) {
      return message(err);
    }
  }

  /** "Reassign their chats": a dropped-off colleague's open chats go back to the queue. */
  async reassign(agentId: string, name: string): Promise<void> {
    this.setBusy(`reassign:${agentId}`, true);
    try {
      const r = await this.ws.api<{ requeued: number; hub: HubSnapshot }>(`/agents/${encodeURIComponent(agentId)}/reassign`, {
        method: "POST",
      });
      this.ws.store.update((s) => {
        s.hub = r.hub;
        s.blockers = null;
      });
      this.ws.toast(`${r.requeued === 1 ? "1 chat" : `${r.requeued} chats`} of ${name} went back to the queue.`, "info");
      void this.ws.loadConversations(true);
    } catch (err) {
      this.ws.toast(`Couldn't reassign ${name}'s chats: ${message(err)}`, "error");
    } finally {
      this.setBusy(`reassign:${agentId}`, false);
    }
  }

  async setMode(mode: HubMode): Promise<void> {
    this.setBusy("mode", true);
    try {
      const snap = await this.ws.api<HubSnapshot>("/hub/mode", { method: "POST", body: { mode } });
      this.ws.store.update((s) => {
        s.hub = snap;
        s.work.mode = snap.mode.mode;
        s.work.modeBy = snap.mode.by;
        s.work.modeAt = snap.mode.at;
        s.blockers = null;
      });
      this.ws.toast(mode === "live" ? "The hub is live." : mode === "recovery" ? "Recovery mode: work the lanes the next move points at." : "Mode changed.");
      void this.loadHub(true);
    } catch (err) {
      if (err instanceof ApiError && err.code === "launch_blocked") {
        const data = err.data as { blockers?: Blocker[] } | undefined;
        this.ws.store.set({ blockers: data?.blockers || [] });
        this.ws.toast("Not ready to go live: recover the blockers first.", "warn");
        void this.loadHub(true);
      } else {
        this.ws.toast(`Couldn't change the mode: ${message(err)}`, "error");
      }
    } finally {
      this.setBusy("mode", false);
    }
  }

  goLane(lane: Lane): void {
    if (lane === "tickets") this.ws.showView("tickets");
    else if (lane === "support_command") this.ws.showView("command");
    else {
      this.ws.showView("lane");
      if (lane === "callbacks") setTimeout(() => document.getElementById("motor")?.scrollIntoView({ block: "start" }), 0);
    }
  }
}
