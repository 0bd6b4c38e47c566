// Desktop notifications through the Notification API. Permission is asked only
// after a user action (going available, or the "Notifications" control),
// never on page load.

import type { Permission } from "../store/state";
import type { Alert } from "./rules";

export function currentPermission(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

export async function askPermission(): Promise<Permission> {
  if (typeof Notification === "undefined") return "unsupported";
  if (Notification.permission !== "default") return Notification.permission;
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Shows an alert as a desktop notification when allowed; a click focuses the tab and calls `onClick`. */
export function showDesktop(alert: Alert, onClick: () => void): boolean {
  if (currentPermission() !== "granted") return false;
  try {
    const n = new Notification(alert.title, {
      body: alert.body,
      // One notification per conversation: a newer one replaces the older.
      tag: alert.conversationId ? `flowhub:${alert.conversationId}` : `flowhub:${alert.key}`,
      silent: true, // the dashboard plays its own chime
    });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
    return true;
  } catch {
    return false; // e.g. a browser that only allows notifications from a service worker
  }
}
