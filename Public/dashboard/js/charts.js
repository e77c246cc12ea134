// Charts drawn as SVG by hand: the pool over time, claims per minute, a stacked bar.
import { s } from "./dom.js";

export const COLORS = { ready: "#1a7f4b", warming: "#c77c02", assigned: "#2f5fb3", target: "#3b4250", warm: "#1a7f4b", cold: "#b3412f" };

function frame(width, height, label) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" },
    s("title", { text: label }));
}

/** Lines of ready, warming and assigned over time, with the target dashed. */
export function poolChart(samples, target) {
  const width = 420, height = 170, left = 30, bottom = 18, top = 8;
  const label = `Pool over the last ${samples.length} samples: target ${target}`;
  const svg = frame(width, height, label);
  const max = Math.max(1, target, ...samples.flatMap((p) => [p.ready, p.warming, p.assigned]));
  const x = (i) => left + (samples.length <= 1 ? 0 : (i * (width - left - 4)) / (samples.length - 1));
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  for (const tick of [0, Math.round(max / 2), max]) {
    svg.append(s("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: "grid" }));
    svg.append(s("text", { x: left - 4, y: y(tick) + 4, "text-anchor": "end", class: "axis", text: String(tick) }));
  }
  svg.append(s("line", { x1: left, x2: width, y1: y(target), y2: y(target), stroke: COLORS.target, "stroke-dasharray": "6 4", "stroke-width": 1.5 }));
  for (const key of ["assigned", "warming", "ready"]) {
    if (samples.length === 0) continue;
    const points = samples.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
    svg.append(s("polyline", { points, fill: "none", stroke: COLORS[key], "stroke-width": 2.5, "stroke-linejoin": "round", "data-series": key }));
  }
  svg.append(s("text", { x: left, y: height - 4, class: "axis", text: samples.length ? new Date(samples[0].at).toLocaleTimeString() : "" }));
  svg.append(s("text", { x: width, y: height - 4, "text-anchor": "end", class: "axis", text: "now" }));
  return svg;
}

/** One bar: ready, warming and assigned stacked against the target. */
export function poolBar(pool) {
  const width = 420, height = 30;
  const total = Math.max(pool.target, pool.ready + pool.warming, 1);
  const svg = frame(width, height, `Ready ${pool.ready} and warming ${pool.warming} of target ${pool.target}`);
  let offset = 0;
  svg.append(s("rect", { x: 0, y: 4, width, height: 20, rx: 4, class: "track" }));
  for (const key of ["ready", "warming"]) {
    const w = (pool[key] / total) * width;
    if (w > 0) svg.append(s("rect", { x: offset, y: 4, width: w, height: 20, fill: COLORS[key], "data-series": key }));
    offset += w;
  }
  const tx = Math.min(width - 1, (pool.target / total) * width);
  svg.append(s("line", { x1: tx, x2: tx, y1: 0, y2: height, stroke: COLORS.target, "stroke-width": 2 }));
  return svg;
}

/** Warm and cold claims per minute as stacked bars. */
export function claimsChart(minutes) {
  const width = 420, height = 140, left = 26, bottom = 18, top = 6;
  const total = minutes.reduce((sum, m) => sum + m.warm + m.cold, 0);
  const svg = frame(width, height, `Claims per minute over the last ${minutes.length} minutes: ${total} in all`);
  const max = Math.max(1, ...minutes.map((m) => m.warm + m.cold));
  const slot = (width - left) / Math.max(1, minutes.length);
  const y = (v) => (height - top - bottom) * (v / max);
  svg.append(s("text", { x: left - 4, y: top + 8, "text-anchor": "end", class: "axis", text: String(max) }));
  svg.append(s("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom, class: "grid" }));
  minutes.forEach((m, i) => {
    const x = left + i * slot + 1;
    const warm = y(m.warm), cold = y(m.cold);
    if (m.warm) svg.append(s("rect", { x, y: height - bottom - warm, width: slot - 2, height: warm, fill: COLORS.warm }));
    if (m.cold) svg.append(s("rect", { x, y: height - bottom - warm - cold, width: slot - 2, height: cold, fill: COLORS.cold }));
  });
  svg.append(s("text", { x: left, y: height - 4, class: "axis", text: minutes.length ? new Date(minutes[0].minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "" }));
  svg.append(s("text", { x: width, y: height - 4, "text-anchor": "end", class: "axis", text: "now" }));
  return svg;
}
