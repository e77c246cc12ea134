/*
 * ide-agent: PID 1 of the ide-orchestrator *dev* IDE image.
 *
 * Stands in for the real IDE image in local and CI runs (no registry is
 * reachable there). It serves:
 *   :8080  (code)  any GET/HEAD -> 200 {"service":"code","path":"<path>"}
 *                  GET with Upgrade: websocket -> 101, then echoes frames
 *   :6080  (vnc)   any GET/HEAD -> 200 {"service":"vnc","path":"<path>"}
 *                  GET with Upgrade: websocket -> 101, then echoes frames
 *   :3000  (web + agent)
 *          GET  /health            -> 200 {"status":"ok","assigned":bool,"bucket":..,"lastActivityAt":..}
 *          POST /assign-s3-bucket  -> see docs/agent-contract.md
 *          POST /flush             -> 200 {"status":"flushed","lastPushAt":..} when assigned,
 *                                     else {"status":"nothing_to_flush"} (nothing to push here)
 *          POST /credentials       -> 200 {"status":"updated"} keeping the body; 409 when not
 *                                     assigned; 400 unless the body is a JSON object
 *          GET  /assignment        -> dev-only readback of the accepted body
 *          GET  /dev/workspace     -> dev-only readback: {"flushes":n,"lastFlushAt":..,"credentials":<last body>|null}
 *          POST /dev/lie-free      -> dev-only: /health answers assigned:false from now on
 *                                     while the bucket stays held (a tampered agent,
 *                                     for the tests of adoption after a lost database)
 *          POST /dev/assign-delay/<ms> -> dev-only: hold the answer to every later
 *                                     accepted assignment for <ms> (tests of crashes
 *                                     while an assignment is in flight)
 *          any other GET/HEAD      -> 200 {"service":"web","path":"<path>"}
 *
 * Agent token: when /run/secrets/ide-agent-token exists at start (the
 * orchestrator's Swarm secret), the agent routes above (/health,
 * /assign-s3-bucket, /flush, /credentials, /assignment, /dev/...) answer 401 and change nothing
 * unless the request carries "Authorization: Bearer <token>" (compared in
 * constant time). The web paths and ports 8080/6080 stay open: they are the
 * user's traffic. Without the file every route is open (legacy).
 *
 * Design: one thread, one poll() loop, non-blocking sockets, HTTP/1.1 with
 * "Connection: close" on every response. Each connection has a deadline
 * (2 s to deliver headers + body, 2 s to take the response), so a slow or
 * silent client costs one slot and never delays the others. Requests are
 * limited to 16 KiB of headers and 64 KiB of body (413 beyond that).
 * SIGTERM/SIGINT end the loop at once (ppoll with the signals unblocked only
 * while waiting). As PID 1 it also reaps orphaned children (SIGCHLD).
 *
 * Build: gcc -static -O2 -Wall -Wextra -o ide-agent ide-agent.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS        512
#define MAX_HEADER_BYTES (16 * 1024)
#define MAX_BODY_BYTES   (64 * 1024)
#define READ_TIMEOUT_MS  2000
#define WRITE_TIMEOUT_MS 2000
#define DRAIN_TIMEOUT_MS 500
#define JSON_MAX_DEPTH   64
#define ASSIGNMENT_FILE  "/tmp/assignment.json"
#define TOKEN_FILE       "/run/secrets/ide-agent-token"
#define MAX_TOKEN_BYTES  4096

enum { PORT_CODE = 8080, PORT_VNC = 6080, PORT_WEB = 3000 };
/* ST_HOLDING: a response is ready but held until deadline_ms (dev assign delay). */
enum { ST_FREE = 0, ST_READING, ST_WRITING, ST_DRAINING, ST_HOLDING, ST_WS };

struct conn {
    int fd;
    int port;
    int state;
    int expect_continue_sent;
    int ws;              /* the response being written is a WebSocket 101 */
    char *in;            /* request bytes */
    size_t in_len, in_cap;
    size_t hdr_end;      /* offset of body start, 0 while headers incomplete */
    size_t content_len;
    char *out;           /* response bytes */
    size_t out_len, out_off;
    int64_t deadline_ms;
    int64_t hold_ms;     /* > 0: hold the next response this long */
    int is_probe;        /* X-IDE-Health-Probe: the orchestrator, not the user */
};

static volatile sig_atomic_t g_stop = 0;
static volatile sig_atomic_t g_child = 0;
static struct conn g_conns[MAX_CONNS];

/* The current assignment (only one per container lifetime). */
static char *g_bucket = NULL;      /* decoded bucket name */
static size_t g_bucket_len = 0;
static char *g_request = NULL;     /* raw accepted JSON body, verbatim */
static size_t g_request_len = 0;
static time_t g_last_activity = 0; /* wall clock of the user's last request, 0: none */
static int64_t g_assign_delay_ms = 0;
static int g_lie_free = 0;  /* POST /dev/lie-free: /health denies the assignment */
static char *g_token = NULL;       /* agent token from TOKEN_FILE; NULL: legacy, no check */
static int64_t g_flushes = 0;      /* POST /flush calls answered */
static time_t g_last_flush = 0;    /* wall clock of the last one, 0: none */
static char *g_credentials = NULL; /* last POST /credentials body, verbatim */
static size_t g_credentials_len = 0;
static size_t g_token_len = 0;

/* ------------------------------------------------------------------ util */

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logmsg(const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}

