// Containers: filtered by status, searched by bucket or id, paged, with stop and delete.
import { api } from "../api.js";
import { h, replace, debounce } from "../dom.js";
import { age } from "../format.js";
import { LIVE, stopContainer, deleteRecord, openRoute } from "./actions.js";

const PAGE = 20;
const STATUSES = ["creating", "warming", "ready", "assigning", "running", "stopping", "stopped", "failed"];
const filters = { status: "", q: "", offset: 0 };

export function mount(main, ctx) {
  const { showBanner } = ctx;
  const status = h("select", { id: "filter-status", name: "status" },
    h("option", { value: "", text: "All statuses" }), STATUSES.map((s) => h("option", { value: s, text: s, selected: s === filters.status })));
  const search = h("input", { id: "filter-search", name: "q", type: "search", placeholder: "bucket or id", value: filters.q, autocomplete: "off" });
  const body = h("div", { id: "containers-table" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  main.append(h("h2", { class: "view-title", text: "Containers" }),
    h("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "filter-status", text: "Status" }), status,
      h("label", { for: "filter-search", text: "Search" }), search),
    body, pager);

  let stopped = false;
  let rows = [];

  async function refresh() {
    const query = new URLSearchParams({ limit: PAGE, offset: filters.offset });
    if (filters.status) query.set("status", filters.status);
    if (filters.q) query.set("q", filters.q);
    try {
      const page = await api(`/api/containers?${query}`);
      if (stopped) return;
      if (page.containers.length === 0 && filters.offset > 0) { filters.offset = 0; return refresh(); }
      rows = page.containers;
      render(page);
    } catch (error) {
      if (!stopped && error.status !== 401) showBanner(`Cannot load containers: ${error.message}`);
    }
  }

  function render(page) {
    if (rows.length === 0) {
      replace(body, h("p", { class: "empty", id: "no-containers", text: filters.status || filters.q ? "No container matches." : "No containers yet." }));
    } else {
      replace(body, h("div", { class: "table-wrap" }, h("table", { class: "containers" },
        h("caption", { class: "sr-only", text: "Containers, newest first" }),
        h("thead", {}, h("tr", {}, ["Id", "Status", "Health", "Bucket", "User", "Age", "Links", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, rows.map(row)))));
    }
    const last = Math.min(page.offset + page.limit, page.total);
    replace(pager,
      h("button", { type: "button", class: "secondary", disabled: page.offset === 0, text: "Previous", onclick: () => { filters.offset = Math.max(0, filters.offset - PAGE); refresh(); } }),
      h("span", { id: "page-info", text: page.total ? `${page.offset + 1}–${last} of ${page.total}` : "0 of 0" }),
      h("button", { type: "button", class: "secondary", disabled: last >= page.total, text: "Next", onclick: () => { filters.offset += PAGE; refresh(); } }));
  }

  function row(c) {
    const live = LIVE.has(c.status);
    const action = live
      ? h("button", { type: "button", class: "danger small", "data-action": "stop", disabled: c.status === "stopping", text: "Stop",
          onclick: async () => { const r = await stopContainer(c.id, ctx); if (r) { patch(c.id, r.status); refresh(); } } })
      : h("button", { type: "button", class: "secondary small", "data-action": "delete", text: "Delete",
          onclick: async () => { if (await deleteRecord(c.id, ctx)) refresh(); } });
    return h("tr", { dataset: { id: c.id, status: c.status } },
      h("td", { "data-label": "Id" }, h("a", { href: `#/containers/${c.id}`, class: "mono", text: c.id })),
      h("td", { "data-label": "Status" }, h("span", { class: `badge ${c.status} status`, text: c.status })),
      h("td", { "data-label": "Health" }, h("span", { class: `health ${c.healthStatus}`, text: c.healthStatus })),
      h("td", { "data-label": "Bucket", text: c.s3Bucket ?? "–" }),
      h("td", { "data-label": "User", text: c.userId ?? "–" }),
      h("td", { "data-label": "Age", text: age(c.createdAt), title: c.createdAt }),
      // No direct links into a tenant's pages: "open" asks for a fresh launch link (operator only).
      h("td", { "data-label": "Links" }, c.status === "running" ? h("span", { class: "links" },
        ["code", "vnc", "web"].map((route) => h("button", { type: "button", class: "secondary small", "data-action": `open-${route}`, text: route,
          onclick: () => openRoute(c.id, route, ctx) }))) : "–"),
      h("td", { "data-label": "Actions" }, action));
  }

  /** Shows a new status in a row at once; the next refresh brings the rest. */
  function patch(id, status) {
    const tr = body.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
    if (!tr || !status) return;
    tr.dataset.status = status;
    const badge = tr.querySelector(".status");
    badge.textContent = status;
    badge.className = `badge ${status} status`;
  }

  const refreshSoon = debounce(refresh, 300);
  status.addEventListener("change", () => { filters.status = status.value; filters.offset = 0; refresh(); });
  search.addEventListener("input", debounce(() => { filters.q = search.value.trim(); filters.offset = 0; refresh(); }, 300));
  const timer = setInterval(() => body.querySelectorAll("td[data-label=Age]").forEach((td) => { td.textContent = age(td.title); }), 1000);
  refresh();

  return {
    onEvent(event) {
      if (event.toStatus) patch(event.containerId, event.toStatus);
      refreshSoon();
    },
    onOpen: refreshSoon,
    unmount() { stopped = true; clearInterval(timer); },
  };
}
