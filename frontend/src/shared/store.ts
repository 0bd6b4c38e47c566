// One store per app (the dashboard's and the widget's): components read the
// state and render from it; only the app's actions and its socket event map
// change it, always through `update` / `set` / `changed`, which tell every
// subscriber once. Preact batches the re-renders that follow, so several
// updates in one tick render once.

import { useEffect, useState } from "preact/hooks";

export type Listener = () => void;

export class Store<S extends object> {
  private listeners = new Set<Listener>();
  private version = 0;

  constructor(readonly state: S) {}

  /** Applies a change to the state and notifies the subscribers. */
  update(change: (s: S) => void): void {
    change(this.state);
    this.changed();
  }

  /** Shallow-assigns a patch to the state and notifies the subscribers. */
  set(patch: Partial<S>): void {
    Object.assign(this.state, patch);
    this.changed();
  }

  /** Notifies the subscribers after a change made elsewhere (e.g. the chat core's threads). */
  changed(): void {
    this.version++;
    for (const l of Array.from(this.listeners)) l();
  }

  /** Increases on every change: components can use it as a cheap "something changed" key. */
  get rev(): number {
    return this.version;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }
}

/** Re-renders the calling component whenever the store changes; returns its revision. */
export function useStore<S extends object>(store: Store<S>): number {
  const [, setSeen] = useState(0);
  useEffect(() => store.subscribe(() => setSeen((n) => n + 1)), [store]);
  return store.rev;
}
