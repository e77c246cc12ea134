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
