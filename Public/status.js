// Polls the public health endpoint and shows the pool's figures. No API key is involved.
const text = (id, value) => { document.getElementById(id).textContent = value; };
const percent = (value, ceiling) => value == null ? "unknown" : `${value}% (ceiling ${ceiling}%)`;

async function refresh() {
  try {
    const response = await fetch("/api/health", { cache: "no-store" });
    const health = await response.json();
    const badge = document.getElementById("status");
    badge.textContent = health.status;
    badge.className = `badge ${health.status}`;
    for (const key of ["ready", "warming", "assigned", "target"]) text(key, health.pool[key]);
    text("engine", health.engine.reachable ? `reachable (${health.engine.version})` : `unreachable: ${health.engine.error}`);
    text("memory", percent(health.resources.memoryPercent, health.resources.maxMemoryPercent));
    text("cpu", percent(health.resources.cpuPercent, health.resources.maxCpuPercent));
    text("spawning", health.resources.spawnAllowed ? "allowed" : `paused: ${health.resources.reason}`);
    text("updated", new Date(health.timestamp).toLocaleTimeString());
  } catch (error) {
    text("status", "unreachable");
  }
}

refresh();
setInterval(refresh, 2000);