static void on_signal(int sig) {
    if (sig == SIGCHLD) g_child = 1;
    else g_stop = 1;
}

/* Growable byte buffer used to compose responses. Aborts never; on OOM the
 * buffer is marked failed and the connection is dropped. */
struct sbuf { char *p; size_t len, cap; int oom; };

static void sb_put(struct sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Append s as the *contents* of a JSON string (no surrounding quotes). */
static void sb_json_escaped(struct sbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':  sb_put(b, "\\\"", 2); break;
        case '\\': sb_put(b, "\\\\", 2); break;
        case '\n': sb_put(b, "\\n", 2); break;
        case '\r': sb_put(b, "\\r", 2); break;
        case '\t': sb_put(b, "\\t", 2); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                sb_put(b, u, 6);
            } else {
                sb_put(b, (const char *)&c, 1);
            }
        }
    }
}

/* ------------------------------------------------------------- JSON scan */
/*
 * A small validating JSON parser (RFC 8259 grammar, depth-limited). It only
 * needs to (a) reject invalid JSON and (b) extract the top-level "bucket"
 * member if it is a string. Duplicate keys: the last one wins.
 */
struct jp {
    const char *p, *end;
    int depth;
};

static void j_ws(struct jp *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int j_hex4(struct jp *j, unsigned *out) {
    if (j->end - j->p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0) return -1;
        v = (v << 4) | (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(struct sbuf *b, unsigned cp) {
    char u[4];
    if (cp < 0x80) { u[0] = (char)cp; sb_put(b, u, 1); }
    else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); sb_put(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); sb_put(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); sb_put(b, u, 4);
    }
}

/* Parses a string at j->p (which must be '"'). Decodes into out if non-NULL. */
static int j_string(struct jp *j, struct sbuf *out) {
    if (j->p >= j->end || *j->p != '"') return -1;
    j->p++;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') return 0;
        if (c < 0x20) return -1;
        if (c != '\\') { if (out) sb_put(out, (const char *)&c, 1); continue; }
        if (j->p >= j->end) return -1;
        char e = *j->p++;
        char lit;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            unsigned cp;
            if (j_hex4(j, &cp) < 0) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                const char *save = j->p;
                unsigned lo;
                j->p += 2;
                if (j_hex4(j, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    j->p = save; /* lone high surrogate: keep as is */
            }
            if (out) put_utf8(out, cp);
            continue;
        }
        default: return -1;
        }
        if (out) sb_put(out, &lit, 1);
    }
    return -1; /* unterminated */
}

static int j_number(struct jp *j) {
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end) return -1;
    if (*j->p == '0') j->p++;
    else if (*j->p >= '1' && *j->p <= '9') { while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++; }
    else return -1;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    return j->p > s ? 0 : -1;
}

static int j_literal(struct jp *j, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) return -1;
    j->p += n;
    return 0;
}

static int j_value(struct jp *j);

static int j_array(struct jp *j) {
    if (++j->depth > JSON_MAX_DEPTH) return -1;
    j->p++; /* '[' */
    j_ws(j);
    if (j->p < j->end && *j->p == ']') { j->p++; j->depth--; return 0; }
    for (;;) {
        if (j_value(j) < 0) return -1;
        j_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == ',') { j->p++; continue; }
        if (*j->p == ']') { j->p++; j->depth--; return 0; }
        return -1;
    }
}

/* Parses an object. If bucket != NULL (top level only) the last "bucket"
 * member is decoded into it; *bucket_ok says whether it was a string. */
static int j_object(struct jp *j, struct sbuf *bucket, int *bucket_ok) {
    if (++j->depth > JSON_MAX_DEPTH) return -1;
    j->p++; /* '{' */
    j_ws(j);
    if (j->p < j->end && *j->p == '}') { j->p++; j->depth--; return 0; }
    for (;;) {
        j_ws(j);
        struct sbuf key = {0};
        int r = j_string(j, bucket ? &key : NULL);
        int is_bucket = bucket && r == 0 && !key.oom && key.len == 6 && memcmp(key.p, "bucket", 6) == 0;
        free(key.p);
        if (r < 0) return -1;
        j_ws(j);
        if (j->p >= j->end || *j->p != ':') return -1;
        j->p++;
        j_ws(j);
        if (is_bucket) {
            bucket->len = 0;
            if (bucket->p) bucket->p[0] = '\0';
            if (j->p < j->end && *j->p == '"') {
                if (j_string(j, bucket) < 0) return -1;
                *bucket_ok = !bucket->oom;
            } else {
                if (j_value(j) < 0) return -1;
                *bucket_ok = 0;
            }
        } else if (j_value(j) < 0) {
            return -1;
        }
        j_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == ',') { j->p++; continue; }
        if (*j->p == '}') { j->p++; j->depth--; return 0; }
        return -1;
    }
}

static int j_value(struct jp *j) {
    j_ws(j);
    if (j->p >= j->end) return -1;
    switch (*j->p) {
    case '{': return j_object(j, NULL, NULL);
    case '[': return j_array(j);
    case '"': return j_string(j, NULL);
    case 't': return j_literal(j, "true");
    case 'f': return j_literal(j, "false");
    case 'n': return j_literal(j, "null");
    default:  return j_number(j);
    }
}

