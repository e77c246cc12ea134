// One container: its record, limits, per-port health, workspace sync and event timeline.
import { api } from "../api.js";
import { h, replace, debounce } from "../dom.js";
import { bytes, dateTime, age } from "../format.js";
import { LIVE, stopContainer, deleteRecord, openRoute } from "./actions.js";
import { workspaceSection } from "./workspace.js";

export function mount(main, ctx) {
  const { id, showBanner } = ctx;
  const root = h("div", { id: "container-detail" }, h("p", { text: "Loading…" }));
  main.append(h("p", {}, h("a", { href: "#/containers", text: "← Containers" })), root);
  let stopped = false;

  async function refresh() {
    try {
      const c = await api(`/api/containers/${encodeURIComponent(id)}`);
      if (!stopped) render(c);
    } catch (error) {
      if (stopped || error.status === 401) return;
      if (error.status === 404) replace(root, h("p", { class: "empty", text: `No container with id ${id}.` }));
      else showBanner(`Cannot load container ${id}: ${error.message}`);
    }
  }

  function render(c) {
    const live = LIVE.has(c.status);
    const actions = h("div", { class: "actions" },
      live ? h("button", { type: "button", class: "danger", "data-action": "stop", text: "Stop container", disabled: c.status === "stopping",
        onclick: async () => { if (await stopContainer(c.id, ctx)) refresh(); } }) : null,
      !live ? h("button", { type: "button", class: "secondary", "data-action": "delete", text: "Delete record",
        onclick: async () => { if (await deleteRecord(c.id, ctx)) location.hash = "#/containers"; } }) : null);
    const fact = (label, value) => [h("dt", { text: label }), h("dd", {}, value ?? "–")];
    // A route is opened through a fresh launch link (operator only), never a direct link.
    const open = (route, url) => h("span", {}, h("span", { class: "mono", text: url }), " ",
      c.status === "running" ? h("button", { type: "button", class: "secondary small", "data-action": `open-${route}`, text: "Open",
        onclick: () => openRoute(c.id, route, ctx) }) : null);
    const ports = Object.entries(c.health.ports).map(([port, ok]) =>
      h("tr", {}, h("th", { scope: "row", text: port }), h("td", {}, h("span", { class: `health ${ok === null ? "unknown" : ok ? "healthy" : "unhealthy"}`, text: ok === null ? "not checked" : ok ? "answers" : "fails" }))));
    const events = c.events.slice().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    replace(root,
      h("div", { class: "detail-head" },
        h("h2", { class: "view-title" }, "Container ", h("span", { class: "mono", text: c.id })),
        h("span", { class: `badge ${c.status}`, id: "detail-status", text: c.status }), actions),
      h("div", { class: "grid" },
        h("section", { class: "card", "aria-labelledby": "record-title" }, h("h3", { id: "record-title", text: "Record" }),
          h("dl", { class: "facts" },
            fact("Service", c.serviceName), fact("Service id", c.serviceId), fact("Bucket", c.s3Bucket), fact("Region", c.s3Region),
            fact("User", c.userId), fact("Origin", c.isPreWarmed ? "warm pool" : "cold start"),
            fact("Created", `${dateTime(c.createdAt)} (${age(c.createdAt)} ago)`), fact("Ready", dateTime(c.readyAt)),
            fact("Assigned", dateTime(c.assignedAt)), fact("Stopped", dateTime(c.stoppedAt)), fact("Last activity", dateTime(c.lastActivityAt)),
            fact("Shutdown reason", c.shutdownReason), fact("Task address", c.taskAddress),
            fact("Code", open("code", c.urls.codeServer)), fact("VNC", open("vnc", c.urls.vnc)), fact("Web", open("web", c.urls.webServer)))),
        h("section", { class: "card", "aria-labelledby": "health-title" }, h("h3", { id: "health-title", text: "Health and limits" }),
          h("dl", { class: "facts" },
            fact("Health", h("span", { class: `health ${c.health.status}`, text: c.health.status })),
            fact("Last check", dateTime(c.health.lastCheckAt)), fact("Failures in a row", String(c.health.consecutiveFailures)),
            fact("CPU limit", `${c.limits.cpus} CPU`), fact("Memory limit", bytes(c.limits.memoryBytes))),
          h("table", { class: "compact ports" }, h("caption", { text: "Ports" }), h("tbody", {}, ports))),
        workspaceSection(c),
        h("section", { class: "card wide", "aria-labelledby": "timeline-title" }, h("h3", { id: "timeline-title", text: "Events" }),
          events.length === 0 ? h("p", { class: "empty", text: "No events." })
            : h("ol", { class: "timeline", id: "timeline" }, events.map((e) => h("li", { dataset: { kind: e.kind } },
                h("time", { datetime: e.at, text: dateTime(e.at) }),
                h("strong", { text: e.kind }),
                e.fromStatus || e.toStatus ? h("span", { class: "transition", text: `${e.fromStatus ?? "–"} → ${e.toStatus ?? "–"}` }) : null,
                e.reason ? h("span", { class: "reason", text: e.reason }) : null))))));
  }

  const refreshSoon = debounce(refresh, 250);
  refresh();
  return {
    onEvent(event) { if (event.containerId === id) refreshSoon(); },
    onOpen: refreshSoon,
    unmount() { stopped = true; },
  };
}
