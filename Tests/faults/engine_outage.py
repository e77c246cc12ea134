"""A switchable relay between the service and the Docker engine's unix socket.

`down()` is what the service sees of a stopped engine: every open connection (the event stream
too) is cut, and the socket is gone, so new connections are refused. `up()` brings it back.
`freeze()` is a hung engine (as dockerd under SIGSTOP): connections are accepted and nothing is
answered until `thaw()`. The
engine behind it keeps running, so the IDE containers (and every other test on that engine) are
not touched.

Why not stop dockerd itself: in Swarm mode a stopped dockerd takes every task down with it
(`--live-restore` is refused in Swarm mode), and a dockerd frozen with SIGSTOP for 30 s has its
tasks rescheduled by Swarm when it resumes (both measured, see docs/reliability.md), so neither
leaves sessions that could be "still running" afterwards.
"""
import os
import socket
import threading


class EngineRelay:
    def __init__(self, upstream_path, path):
        self.upstream_path = upstream_path
        self.path = path
        self.listener = None
        self.connections = set()
        self.lock = threading.Lock()
        self.accepted = 0
        self.thawed = threading.Event()
        self.thawed.set()

    @property
    def docker_host(self):
        return f"unix://{self.path}"

    def up(self):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(self.path):
            os.unlink(self.path)
        listener.bind(self.path)
        listener.listen(128)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def freeze(self):
        self.thawed.clear()

    def thaw(self):
        self.thawed.set()

    def down(self):
        listener, self.listener = self.listener, None
        if listener:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        with self.lock:
            open_now = list(self.connections)
            self.connections.clear()
        for conn in open_now:
            self._close(conn)
        return len(open_now) // 2

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.listener is not listener:
                client.close()
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        self.thawed.wait()
        try:
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect(self.upstream_path)
        except OSError:
            client.close()
            return
        with self.lock:
            self.connections.update((client, engine))
            self.accepted += 1
        threading.Thread(target=self._pump, args=(client, engine), daemon=True).start()
        threading.Thread(target=self._pump, args=(engine, client), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self.thawed.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with self.lock:
                    self.connections.discard(conn)
                self._close(conn)

    @staticmethod
    def _close(conn):
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()