/* Returns 0 if body is a valid JSON object with a non-empty string "bucket". */
static int extract_bucket(const char *body, size_t n, struct sbuf *bucket) {
    struct jp j = { body, body + n, 0 };
    int ok = 0;
    j_ws(&j);
    if (j.p >= j.end || *j.p != '{') return -1;
    if (j_object(&j, bucket, &ok) < 0) return -1;
    j_ws(&j);
    if (j.p != j.end) return -1;
    if (!ok || bucket->len == 0) return -1;
    return 0;
}

/* ------------------------------------------------------------- responses */

static const char *reason(int code) {
    switch (code) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default:  return "Unknown";
    }
}

static void conn_close(struct conn *c) {
    if (c->fd >= 0) close(c->fd);
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->state = ST_FREE;
}

static int conn_flush(struct conn *c);
static void ws_opened(struct conn *c);

/* Queues a complete response and switches the connection to writing. */
static void respond(struct conn *c, int code, const char *allow, struct sbuf *body, int head_only) {
    struct sbuf r = {0};
    char hdr[512];
    size_t blen = body ? body->len : 0;
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "%s%s%s"
                     "Connection: close\r\n\r\n",
                     code, reason(code), blen,
                     allow ? "Allow: " : "", allow ? allow : "", allow ? "\r\n" : "");
    sb_put(&r, hdr, (size_t)n);
    if (body && !head_only) sb_put(&r, body->p, body->len);
    if (r.oom) { free(r.p); conn_close(c); return; }
    free(c->out);
    c->out = r.p;
    c->out_len = r.len;
    c->out_off = 0;
    if (c->hold_ms > 0) {
        c->state = ST_HOLDING;
        c->deadline_ms = now_ms() + c->hold_ms;
        return;
    }
    c->state = ST_WRITING;
    c->deadline_ms = now_ms() + WRITE_TIMEOUT_MS;
    conn_flush(c);
}

static void respond_str(struct conn *c, int code, const char *allow, const char *json, int head_only) {
    struct sbuf b = {0};
    sb_str(&b, json);
    if (b.oom) { conn_close(c); return; }
    respond(c, code, allow, &b, head_only);
    free(b.p);
}

static void respond_error(struct conn *c, int code, const char *msg) {
    struct sbuf b = {0};
    sb_str(&b, "{\"status\":\"error\",\"message\":\"");
    sb_json_escaped(&b, msg, strlen(msg));
    sb_str(&b, "\"}");
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, code, code == 405 ? (c->port == PORT_WEB ? "GET, HEAD, POST" : "GET, HEAD") : NULL, &b, 0);
    free(b.p);
}

static void respond_service(struct conn *c, const char *service, const char *path, size_t path_len, int head_only) {
    struct sbuf b = {0};
    sb_str(&b, "{\"service\":\"");
    sb_str(&b, service);
    sb_str(&b, "\",\"path\":\"");
    sb_json_escaped(&b, path, path_len);
    sb_str(&b, "\"}");
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, 200, NULL, &b, head_only);
    free(b.p);
}

static void bucket_reply(struct conn *c, int code, const char *status, const char *bucket, size_t len) {
    struct sbuf b = {0};
    sb_str(&b, "{\"status\":\"");
    sb_str(&b, status);
    sb_str(&b, "\",\"bucket\":\"");
    sb_json_escaped(&b, bucket, len);
    sb_str(&b, "\"}");
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, code, NULL, &b, 0);
    free(b.p);
}

static void save_assignment_file(const char *body, size_t n) {
    const char *tmp = ASSIGNMENT_FILE ".tmp";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { logmsg("ide-agent: cannot write %s: %s", tmp, strerror(errno)); return; }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, body + off, n - off);
        if (w < 0) { if (errno == EINTR) continue; break; }
        off += (size_t)w;
    }
    close(fd);
    if (off != n || rename(tmp, ASSIGNMENT_FILE) != 0) {
        logmsg("ide-agent: cannot write %s: %s", ASSIGNMENT_FILE, strerror(errno));
        unlink(tmp);
    }
}

static void handle_assign(struct conn *c, const char *body, size_t n) {
    struct sbuf bucket = {0};
    if (extract_bucket(body, n, &bucket) < 0) {
        free(bucket.p);
        respond_error(c, 400, "bucket is required");
        return;
    }
    if (g_bucket == NULL) {
        char *req = malloc(n + 1);
        if (!req) { free(bucket.p); respond_error(c, 500, "out of memory"); return; }
        memcpy(req, body, n);
        req[n] = '\0';
        g_request = req;
        g_request_len = n;
        g_bucket = bucket.p;
        g_bucket_len = bucket.len;
        save_assignment_file(body, n);
        g_last_activity = time(NULL);
        logmsg("ide-agent: POST /assign-s3-bucket: assigned (%zu bytes of request)", n);
        c->hold_ms = g_assign_delay_ms;
        bucket_reply(c, 200, "success", g_bucket, g_bucket_len);
        return;
    }
    if (bucket.len == g_bucket_len && memcmp(bucket.p, g_bucket, g_bucket_len) == 0) {
        free(bucket.p);
        bucket_reply(c, 200, "already_assigned", g_bucket, g_bucket_len);
        return;
    }
    free(bucket.p);
    logmsg("ide-agent: POST /assign-s3-bucket: refused, already assigned to another bucket");
    respond_error(c, 409, "already assigned to another bucket");
}

