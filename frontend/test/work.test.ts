// The dashboard's work-lane state: queue order, what leaves the queue, which update wins.
import assert from "node:assert/strict";
import { test } from "node:test";
import { byDue, dueLabel, WorkState } from "../src/agent/work";
import type { CallbackView, TicketView } from "../src/shared/types";

function cb(id: string, over: Partial<CallbackView> = {}): CallbackView {
  return {
    id,
    status: "queued",
    phone: "+46701234567",
    priority: "normal",
    overdue: false,
    due_at: "2026-01-01T10:00:00.000Z",
    attempts: 0,
    claimed_by: null,
    updated_at: "2026-01-01T09:00:00.000Z",
    ...over,
  };
}

function ticket(id: string, over: Partial<TicketView> = {}): TicketView {
  return {
    id,
    subject: "s",
    status: "open",
    waiting_on: null,
    owner: { id: "a1", name: "Ann" },
    conversation_id: "c1",
    customer: null,
    created_at: "2026-01-01T09:00:00.000Z",
    updated_at: "2026-01-01T09:00:00.000Z",
    ...over,
  };
}

test("the queue puts overdue first, then high priority, then the soonest due", () => {
  const s = new WorkState();
  s.setQueue([
    cb("late", { due_at: "2026-01-01T12:00:00.000Z" }),
    cb("soon", { due_at: "2026-01-01T10:00:00.000Z" }),
    cb("high", { due_at: "2026-01-01T11:00:00.000Z", priority: "high" }),
    cb("over", { due_at: "2026-01-01T13:00:00.000Z", overdue: true }),
  ]);
  assert.deepEqual(s.queue().map((c) => c.id), ["over", "high", "soon", "late"]);
  assert.equal([cb("a"), cb("b")].sort(byDue)[0].id, "a");
});

test("finished callbacks leave the queue; unknown finished ones are ignored", () => {
  const s = new WorkState();
  s.setQueue([cb("a"), cb("done", { status: "completed" })]);
  assert.deepEqual(s.queue().map((c) => c.id), ["a"]);
  assert.equal(s.applyCallback(cb("a", { status: "claimed", updated_at: "2026-01-01T09:01:00.000Z" })), true);
  assert.equal(s.callbacks.get("a")!.status, "claimed");
  assert.equal(s.applyCallback(cb("a", { status: "completed", updated_at: "2026-01-01T09:02:00.000Z" })), true);
  assert.equal(s.callbacks.size, 0);
  assert.equal(s.applyCallback(cb("x", { status: "cancelled" })), false);
});

test("an older callback update never overwrites a newer one", () => {
  const s = new WorkState();
  s.applyCallback(cb("a", { status: "claimed", updated_at: "2026-01-01T09:05:00.000Z" }));
  assert.equal(s.applyCallback(cb("a", { status: "queued", updated_at: "2026-01-01T09:01:00.000Z" })), false);
  assert.equal(s.callbacks.get("a")!.status, "claimed");
});

test("a thread shows its open ticket rather than an older solved one", () => {
  const s = new WorkState();
  s.setTickets([ticket("old", { status: "solved", updated_at: "2026-01-01T09:30:00.000Z" }), ticket("new")]);
  assert.equal(s.ticketFor("c1")!.id, "new");
  assert.deepEqual(s.openTickets().map((t) => t.id), ["new"]);
  assert.equal(s.ticketFor("nope"), undefined);
});

test("due labels read like a person would say them", () => {
  const now = Date.parse("2026-01-01T10:00:00.000Z");
  assert.equal(dueLabel(cb("a", { due_at: "2026-01-01T10:12:00.000Z" }), now), "due in 12 min");
  assert.equal(dueLabel(cb("a", { due_at: "2026-01-01T10:00:20.000Z" }), now), "due now");
  assert.equal(dueLabel(cb("a", { due_at: "2026-01-01T09:57:00.000Z", overdue: true }), now), "3 min overdue");
});
