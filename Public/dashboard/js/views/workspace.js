// A container's workspace: the prefix inside its bucket, its agent's port, its credentials'
// expiry and the sync state its agent last reported.
import { h } from "../dom.js";
import { dateTime } from "../format.js";

// Sync states shown with the health colours: ready is good, error is bad, the rest neutral.
const TONE = { ready: "healthy", error: "unhealthy", hydrating: "unknown", idle: "unknown" };

export function workspaceSection(c) {
  const w = c.workspace ?? {};
  const sync = w.sync ?? null;
  const fact = (label, value, id) => [h("dt", { text: label }), h("dd", id ? { id } : {}, value ?? "–")];
  const count = (n) => (n === null || n === undefined ? null : String(n));
  return h("section", { class: "card", "aria-labelledby": "workspace-title" }, h("h3", { id: "workspace-title", text: "Workspace" }),
    h("dl", { class: "facts" },
      fact("Prefix", w.prefix ?? "whole bucket"),
      fact("Sync", sync ? h("span", { class: `health ${TONE[sync.state] ?? "unknown"}`, text: sync.state }) : "not reported", "workspace-sync"),
      fact("Last push", sync ? dateTime(sync.lastPushAt) : null),
      fact("Last pull", sync ? dateTime(sync.lastPullAt) : null),
      fact("Pending changes", sync ? count(sync.pendingChanges) : null),
      fact("Conflicts", sync ? count(sync.conflicts) : null),
      fact("Sync error", sync ? sync.error : null, "workspace-sync-error"),
      fact("Credentials expire", w.credentialsExpireAt ? dateTime(w.credentialsExpireAt) : "do not expire"),
      fact("Agent port", w.agentPort === undefined ? null : String(w.agentPort))));
}
