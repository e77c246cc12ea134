// The live feed: container events over an authenticated server-sent-events stream read with
// fetch (EventSource cannot send the key as a header), reconnecting with Last-Event-ID after a
// drop or a service restart, and polling /api/events/recent while the stream is unavailable.
import { session } from "./api.js";

const POLL_MS = 3000;
const MAX_BACKOFF_MS = 10000;
const SILENCE_MS = 45000;

export class LiveFeed extends EventTarget {
  constructor() {
    super();
    this.lastId = null;
    this.state = "idle";
    this.retryMs = 2000;
    this.controller = null;
    this.stopped = true;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    const streaming = typeof ReadableStream !== "undefined" && "body" in Response.prototype && typeof TextDecoderStream !== "undefined";
    if (streaming) this.#streamLoop(); else this.#pollLoop();
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
    this.#setState("idle");
  }

  #setState(state, detail = "") {
    if (this.state === state && !detail) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, detail } }));
  }

  #emit(event) {
    if (this.lastId != null && event.id <= this.lastId) return;
    this.lastId = event.id;
    this.dispatchEvent(new CustomEvent("container", { detail: event }));
  }

  #unauthorized() {
    this.stop();
    this.dispatchEvent(new CustomEvent("unauthorized"));
  }

  async #streamLoop() {
    let failures = 0;
    while (!this.stopped) {
      this.#setState(failures === 0 ? "connecting" : "reconnecting");
      const outcome = await this.#readStream();
      if (this.stopped) return;
      if (outcome === "unauthorized") return this.#unauthorized();
      failures = outcome === "opened" ? 1 : failures + 1;
      this.#setState("reconnecting");
      // Catch up through plain requests while the stream is down, then try it again.
      const wait = Math.min(this.retryMs * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_MS);
      await this.#pollOnce();
      await sleep(wait);
    }
  }

  async #readStream() {
    const controller = new AbortController();
    this.controller = controller;
    let silence;
    const watchdog = () => { clearTimeout(silence); silence = setTimeout(() => controller.abort(), SILENCE_MS); };
    let opened = false;
    try {
      const headers = { Authorization: `Bearer ${session.key ?? ""}`, Accept: "text/event-stream" };
      if (this.lastId != null) headers["Last-Event-ID"] = String(this.lastId);
      watchdog();
      const response = await fetch("/api/events", { headers, cache: "no-store", signal: controller.signal });
      if (response.status === 401) return "unauthorized";
      if (!response.ok || !response.body) return "failed";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watchdog();
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame = parseFrame(block);
          if (frame.retry) this.retryMs = frame.retry;
          if (frame.event === "open") {
            opened = true;
            this.#setState("live");
            this.dispatchEvent(new CustomEvent("open"));
          } else if (frame.event === "container" && frame.data) {
            this.#emit(JSON.parse(frame.data));
          }
        }
      }
      return opened ? "opened" : "failed";
    } catch {
      return opened ? "opened" : "failed";
    } finally {
      clearTimeout(silence);
    }
  }

  async #pollOnce() {
    try {
      const query = this.lastId == null ? "limit=20" : `after=${this.lastId}&limit=500`;
      const response = await fetch(`/api/events/recent?${query}`, {
        headers: { Authorization: `Bearer ${session.key ?? ""}` }, cache: "no-store",
      });
      if (response.status === 401) { this.#unauthorized(); return false; }
      if (!response.ok) return false;
      const body = await response.json();
      for (const event of body.events) this.#emit(event);
      return true;
    } catch {
      return false;
    }
  }

  async #pollLoop() {
    while (!this.stopped) {
      const ok = await this.#pollOnce();
      if (this.stopped) return;
      this.#setState(ok ? "polling" : "reconnecting");
      if (ok) this.dispatchEvent(new CustomEvent("open"));
      await sleep(POLL_MS);
    }
  }
}

function parseFrame(block) {
  const frame = { event: "message", data: "" };
  const data = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "event") frame.event = value;
    else if (field === "id") frame.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) frame.retry = Number(value);
  }
  frame.data = data.join("\n");
  return frame;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
