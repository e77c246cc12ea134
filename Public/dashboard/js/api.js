// Talks to the API with the operator's key, kept in sessionStorage and sent only as a header.
const STORAGE = "ide-orchestrator.apiKey";

export const session = {
  get key() { return sessionStorage.getItem(STORAGE); },
  signIn(key) { sessionStorage.setItem(STORAGE, key); },
  signOut() { sessionStorage.removeItem(STORAGE); },
};

/** An API answer that was not 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const listeners = new Set();
/** Calls fn whenever the API refuses the key (401). */
export function onUnauthorized(fn) { listeners.add(fn); }

/** A JSON call; throws ApiError with the API's own code and message. */
export async function api(path, { method = "GET", key = session.key, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method, signal, cache: "no-store",
      headers: { Authorization: `Bearer ${key ?? ""}`, Accept: "application/json" },
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "UNREACHABLE", "The service cannot be reached.");
  }
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) {
    const error = new ApiError(response.status, body?.error?.code ?? `HTTP_${response.status}`, body?.error?.message ?? `The service answered ${response.status}.`);
    if (response.status === 401 && key === session.key) for (const fn of listeners) fn(error);
    throw error;
  }
  return body;
}
