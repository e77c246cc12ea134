"""GET /api/events with 100 connected clients, across a restart of the service binary.

Each client is a raw HTTP/1.1 connection that reconnects with Last-Event-ID after its stream
ends, as the dashboard does. Checks: the stream needs the key; every client gets the same new
events; SIGTERM ends the 100 streams so the service exits promptly; after the restart every
client reconnects, gets the next events and none twice.
"""
import asyncio
import json
import sys
import time

from service import Service, eventually

CLIENTS = 100


class Client:
    def __init__(self, port, key):
        self.port, self.key = port, key
        self.opens = 0
        self.ids = []
        self.heartbeats = 0
        self.last_id = None
        self.stopped = False

    async def run(self):
        while not self.stopped:
            try:
                await self.read_stream()
            except (OSError, asyncio.IncompleteReadError):
                pass
            if not self.stopped:
                await asyncio.sleep(0.3)

    async def read_stream(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            head = f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.key}\r\nAccept: text/event-stream\r\n"
            if self.last_id is not None:
                head += f"Last-Event-ID: {self.last_id}\r\n"
            writer.write((head + "\r\n").encode())
            await writer.drain()
            status = await reader.readline()
            if b" 200 " not in status:
                raise OSError(f"status {status!r}")
            chunked = False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                    chunked = True
            buffer = ""
            while not self.stopped:
                if chunked:
                    size_line = await reader.readline()
                    if not size_line:
                        return
                    size = int(size_line.strip() or b"0", 16)
                    if size == 0:
                        return
                    data = await reader.readexactly(size + 2)
                    buffer += data[:-2].decode()
                else:
                    data = await reader.read(4096)
                    if not data:
                        return
                    buffer += data.decode()
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    self.on_block(block)
        finally:
            writer.close()

    def on_block(self, block):
        fields = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                self.heartbeats += 1
                continue
            name, _, value = line.partition(":")
            fields[name] = value.lstrip(" ")
        if fields.get("event") == "open":
            self.opens += 1
        elif fields.get("event") == "container":
            event = json.loads(fields["data"])
            assert str(event["id"]) == fields["id"]
            self.ids.append(event["id"])
            self.last_id = event["id"]


async def wait_for(what, condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


async def scenario(service):
    status, body, _ = service.call("GET", "/api/events", key=None)
    assert status == 401 and body["error"]["code"] == "AUTHENTICATION_FAILED", (status, body)
    status, _, _ = service.call("GET", "/api/events", key="wrong-key")
    assert status == 401, status

    clients = [Client(service.port, service.key) for _ in range(CLIENTS)]
    tasks = [asyncio.create_task(c.run()) for c in clients]
    try:
        await wait_for(f"{CLIENTS} streams to open", lambda: all(c.opens >= 1 for c in clients), 30)
        # The pool filling writes events; every client sees the same ones.
        await wait_for("the pool's events at every client", lambda: all(len(c.ids) >= 3 for c in clients), 60)
        await wait_for("heartbeats at every client", lambda: all(c.heartbeats >= 1 for c in clients), 10)
        await asyncio.to_thread(eventually, "a ready container", lambda: service.queue()["ready"] >= 1, 60)
        before = max(max(c.ids) for c in clients)
        print(f"event-stream: {CLIENTS} clients connected, latest event id {before}")

        took = await asyncio.to_thread(service.stop)
        print(f"event-stream: service stopped by SIGTERM in {took:.1f}s with {CLIENTS} open streams")
        assert took < 15, f"shutdown took {took:.1f}s"
        await asyncio.to_thread(service.launch)
        await wait_for("every client to reconnect after the restart", lambda: all(c.opens >= 2 for c in clients), 30)

        # A change after the restart reaches every reconnected client.
        status, page, _ = await asyncio.to_thread(service.call, "GET", "/api/containers?status=ready&limit=1")
        assert status == 200 and page["containers"], page
        victim = page["containers"][0]["id"]
        status, body, _ = await asyncio.to_thread(service.call, "DELETE", f"/api/containers/{victim}")
        assert status == 200, body
        await wait_for("the stop after the restart at every client",
                       lambda: all(any(i > before for i in c.ids) for c in clients), 30)
        for c in clients:
            assert len(c.ids) == len(set(c.ids)), "a client got an event twice"
            assert c.ids == sorted(c.ids), "a client got events out of order"
        print(f"event-stream: all {CLIENTS} clients reconnected and received events after the restart, none twice")
    finally:
        for c in clients:
            c.stopped = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main():
    with Service("sse", PRE_WARMED_QUEUE_SIZE=1) as service:
        try:
            asyncio.run(scenario(service))
        except BaseException:
            print("service log tail:\n" + service.log_tail(), file=sys.stderr)
            raise


if __name__ == "__main__":
    main()
