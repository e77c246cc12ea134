#!/usr/bin/env python3
"""Opens a WebSocket at ws://HOST:PORT/PATH, checks the 101 and its Sec-WebSocket-Accept, and that a text frame comes back.

Usage: websocket-check.py HOST PORT PATH   (exit 0 and one line on success, 1 and the reason otherwise)
Environment: WS_HOST (the Host header, default HOST:PORT), WS_COOKIE (a Cookie header), WS_ORIGIN (an
Origin header), WS_EXPECT (a status other than 101 the upgrade must be refused with).
"""
import base64, hashlib, os, socket, sys
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
key = base64.b64encode(os.urandom(16)).decode()
s = socket.create_connection((host, port), timeout=5)
extra = "".join(f"{name}: {os.environ[var]}\r\n" for name, var in (("Cookie", "WS_COOKIE"), ("Origin", "WS_ORIGIN")) if os.environ.get(var))
s.sendall(f"GET {path} HTTP/1.1\r\nHost: {os.environ.get('WS_HOST') or f'{host}:{port}'}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d: break
    buf += d
head, _, rest = buf.partition(b"\r\n\r\n")
lines = head.decode(errors="replace").split("\r\n")
expect = os.environ.get("WS_EXPECT")
if expect:
    if lines[0].split(" ")[1:2] == [expect]:
        print(f"upgrade refused with {expect}"); sys.exit(0)
    print(f"expected {expect}:", lines[0]); sys.exit(1)
want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
hdrs = {l.split(":",1)[0].strip().lower(): l.split(":",1)[1].strip() for l in lines[1:] if ":" in l}
if not lines[0].startswith("HTTP/1.1 101") or hdrs.get("sec-websocket-accept") != want:
    print("no upgrade:", lines[0], hdrs); sys.exit(1)
msg = b"hello through the proxy"
mask = os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(msg)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
while len(rest) < 2 + len(msg):
    d = s.recv(4096)
    if not d: break
    rest += d
if rest[:2] != bytes([0x81, len(msg)]) or rest[2:2 + len(msg)] != msg:
    print("no echo:", rest); sys.exit(1)
print("websocket ok: 101, accept matches, frame echoed")
