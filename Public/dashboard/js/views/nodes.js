// Nodes: the Swarm's nodes with state, role, capacity, reservations and our containers on them.
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { bytes, cpus, percent } from "../format.js";

export function mount(main, { showBanner }) {
  const root = h("div", { id: "nodes" }, h("p", { text: "Loading…" }));
  main.append(h("h2", { class: "view-title", text: "Nodes" }), root);
  let stopped = false;

  async function refresh() {
    try {
      const body = await api("/api/nodes");
      if (stopped) return;
      showBanner(body.engine.reachable ? "" : `Docker engine unreachable: ${body.engine.error ?? "no answer"}`);
      render(body);
    } catch (error) {
      if (!stopped && error.status !== 401) showBanner(`Cannot load nodes: ${error.message}`);
    }
  }

  function usage(used, total, format) {
    const share = total > 0 ? Math.round((used / total) * 100) : 0;
    return [h("meter", { min: 0, max: Math.max(total, 1), value: used, "aria-label": `${format(used)} of ${format(total)}` }), ` ${format(used)} of ${format(total)} (${share}%)`];
  }

  function render(body) {
    const host = body.host;
    const hostFacts = h("dl", { class: "facts card" },
      h("dt", { text: "Engine" }), h("dd", { class: body.engine.reachable ? "ok" : "bad", text: body.engine.reachable ? `reachable (Docker ${body.engine.version})` : `unreachable: ${body.engine.error ?? ""}` }),
      h("dt", { text: "This node's memory" }), h("dd", { text: `${percent(host.memoryPercent)} (ceiling ${host.maxMemoryPercent}%)` }),
      h("dt", { text: "This node's CPU" }), h("dd", { text: `${percent(host.cpuPercent)} (ceiling ${host.maxCpuPercent}%)` }));
    const table = body.nodes.length === 0
      ? h("p", { class: "empty", text: body.engine.reachable ? "The Swarm reports no nodes." : "Nodes are unknown while the engine is unreachable." })
      : h("div", { class: "table-wrap" }, h("table", { class: "nodes" },
          h("thead", {}, h("tr", {}, ["Node", "State", "Role", "Availability", "CPU", "Memory", "Swarm reserved", "Our containers", "Our limits"].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, body.nodes.map((n) => h("tr", { dataset: { id: n.id } },
            h("td", { "data-label": "Node" }, h("strong", { text: n.hostname ?? n.id }), h("br"), h("span", { class: "mono small", text: n.address ?? "" })),
            h("td", { "data-label": "State" }, h("span", { class: `badge ${n.state === "ready" ? "running" : "failed"}`, text: n.state })),
            h("td", { "data-label": "Role", text: n.role ?? "–" }),
            h("td", { "data-label": "Availability", text: n.availability ?? "–" }),
            h("td", { "data-label": "CPU", text: cpus(n.nanoCPUs) }),
            h("td", { "data-label": "Memory", text: bytes(n.memoryBytes) }),
            h("td", { "data-label": "Swarm reserved", text: `${cpus(n.reservedNanoCPUs)}, ${bytes(n.reservedMemoryBytes)}` }),
            h("td", { "data-label": "Our containers", text: String(n.ours.containers) }),
            h("td", { "data-label": "Our limits" }, h("div", {}, usage(n.ours.nanoCPUs, n.nanoCPUs, cpus)), h("div", {}, usage(n.ours.memoryBytes, n.memoryBytes, bytes))))))));
    replace(root, hostFacts, table);
  }

  const timer = setInterval(refresh, 5000);
  refresh();
  return { onEvent() {}, onOpen: refresh, unmount() { stopped = true; clearInterval(timer); } };
}
