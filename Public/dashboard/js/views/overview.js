// Overview: the pool against its target (chart), containers by status, claims per minute and
// their latencies, node memory and CPU, the engine, why the pool cannot fill, recent events.
import { api } from "../api.js";
import { h, replace, debounce } from "../dom.js";
import { poolChart, poolBar, claimsChart } from "../charts.js";
import { time, millis, percent } from "../format.js";

const REFRESH_MS = 5000;
const HISTORY = 120;
const EVENTS = 15;
const history = [];
const STATUSES = ["creating", "warming", "ready", "assigning", "running", "stopping", "stopped", "failed"];

export function mount(main, { feed, showBanner }) {
  const figures = h("section", { class: "figures", "aria-label": "Warm pool figures" });
  const fill = h("div", { class: "fill" });
  const pool = h("section", { class: "card", "aria-labelledby": "pool-title" },
    h("h2", { id: "pool-title", text: "Warm pool" }), fill,
    h("p", { class: "legend" },
      h("span", { class: "key ready", text: "ready" }), h("span", { class: "key warming", text: "warming" }),
      h("span", { class: "key assigned", text: "assigned" }), h("span", { class: "key target", text: "target" })),
    h("div", { id: "pool-chart", class: "chart-box" }));
  const statuses = h("section", { class: "card", "aria-labelledby": "status-title" }, h("h2", { id: "status-title", text: "Containers by status" }), h("div", { id: "by-status" }));
  const claims = h("section", { class: "card", "aria-labelledby": "claims-title" },
    h("h2", { id: "claims-title", text: "Claims per minute" }),
    h("p", { class: "legend" }, h("span", { class: "key warm", text: "warm" }), h("span", { class: "key cold", text: "cold start" })),
    h("div", { id: "claims-chart", class: "chart-box" }), h("h3", { text: "Latest claims" }), h("div", { id: "latest-claims" }));
  const resources = h("section", { class: "card", "aria-labelledby": "resources-title" }, h("h2", { id: "resources-title", text: "Engine and node" }), h("div", { id: "resources" }));
  const events = h("section", { class: "card", "aria-labelledby": "events-title" }, h("h2", { id: "events-title", text: "Recent events" }), h("ol", { id: "recent-events", class: "events" }));
  main.append(h("h2", { class: "view-title", text: "Overview" }), figures, h("div", { class: "grid" }, pool, statuses, claims, resources, events));

  const recent = [];
  let stopped = false;

  async function refresh() {
    try {
      const [queue, nodes] = await Promise.all([api("/api/queue"), api("/api/nodes")]);
      if (stopped) return;
      render(queue, nodes);
      showBanner(nodes.engine.reachable ? "" : `Docker engine unreachable: ${nodes.engine.error ?? "no answer"}`);
    } catch (error) {
      if (!stopped && error.status !== 401) showBanner(`Cannot load the overview: ${error.message}`);
    }
  }

  function render(queue, nodes) {
    const warming = queue.warming + queue.creating;
    history.push({ at: Date.now(), ready: queue.ready, warming, assigned: queue.assigned });
    while (history.length > HISTORY) history.shift();
    replace(figures,
      figure("target", queue.target, "target"), figure("ready", queue.ready, "ready"),
      figure("warming", warming, "warming"), figure("assigned", queue.assigned, "assigned"));
    const reason = queue.ready < queue.target && queue.reason
      ? h("p", { class: "warning", id: "pool-reason", text: `The pool cannot fill: ${queue.reason}` })
      : null;
    replace(fill, poolBar({ target: queue.target, ready: queue.ready, warming }),
      h("p", { id: "pool-fill", text: `${queue.ready} of ${queue.target} ready, ${warming} warming` }), reason);
    replace(main.querySelector("#pool-chart"), poolChart(history, queue.target));

    const total = Object.values(queue.byStatus).reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...Object.values(queue.byStatus));
    replace(main.querySelector("#by-status"), total === 0
      ? h("p", { class: "empty", id: "no-containers", text: "No containers yet: the pool starts filling as soon as the engine answers." })
      : h("ul", { class: "bars" }, STATUSES.map((status) => [status, queue.byStatus[status] ?? 0]).map(([status, n]) =>
          h("li", {}, h("span", { class: `badge ${status}`, text: status }),
            h("meter", { min: 0, max, value: n, "aria-label": `${status}: ${n}` }), h("span", { class: "count", text: String(n) })))));

    replace(main.querySelector("#claims-chart"), claimsChart(queue.claimsPerMinute));
    replace(main.querySelector("#latest-claims"), queue.recentClaims.length === 0
      ? h("p", { class: "empty", text: "No claims yet." })
      : h("table", { class: "compact" },
          h("thead", {}, h("tr", {}, ["When", "Container", "Bucket", "Kind", "Latency"].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, queue.recentClaims.slice(0, 8).map((c) => h("tr", { dataset: { id: c.id } },
            h("td", { "data-label": "When", text: time(c.claimedAt) }),
            h("td", { "data-label": "Container" }, h("a", { href: `#/containers/${c.id}`, text: c.id })),
            h("td", { "data-label": "Bucket", text: c.bucket ?? "–" }),
            h("td", { "data-label": "Kind" }, h("span", { class: `badge ${c.isPreWarmed ? "warm" : "cold"}`, text: c.isPreWarmed ? "warm" : "cold" })),
            h("td", { "data-label": "Latency", text: millis(c.claimMillis) }))))));

    const host = nodes.host;
    replace(main.querySelector("#resources"), h("dl", { class: "facts" },
      h("dt", { text: "Engine" }), h("dd", { id: "engine-state", class: nodes.engine.reachable ? "ok" : "bad",
        text: nodes.engine.reachable ? `reachable (Docker ${nodes.engine.version})` : `unreachable: ${nodes.engine.error ?? ""}` }),
      h("dt", { text: "Memory" }), h("dd", {}, meter(host.memoryPercent, host.maxMemoryPercent), ` ${percent(host.memoryPercent)} of ceiling ${host.maxMemoryPercent}%`),
      h("dt", { text: "CPU" }), h("dd", {}, meter(host.cpuPercent, host.maxCpuPercent), ` ${percent(host.cpuPercent)} of ceiling ${host.maxCpuPercent}%`),
      h("dt", { text: "Spawning" }), h("dd", { class: host.spawnAllowed ? "ok" : "bad", text: host.spawnAllowed ? "allowed" : `paused: ${host.reason}` }),
      h("dt", { text: "Swarm nodes" }), h("dd", {}, h("a", { href: "#/nodes", text: `${nodes.nodes.length} (${nodes.nodes.filter((n) => n.state === "ready").length} ready)` }))));
    renderEvents();
  }

  function renderEvents() {
    const list = main.querySelector("#recent-events");
    if (!list) return;
    replace(list, recent.length === 0
      ? h("li", { class: "empty", text: "No events yet." })
      : recent.slice().reverse().map((e) => h("li", { dataset: { kind: e.kind } },
          h("time", { datetime: e.at, text: time(e.at) }), " ",
          h("a", { href: `#/containers/${e.containerId}`, text: e.containerId }), " ",
          h("strong", { text: e.kind }), e.toStatus ? ` → ${e.toStatus}` : "", e.reason ? h("span", { class: "reason", text: ` ${e.reason}` }) : "")));
  }

  const refreshSoon = debounce(refresh, 300);
  const timer = setInterval(refresh, REFRESH_MS);
  refresh();
  api("/api/events/recent?limit=" + EVENTS).then((body) => {
    for (const e of body.events) if (!recent.some((r) => r.id === e.id)) recent.push(e);
    recent.sort((a, b) => a.id - b.id);
    renderEvents();
  }).catch(() => {});

  return {
    onEvent(event) {
      if (recent.some((r) => r.id === event.id)) return;
      recent.push(event);
      while (recent.length > EVENTS) recent.shift();
      renderEvents();
      refreshSoon();
    },
    onOpen: refreshSoon,
    unmount() { stopped = true; clearInterval(timer); },
  };
}

function figure(id, value, label) {
  return h("div", { class: `figure ${id}` }, h("span", { id: `figure-${id}`, class: "value", text: String(value) }), h("span", { class: "label", text: label }));
}

function meter(value, ceiling) {
  return h("meter", { min: 0, max: 100, high: ceiling, optimum: 0, value: value ?? 0, "aria-label": `${percent(value)} of ceiling ${ceiling}%` });
}
