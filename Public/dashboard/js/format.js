// How figures read on screen.
export function age(iso, now = Date.now()) {
  if (!iso) return "–";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "–");
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString() : "–");

export function bytes(n) {
  if (n == null) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export const cpus = (nano) => (nano == null ? "–" : `${(nano / 1e9).toFixed(nano % 1e9 === 0 ? 0 : 2)} CPU`);
export const millis = (ms) => (ms == null ? "–" : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
export const percent = (p) => (p == null ? "unknown" : `${p}%`);
