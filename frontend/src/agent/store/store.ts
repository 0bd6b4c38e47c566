// The dashboard's one store. Components read the state and render from it;
// only the workspace's actions and the socket event map (events.ts) change it,
// always through `update`, which tells every subscriber once. Preact batches
// the re-renders that follow, so several updates in one tick render once.
// The store itself is the one both apps share (shared/store.ts).

export { Store, useStore } from "../../shared/store";
export type { Listener } from "../../shared/store";
