// Stop and delete, each behind a confirmation.
import { api } from "../api.js";

export const LIVE = new Set(["creating", "warming", "ready", "assigning", "running", "stopping"]);

/** Stops a live container (its Swarm service is removed; the record stays, reason manual). */
export async function stopContainer(id, { confirmAction, showBanner }) {
  if (!(await confirmAction("Stop container?", `Container ${id} will be stopped and its Swarm service removed. Its user loses the IDE.`, "Stop"))) return null;
  try {
    return await api(`/api/containers/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    showBanner(`Could not stop ${id}: ${error.message}`);
    return null;
  }
}

/** Deletes the record and events of a stopped or failed container. */
export async function deleteRecord(id, { confirmAction, showBanner }) {
  if (!(await confirmAction("Delete record?", `The record of container ${id} and its event history will be deleted for good.`, "Delete"))) return null;
  try {
    return await api(`/api/containers/${encodeURIComponent(id)}/record`, { method: "DELETE" });
  } catch (error) {
    showBanner(`Could not delete ${id}: ${error.message}`);
    return null;
  }
}

/**
 * Opens one route of a running container ("code", "vnc" or "web") in a new tab through a fresh
 * one-time launch link (POST /api/containers/:id/launch): the dashboard never links straight into
 * a tenant's page, and the tab gets only that container's session. The tab is opened at once
 * (so no pop-up blocker stops it), without an opener, and sent to the link when it arrives.
 */
export async function openRoute(id, route, { showBanner }) {
  const tab = window.open("about:blank", "_blank");
  if (tab) tab.opener = null;
  try {
    const answer = await api(`/api/containers/${encodeURIComponent(id)}/launch`, { method: "POST" });
    const key = { code: "codeServer", vnc: "vnc", web: "webServer" }[route];
    const url = (answer.launchUrls ?? answer.urls)[key];
    if (tab) tab.location.replace(url);
    return url;
  } catch (error) {
    if (tab) tab.close();
    showBanner(`Could not open ${route} of ${id}: ${error.message}`);
    return null;
  }
}