/* GET /health: ready, and what this container holds (docs/agent-contract.md). */
static void handle_health(struct conn *c, int head_only) {
    struct sbuf b = {0};
    sb_str(&b, "{\"status\":\"ok\",\"assigned\":");
    if (g_bucket == NULL || g_lie_free) {
        sb_str(&b, "false,\"bucket\":null,\"lastActivityAt\":null}");
    } else {
        sb_str(&b, "true,\"bucket\":\"");
        sb_json_escaped(&b, g_bucket, g_bucket_len);
        sb_str(&b, "\",\"lastActivityAt\":");
        struct tm tm;
        char when[32];
        if (g_last_activity && gmtime_r(&g_last_activity, &tm) && strftime(when, sizeof when, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm)) sb_str(&b, when);
        else sb_str(&b, "null");
        sb_str(&b, "}");
    }
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, 200, NULL, &b, head_only);
    free(b.p);
}

/* Appends "YYYY-MM-DDTHH:MM:SSZ" (quoted) or null. */
static void sb_time(struct sbuf *b, time_t t) {
    struct tm tm;
    char when[32];
    if (t && gmtime_r(&t, &tm) && strftime(when, sizeof when, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm)) sb_str(b, when);
    else sb_str(b, "null");
}

/* POST /flush: the dev image syncs nothing, so every change is "in the bucket" at once. */
static void handle_flush(struct conn *c) {
    g_flushes++;
    g_last_flush = time(NULL);
    if (g_bucket == NULL) { respond_str(c, 200, NULL, "{\"status\":\"nothing_to_flush\"}", 0); return; }
    struct sbuf b = {0};
    sb_str(&b, "{\"status\":\"flushed\",\"lastPushAt\":");
    sb_time(&b, g_last_flush);
    sb_str(&b, "}");
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, 200, NULL, &b, 0);
    free(b.p);
}

/* POST /credentials: keeps the body for /dev/workspace (the dev image uses no credentials). */
static void handle_credentials(struct conn *c, const char *body, size_t n) {
    size_t i = 0;
    while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) i++;
    if (i == n || body[i] != '{') { respond_error(c, 400, "the body must be a JSON object"); return; }
    if (g_bucket == NULL) { respond_error(c, 409, "not assigned"); return; }
    char *copy = malloc(n + 1);
    if (!copy) { respond_error(c, 500, "out of memory"); return; }
    memcpy(copy, body, n);
    copy[n] = '\0';
    free(g_credentials);
    g_credentials = copy;
    g_credentials_len = n;
    respond_str(c, 200, NULL, "{\"status\":\"updated\"}", 0);
}

/* GET /dev/workspace: how often /flush was called, and the last credentials pushed. */
static void handle_workspace_readback(struct conn *c, int head_only) {
    struct sbuf b = {0};
    char count[32];
    snprintf(count, sizeof count, "%lld", (long long)g_flushes);
    sb_str(&b, "{\"flushes\":");
    sb_str(&b, count);
    sb_str(&b, ",\"lastFlushAt\":");
    sb_time(&b, g_last_flush);
    sb_str(&b, ",\"credentials\":");
    if (g_credentials) sb_put(&b, g_credentials, g_credentials_len);
    else sb_str(&b, "null");
    sb_str(&b, "}");
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, 200, NULL, &b, head_only);
    free(b.p);
}

/* POST /dev/assign-delay/<ms>: dev-only, holds later assignment answers. */
static void handle_assign_delay(struct conn *c, const char *digits, size_t n) {
    int64_t ms = 0;
    if (n == 0 || n > 6) { respond_error(c, 400, "give the delay in milliseconds (at most 6 digits)"); return; }
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9') { respond_error(c, 400, "the delay must be digits"); return; }
        ms = ms * 10 + (digits[i] - '0');
    }
    g_assign_delay_ms = ms;
    logmsg("ide-agent: assignment answers held for %lld ms", (long long)ms);
    respond_str(c, 200, NULL, "{\"status\":\"ok\"}", 0);
}

static void handle_assignment_readback(struct conn *c, int head_only) {
    if (g_bucket == NULL) { respond_str(c, 404, NULL, "{\"assigned\":false}", head_only); return; }
    struct sbuf b = {0};
    sb_str(&b, "{\"assigned\":true,\"bucket\":\"");
    sb_json_escaped(&b, g_bucket, g_bucket_len);
    sb_str(&b, "\",\"request\":");
    sb_put(&b, g_request, g_request_len);
    sb_str(&b, "}");
    if (b.oom) { free(b.p); conn_close(c); return; }
    respond(c, 200, NULL, &b, head_only);
    free(b.p);
}

/* ------------------------------------------------------------- WebSocket */
/*
 * The code and vnc ports accept a WebSocket upgrade (RFC 6455), as the real
 * code-server and noVNC do, so that proxies in front of the image can be
 * tested end to end: a GET with "Upgrade: websocket" and a Sec-WebSocket-Key
 * gets 101 with the matching Sec-WebSocket-Accept. Afterwards text and binary
 * frames (up to 64 KiB, masked as clients must) are echoed, pings answered,
 * and a close frame is answered and ends the connection.
 */
