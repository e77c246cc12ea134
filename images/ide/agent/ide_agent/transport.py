"""A small, strict HTTP/1.1 front end for the agent port (docs/agent-contract.md, Transport).

Each connection carries one request: the whole request (headers and body) must arrive within
2 s (else 408, or a silent close when nothing came), headers are limited to 16 KiB (431), bodies
to 64 KiB with a Content-Length (413; chunked bodies 411), and every response closes the
connection. Parsing is ours, on top of ThreadingHTTPServer's accept loop, so every limit holds
for the whole request rather than per read.
"""

import json
import socket
import socketserver
import time
from http.server import ThreadingHTTPServer

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
REQUEST_DEADLINE = 2.0
TCHARS = set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 411: "Length Required",
           413: "Content Too Large", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
           502: "Bad Gateway", 504: "Gateway Timeout"}


class Request:
    """One parsed request."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers  # lower-case name -> first value (bytes)
        self.body = body


class Response:
    """Status, JSON body and an optional Allow header."""

    def __init__(self, status, body, allow=None):
        self.status = status
        self.body = body
        self.allow = allow


def error(status, message, allow=None):
    """A `{"status":"error","message":...}` response."""
    return Response(status, {"status": "error", "message": message}, allow)


class _Refused(Exception):
    def __init__(self, response):
        super().__init__(response.status if response is not None else "closed")
        self.response = response


def _recv(sock, deadline, received_any):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Refused(error(408, "request timeout") if received_any else None)
    sock.settimeout(remaining)
    try:
        data = sock.recv(65536)
    except socket.timeout:
        raise _Refused(error(408, "request timeout") if received_any else None) from None
    if not data:
        raise _Refused(None)  # the client gave up
    return data


def _parse_head(head):
    lines = head.split(b"\n")
    request_line = lines[0].rstrip(b"\r")
    parts = request_line.split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1] or not all(c in TCHARS for c in parts[0]):
        raise _Refused(error(400, "bad request"))
    method, target, version = parts
    if not version.startswith(b"HTTP/1."):
        raise _Refused(error(400, "bad request"))
    headers = {}
    content_length = None
    expect_continue = False
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or not all(c in TCHARS for c in name):
            raise _Refused(error(400, "bad request"))
        key = name.decode("ascii").lower()
        value = value.strip(b" \t")
        if key == "content-length":
            if not value.isdigit():
                raise _Refused(error(400, "bad request"))
            n = int(value)
            if content_length is not None and n != content_length:
                raise _Refused(error(400, "bad request"))
            content_length = n
        elif key == "transfer-encoding":
            raise _Refused(error(411, "send a Content-Length body (chunked not supported)"))
        elif key == "expect" and value.lower() == b"100-continue":
            expect_continue = True
        headers.setdefault(key, value)
    if content_length is not None and content_length > MAX_BODY_BYTES:
        raise _Refused(error(413, "request body too large"))
    # Absolute-form targets: keep only the path; drop query and fragment.
    path = target
    lower = path.lower()
    if not path.startswith(b"/"):
        if lower.startswith(b"http://") or lower.startswith(b"https://"):
            rest = path.split(b"//", 1)[1]
            slash = rest.find(b"/")
            path = rest[slash:] if slash >= 0 else b"/"
        elif path == b"*":
            raise _Refused(error(405, "method not allowed"))
        else:
            raise _Refused(error(400, "bad request"))
    path = path.split(b"?", 1)[0].split(b"#", 1)[0]
    return method.decode("ascii"), path.decode("latin-1"), headers, content_length or 0, expect_continue


def read_request(sock):
    """Reads one request within the deadline; raises _Refused with the answer (or None: just close)."""
    deadline = time.monotonic() + REQUEST_DEADLINE
    buf = b""
    while True:
        end = buf.find(b"\r\n\r\n")
        alt = buf.find(b"\n\n")
        if end >= 0 and (alt < 0 or end <= alt):
            head, rest = buf[:end], buf[end + 4:]
            break
        if alt >= 0:
            head, rest = buf[:alt], buf[alt + 2:]
            break
        if len(buf) > MAX_HEADER_BYTES:
            raise _Refused(error(431, "request headers too large"))
        buf += _recv(sock, deadline, bool(buf))
    if len(head) > MAX_HEADER_BYTES:
        raise _Refused(error(431, "request headers too large"))
    method, path, headers, length, expect_continue = _parse_head(head)
    if expect_continue and len(rest) < length:
        try:
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        except OSError:
            pass
    while len(rest) < length:
        rest += _recv(sock, deadline, True)
    return Request(method, path, headers, rest[:length])


def send(sock, response, head_only=False):
    """Writes the response (JSON, Connection: close)."""
    body = json.dumps(response.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    lines = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Unknown')}",
             "Content-Type: application/json", f"Content-Length: {len(body)}", "Cache-Control: no-store"]
    if response.allow:
        lines.append(f"Allow: {response.allow}")
    lines.append("Connection: close")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (b"" if head_only else body)
    sock.settimeout(REQUEST_DEADLINE)
    sock.sendall(data)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        response, head_only = None, False
        try:
            request = read_request(sock)
            head_only = request.method == "HEAD"
            response = self.server.app(request)
        except _Refused as refused:
            response = refused.response
        except OSError:
            return
        except Exception as e:  # never leave a client without an answer
            self.server.log(f"request failed: {type(e).__name__}")
            response = error(500, "internal error")
        if response is None:
            return
        try:
            send(sock, response, head_only)
            sock.shutdown(socket.SHUT_WR)
            # Drain what the client still sends (at most 1 s) so the close does not reset the response.
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                if not sock.recv(65536):
                    break
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with our own request parsing; `app(request) -> Response`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, log):
        self.app = app
        self.log = log
        super().__init__(address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves its own name (getfqdn): a DNS lookup at start that can
        # hang in a container without DNS. The name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
