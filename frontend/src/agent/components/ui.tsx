// Small building blocks every dashboard component uses: the workspace context,
// icons (inline SVG from path data) and message text with safe links.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { ICONS as BASE_ICONS } from "../../shared/dom";
import type { Workspace } from "../workspace";

export { Icon, RichText } from "../../shared/ui";

export const WorkspaceContext = createContext<Workspace | null>(null);

/** The workspace (store + actions) of the signed-in agent. */
export function useWorkspace(): Workspace {
  const ws = useContext(WorkspaceContext);
  if (!ws) throw new Error("useWorkspace outside <WorkspaceContext.Provider>");
  return ws;
}

export const ICONS = {
  ...BASE_ICONS,
  ticket: ["M4 7a2 2 0 0 0 2-2h12a2 2 0 0 0 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 0-2 2H6a2 2 0 0 0-2-2v-3a2 2 0 0 0 0-4z", "M10 5v14"],
  gauge: ["M12 14l4-4", "M3.5 18a9 9 0 1 1 17 0"],
  flag: ["M5 21V4", "M5 4h11l-2 4 2 4H5"],
  arrow: ["M5 12h14", "M13 6l6 6-6 6"],
  rocket: ["M12 15l-3-3a12 12 0 0 1 9-8 12 12 0 0 1-6 11z", "M9 12H5l2-4h4", "M12 15v4l4-2v-4", "M6 16c-1.5 1-2 4-2 4s3-.5 4-2"],
  users: ["M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M2 21a7 7 0 0 1 14 0", "M16 3.5a4 4 0 0 1 0 7", "M22 21a7 7 0 0 0-4-6.3"],
  bell: ["M6 16V11a6 6 0 1 1 12 0v5l2 2H4z", "M10 20a2 2 0 0 0 4 0"],
  bellOff: ["M6 16V11a6 6 0 0 1 9.5-4.9", "M18 11v5l2 2H4l2-2", "M10 20a2 2 0 0 0 4 0", "M3 3l18 18"],
  search: ["M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M21 21l-5-5"],
  keyboard: ["M3 6h18v12H3z", "M7 10h.01", "M11 10h.01", "M15 10h.01", "M7 14h10"],
  sliders: ["M4 6h10", "M18 6h2", "M16 4v4", "M4 12h4", "M12 12h8", "M10 10v4", "M4 18h12", "M20 18h0", "M18 16v4"],
  star: ["M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z"],
};

export function Spinner() {
  return <div class="spinner" aria-hidden="true" />;
}

export function Skeletons({ n, label }: { n: number; label?: string }) {
  return (
    <div class="skeletons" aria-busy="true" aria-label={label}>
      {Array.from({ length: n }, () => (
        <div class="skeleton">
          <i />
          <b />
          <b class="short" />
        </div>
      ))}
    </div>
  );
}