#define WS_IDLE_TIMEOUT_MS 30000
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const unsigned char *msg, size_t len, unsigned char out[20]) {
    uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char block[64];
    for (size_t off = 0; off < total; off += 64) {
        for (size_t i = 0; i < 64; i++) {
            size_t k = off + i;
            if (k < len) block[i] = msg[k];
            else if (k == len) block[i] = 0x80;
            else if (k >= total - 8) block[i] = (unsigned char)(((uint64_t)len * 8) >> (8 * (total - 1 - k)));
            else block[i] = 0;
        }
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = rol32(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol32(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    for (int i = 0; i < 20; i++) out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const unsigned char *in, size_t n, char *out) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Finds header `name` in the request's header block; returns its trimmed value. */
static const char *ws_header(const struct conn *c, const char *name, size_t *vlen) {
    const char *p = c->in, *end = c->in + c->hdr_end;
    size_t nlen = strlen(name);
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    while (nl && nl + 1 < end) {
        p = nl + 1;
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r') le--;
        if ((size_t)(le - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1, *ve = le;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
    }
    return NULL;
}

/* Whether the request asks to become a WebSocket. */
static int ws_is_upgrade(const struct conn *c) {
    size_t n = 0;
    const char *v = ws_header(c, "upgrade", &n);
    return v && n == 9 && strncasecmp(v, "websocket", 9) == 0;
}

/* Answers the upgrade with 101, or 400 when the key is missing or malformed. */
static void ws_accept(struct conn *c) {
    size_t klen = 0;
    const char *key = ws_header(c, "sec-websocket-key", &klen);
    if (!key || klen == 0 || klen > 64) { respond_error(c, 400, "missing Sec-WebSocket-Key"); return; }
    unsigned char joined[64 + sizeof WS_GUID], digest[20];
    memcpy(joined, key, klen);
    memcpy(joined + klen, WS_GUID, sizeof WS_GUID - 1);
    sha1(joined, klen + sizeof WS_GUID - 1, digest);
    char accept[32];
    base64(digest, sizeof digest, accept);
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    char *out = malloc((size_t)n);
    if (!out) { conn_close(c); return; }
    memcpy(out, hdr, (size_t)n);
    free(c->out);
    c->out = out;
    c->out_len = (size_t)n;
    c->out_off = 0;
    c->ws = 1;
    c->state = ST_WRITING;
    c->deadline_ms = now_ms() + WRITE_TIMEOUT_MS;
    conn_flush(c);
}

/* After the 101 is sent: frames from now on. */
static void ws_opened(struct conn *c) {
    c->in_len = 0;
    c->hdr_end = 0;
    c->state = ST_WS;
    c->deadline_ms = now_ms() + WS_IDLE_TIMEOUT_MS;
}

/* Sends one unmasked frame, best effort (frames are small, the socket buffer takes them). */
static void ws_send(struct conn *c, int opcode, const unsigned char *payload, size_t n) {
    unsigned char head[4];
    size_t h = 0;
    head[h++] = (unsigned char)(0x80 | opcode);
    if (n < 126) head[h++] = (unsigned char)n;
    else { head[h++] = 126; head[h++] = (unsigned char)(n >> 8); head[h++] = (unsigned char)n; }
    ssize_t w = send(c->fd, head, h, MSG_NOSIGNAL | MSG_DONTWAIT | (n ? MSG_MORE : 0));
    if (n && w == (ssize_t)h) w = send(c->fd, payload, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
}

/* Handles every complete frame in the buffer; returns -1 once the connection is closed. */
static int ws_frames(struct conn *c) {
    for (;;) {
        unsigned char *b = (unsigned char *)c->in;
        if (c->in_len < 2) return 0;
        int opcode = b[0] & 0x0F;
        if (!(b[1] & 0x80)) { conn_close(c); return -1; } /* clients must mask */
        size_t len = b[1] & 0x7F, off = 2;
        if (len == 127) { conn_close(c); return -1; }
        if (len == 126) {
            if (c->in_len < 4) return 0;
            len = (size_t)b[2] << 8 | b[3];
            off = 4;
        }
        if (c->in_len < off + 4 + len) return 0;
        unsigned char *mask = b + off, *payload = b + off + 4;
        for (size_t i = 0; i < len; i++) payload[i] ^= mask[i % 4];
        if (opcode == 0x8) { ws_send(c, 0x8, payload, len < 2 ? len : 2); conn_close(c); return -1; }
        if (g_bucket != NULL && opcode != 0xA) g_last_activity = time(NULL); /* the user's own traffic */
        if (opcode == 0x9) ws_send(c, 0xA, payload, len);
        else if (opcode == 0x1 || opcode == 0x2) ws_send(c, opcode, payload, len);
        size_t used = off + 4 + len;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        c->deadline_ms = now_ms() + WS_IDLE_TIMEOUT_MS;
    }
}

static void ws_read(struct conn *c) {
    for (;;) {
        size_t want = 4 + 4 + 65535;
        if (c->in_cap < want + 1) {
            char *np = realloc(c->in, want + 1);
            if (!np) { conn_close(c); return; }
            c->in = np;
            c->in_cap = want + 1;
        }
        if (c->in_len >= want) { conn_close(c); return; }
        ssize_t r = recv(c->fd, c->in + c->in_len, want - c->in_len, 0);
        if (r > 0) { c->in_len += (size_t)r; if (ws_frames(c) < 0) return; continue; }
        if (r == 0) { conn_close(c); return; }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) conn_close(c);
        return;
    }
}

/* ---------------------------------------------------------- HTTP parsing */

static int path_is(const char *p, size_t n, const char *lit) {
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, l) == 0;
}

/* Reads the agent token at start. 0: no file (legacy) or token loaded; -1: the
 * file exists but holds no usable token (the agent then refuses to start). */
static int load_token(void) {
    int fd = open(TOKEN_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    char buf[MAX_TOKEN_BYTES + 1];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { close(fd); return -1; }
        if (r == 0 || (n += (size_t)r) == sizeof buf - 1) break;
    }
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
    if (n == 0 || n >= MAX_TOKEN_BYTES) return -1;
    g_token = malloc(n);
    if (!g_token) return -1;
    memcpy(g_token, buf, n);
    g_token_len = n;
    return 0;
}

/* Whether the request may use an agent route: no token configured, or
 * "Authorization: Bearer <token>" with the right token. The comparison takes
 * the same time wherever the first difference is. */
static int authorized(const struct conn *c) {
    if (!g_token) return 1;
    size_t n = 0;
    const char *v = ws_header(c, "authorization", &n);
    if (!v || n < 7 || strncasecmp(v, "Bearer ", 7) != 0) return 0;
    v += 7;
    n -= 7;
    unsigned char diff = (unsigned char)(n != g_token_len);
    for (size_t i = 0; i < g_token_len; i++) diff |= (unsigned char)(g_token[i] ^ (i < n ? v[i] : 0));
    return diff == 0;
}

static void dispatch(struct conn *c, const char *method, size_t mlen,
                     const char *path, size_t plen, const char *body, size_t blen) {
    int is_get = (mlen == 3 && memcmp(method, "GET", 3) == 0);
    int is_head = (mlen == 4 && memcmp(method, "HEAD", 4) == 0);
    int is_post = (mlen == 4 && memcmp(method, "POST", 4) == 0);

    /* Reads (health probes, the IDE ports) are not logged: every container is probed four
       times per HEALTH_CHECK_INTERVAL, and each log line costs the engine's log pipeline
       (containerd-shim and dockerd) more CPU than the request itself. An assignment logs
       once, in handle_assign. */
    if (!is_get && !is_head && !(is_post && path_is(path, plen, "/assign-s3-bucket")))
        logmsg("ide-agent: :%d %.*s %.*s", c->port, (int)(mlen > 16 ? 16 : mlen), method,
               (int)(plen > 200 ? 200 : plen), path);

    if (c->port == PORT_CODE || c->port == PORT_VNC) {
        if (!is_get && !is_head) { respond_error(c, 405, "method not allowed"); return; }
        if (g_bucket != NULL && !c->is_probe) g_last_activity = time(NULL); /* the user's own traffic */
        if (is_get && ws_is_upgrade(c)) { ws_accept(c); return; }
        respond_service(c, c->port == PORT_CODE ? "code" : "vnc", path, plen, is_head);
        return;
    }
    /* PORT_WEB */
    static const char delay[] = "/dev/assign-delay/";
    static const char dev[] = "/dev/";
    int agent_route = path_is(path, plen, "/assign-s3-bucket") || path_is(path, plen, "/health") ||
                      path_is(path, plen, "/assignment") || path_is(path, plen, "/flush") ||
                      path_is(path, plen, "/credentials") ||
                      (plen >= sizeof dev - 1 && memcmp(path, dev, sizeof dev - 1) == 0);
    if (agent_route && !authorized(c)) { respond_error(c, 401, "missing or wrong agent token"); return; }
    if (is_post) {
        if (path_is(path, plen, "/assign-s3-bucket")) { handle_assign(c, body, blen); return; }
        if (path_is(path, plen, "/flush")) { handle_flush(c); return; }
        if (path_is(path, plen, "/credentials")) { handle_credentials(c, body, blen); return; }
        if (path_is(path, plen, "/dev/lie-free")) {
            g_lie_free = 1;
            logmsg("ide-agent: /health denies the assignment from now on");
            respond_str(c, 200, NULL, "{\"status\":\"ok\"}", 0);
            return;
        }
        if (plen > sizeof delay - 1 && memcmp(path, delay, sizeof delay - 1) == 0) {
            handle_assign_delay(c, path + sizeof delay - 1, plen - (sizeof delay - 1));
            return;
        }
        respond_error(c, 405, "method not allowed");
        return;
    }
    if (!is_get && !is_head) { respond_error(c, 405, "method not allowed"); return; }
    if (path_is(path, plen, "/health")) { handle_health(c, is_head); return; }
    if (path_is(path, plen, "/assignment")) { handle_assignment_readback(c, is_head); return; }
    if (path_is(path, plen, "/dev/workspace")) { handle_workspace_readback(c, is_head); return; }
    respond_service(c, "web", path, plen, is_head);
}

static int is_tchar(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Finds the end of the header block; returns body offset or 0. */
static size_t find_header_end(const char *b, size_t n) {
    for (size_t i = 0; i + 1 < n; i++) {
        if (b[i] == '\n') {
            if (b[i + 1] == '\n') return i + 2;
            if (b[i + 1] == '\r' && i + 2 < n && b[i + 2] == '\n') return i + 3;
        }
    }
    return 0;
}

/* Parses the header block. Returns 0 on success, or an HTTP status code. */
static int parse_headers(struct conn *c, int *expect_continue) {
    const char *p = c->in, *end = c->in + c->hdr_end;
    int have_len = 0;
    size_t clen = 0;
    /* skip request line */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return 400;
    p = nl + 1;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        const char *le = nl;
        if (le > p && le[-1] == '\r') le--;
        if (le == p) break; /* blank line */
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (!colon || colon == p) return 400;
        for (const char *q = p; q < colon; q++) if (!is_tchar((unsigned char)*q)) return 400;
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1, *ve = le;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        if (nlen == 14 && strncasecmp(p, "content-length", 14) == 0) {
            if (v == ve) return 400;
            size_t val = 0;
            for (const char *q = v; q < ve; q++) {
                if (*q < '0' || *q > '9') return 400;
                if (val > (SIZE_MAX - 9) / 10) return 413;
                val = val * 10 + (size_t)(*q - '0');
            }
            if (have_len && val != clen) return 400;
            have_len = 1;
            clen = val;
        } else if (nlen == 18 && strncasecmp(p, "x-ide-health-probe", 18) == 0) {
            c->is_probe = 1;
        } else if (nlen == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
            return 411;
        } else if (nlen == 6 && strncasecmp(p, "expect", 6) == 0) {
            if ((size_t)(ve - v) == 12 && strncasecmp(v, "100-continue", 12) == 0) *expect_continue = 1;
        }
        p = nl + 1;
    }
    if (clen > MAX_BODY_BYTES) return 413;
    c->content_len = clen;
    return 0;
}

/* Called once headers and body are complete. */
static void handle_request(struct conn *c) {
    const char *p = c->in, *end = c->in + c->hdr_end;
    /* request line: METHOD SP TARGET SP HTTP/x.y */
    const char *sp1 = p;
    while (sp1 < end && *sp1 != ' ') sp1++;
    if (sp1 == p || sp1 >= end) { respond_error(c, 400, "bad request"); return; }
    for (const char *q = p; q < sp1; q++)
        if (!is_tchar((unsigned char)*q)) { respond_error(c, 400, "bad request"); return; }
    const char *t = sp1 + 1;
    const char *sp2 = t;
    while (sp2 < end && *sp2 != ' ' && *sp2 != '\r' && *sp2 != '\n') sp2++;
    if (sp2 >= end || *sp2 != ' ' || sp2 == t) { respond_error(c, 400, "bad request"); return; }
    const char *ver = sp2 + 1;
    if (end - ver < 8 || memcmp(ver, "HTTP/1.", 7) != 0) { respond_error(c, 400, "bad request"); return; }

    /* absolute-form target: skip scheme://authority */
    const char *path = t, *pend = sp2;
    if (*path != '/') {
        const char *s = NULL;
        if (pend - path > 7 && strncasecmp(path, "http://", 7) == 0) s = path + 7;
        else if (pend - path > 8 && strncasecmp(path, "https://", 8) == 0) s = path + 8;
        if (!s) {
            if (pend - path == 1 && *path == '*') { respond_error(c, 405, "method not allowed"); return; }
            respond_error(c, 400, "bad request");
            return;
        }
        while (s < pend && *s != '/') s++;
        path = s < pend ? s : "/";
        if (s >= pend) pend = path + 1;
    }
    const char *q = memchr(path, '?', (size_t)(pend - path));
    if (q) pend = q;
    const char *hash = memchr(path, '#', (size_t)(pend - path));
    if (hash) pend = hash;

    dispatch(c, p, (size_t)(sp1 - p), path, (size_t)(pend - path), c->in + c->hdr_end, c->content_len);
}

/* Progress of a reading connection after new bytes arrived. */
static void conn_advance(struct conn *c) {
    if (c->hdr_end == 0) {
        c->hdr_end = find_header_end(c->in, c->in_len);
        if (c->hdr_end == 0) {
            if (c->in_len > MAX_HEADER_BYTES) respond_error(c, 431, "request headers too large");
            return;
        }
        if (c->hdr_end > MAX_HEADER_BYTES) { respond_error(c, 431, "request headers too large"); return; }
        int expect = 0;
        int code = parse_headers(c, &expect);
        if (code == 413) { respond_error(c, 413, "request body too large"); return; }
        if (code == 411) { respond_error(c, 411, "send a Content-Length body (chunked not supported)"); return; }
        if (code) { respond_error(c, code, "bad request"); return; }
        if (expect && c->in_len - c->hdr_end < c->content_len && !c->expect_continue_sent) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            ssize_t w = send(c->fd, cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)w; /* best effort: clients send the body anyway after a delay */
            c->expect_continue_sent = 1;
        }
    }
    if (c->in_len - c->hdr_end >= c->content_len) handle_request(c);
}

static void conn_read(struct conn *c) {
    for (;;) {
        size_t limit = (c->hdr_end ? c->hdr_end + c->content_len : MAX_HEADER_BYTES + 1);
        if (c->in_len >= limit) return; /* ignore pipelined extra bytes */
        /* limit <= MAX_HEADER_BYTES + MAX_BODY_BYTES, so the buffer never
         * needs more than that plus the terminating NUL. */
        if (c->in_cap < limit + 1 && c->in_cap - c->in_len < 4096 + 1) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
            if (cap > limit + 1) cap = limit + 1;
            char *np = realloc(c->in, cap);
            if (!np) { conn_close(c); return; }
            c->in = np;
            c->in_cap = cap;
        }
        size_t room = c->in_cap - c->in_len - 1;
        if (room > limit - c->in_len) room = limit - c->in_len;
        ssize_t r = recv(c->fd, c->in + c->in_len, room, 0);
        if (r > 0) {
            c->in_len += (size_t)r;
            c->in[c->in_len] = '\0';
            conn_advance(c);
            if (c->state != ST_READING) return;
            continue;
        }
        if (r == 0) { conn_close(c); return; } /* peer gave up before a full request */
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) conn_close(c);
        return;
    }
}

/* Writes pending output; on completion half-closes and drains. */
static int conn_flush(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) { c->out_off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        conn_close(c);
        return -1;
    }
    if (c->ws) { ws_opened(c); return 0; }
    /* Response complete: half-close, then read and discard whatever the client
     * still sends so the kernel does not answer with a RST that could destroy
     * the response before the client reads it. */
    shutdown(c->fd, SHUT_WR);
    c->state = ST_DRAINING;
    c->deadline_ms = now_ms() + DRAIN_TIMEOUT_MS;
    return 0;
}

static void conn_drain(struct conn *c) {
    char tmp[4096];
    for (;;) {
        ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
        if (r > 0) continue;
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        conn_close(c);
        return;
    }
}

/* ------------------------------------------------------------------ main */

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void accept_all(int lfd, int port) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            return; /* EAGAIN, or a transient error such as ECONNABORTED/EMFILE */
        }
        struct conn *slot = NULL, *oldest = NULL;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (g_conns[i].state == ST_FREE) { slot = &g_conns[i]; break; }
            if (!oldest || g_conns[i].deadline_ms < oldest->deadline_ms) oldest = &g_conns[i];
        }
        if (!slot) {
            /* Table full (e.g. many idle clients): drop the connection closest
             * to its deadline so that new clients are still served. */
            conn_close(oldest);
            slot = oldest;
        }
        memset(slot, 0, sizeof *slot);
        slot->fd = fd;
        slot->port = port;
        slot->state = ST_READING;
        slot->deadline_ms = now_ms() + READ_TIMEOUT_MS;
    }
}

static void reap_children(void) {
    g_child = 0;
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

int main(void) {
    static const int ports[3] = { PORT_CODE, PORT_VNC, PORT_WEB };
    int lfds[3];

    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);

    /* Block the signals we handle; they are only delivered inside ppoll(). */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGCHLD);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: ppoll must return EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);

    if (load_token() != 0) {
        logmsg("ide-agent: %s exists but holds no usable token", TOKEN_FILE);
        return 1;
    }
    logmsg("ide-agent: agent routes %s", g_token ? "require the agent token" : "are open (no agent token file)");
    for (int i = 0; i < 3; i++) {
        lfds[i] = listen_on(ports[i]);
        if (lfds[i] < 0) {
            logmsg("ide-agent: cannot listen on 0.0.0.0:%d: %s", ports[i], strerror(errno));
            return 1;
        }
    }
    for (int i = 0; i < MAX_CONNS; i++) { g_conns[i].fd = -1; g_conns[i].state = ST_FREE; }
    logmsg("ide-agent: listening on :8080 (code), :6080 (vnc), :3000 (web+agent)");

    struct pollfd pfds[3 + MAX_CONNS];
    int map[3 + MAX_CONNS];

    while (!g_stop) {
        int n = 0;
        int64_t now = now_ms();
        int64_t next = now + 1000;
        for (int i = 0; i < 3; i++) { pfds[n].fd = lfds[i]; pfds[n].events = POLLIN; pfds[n].revents = 0; map[n++] = -1 - i; }
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &g_conns[i];
            if (c->state == ST_FREE) continue;
            pfds[n].fd = c->fd;
            pfds[n].events = c->state == ST_WRITING ? POLLOUT : c->state == ST_HOLDING ? 0 : POLLIN;
            pfds[n].revents = 0;
            map[n++] = i;
            if (c->deadline_ms < next) next = c->deadline_ms;
        }
        int64_t wait = next - now;
        if (wait < 0) wait = 0;
        struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };
        int r = ppoll(pfds, (nfds_t)n, &ts, &waitmask);
        if (g_stop) break;
        if (g_child) reap_children();
        if (r < 0 && errno != EINTR) { logmsg("ide-agent: poll: %s", strerror(errno)); break; }

        if (r > 0) {
            for (int k = 0; k < n; k++) {
                if (!pfds[k].revents) continue;
                if (map[k] < 0) { int li = -1 - map[k]; accept_all(lfds[li], ports[li]); continue; }
                struct conn *c = &g_conns[map[k]];
                if (c->state == ST_FREE || c->fd != pfds[k].fd) continue;
                if (c->state == ST_READING) {
                    if (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) conn_read(c);
                } else if (c->state == ST_WRITING) {
                    if (pfds[k].revents & (POLLERR | POLLNVAL)) conn_close(c);
                    else conn_flush(c);
                } else if (c->state == ST_DRAINING) {
                    conn_drain(c);
                } else if (c->state == ST_HOLDING) {
                    if (pfds[k].revents & (POLLERR | POLLNVAL)) conn_close(c);
                } else if (c->state == ST_WS) {
                    ws_read(c);
                }
            }
        }

        now = now_ms();
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &g_conns[i];
            if (c->state == ST_FREE || c->deadline_ms > now) continue;
            if (c->state == ST_HOLDING) {
                c->hold_ms = 0;
                c->state = ST_WRITING;
                c->deadline_ms = now + WRITE_TIMEOUT_MS;
                conn_flush(c);
                continue;
            }
            if (c->state == ST_READING && c->in_len > 0) respond_error(c, 408, "request timeout");
            else conn_close(c);
            /* A 408 gets its own short write deadline; if it cannot be sent
             * now it is closed at that deadline. */
        }
    }

    logmsg("ide-agent: signal received, exiting");
    for (int i = 0; i < MAX_CONNS; i++) if (g_conns[i].state != ST_FREE) conn_close(&g_conns[i]);
    for (int i = 0; i < 3; i++) close(lfds[i]);
    return 0;
}
