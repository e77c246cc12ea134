"""Start-up and shutdown: token, listener, sync engine, watcher, SIGTERM flush."""

import os
import signal
import sys
import threading
import time

from .agent import Agent, TokenFileError, load_token, write_state
from .config import Config
from .excludes import Excludes
from .transport import Server
from .rclone import Rclone
from .sync import SyncEngine
from .watch import Watcher


def log(message):
    """One line on stderr (never a credential or the token)."""
    sys.stderr.write(f"ide-agent: {message}\n")
    sys.stderr.flush()


def main():
    """Runs the agent until SIGTERM/SIGINT; returns the exit status."""
    try:
        config = Config.from_env()
    except ValueError as e:
        log(f"bad setting: {e}")
        return 2
    try:
        token = load_token(config.token_file)
    except TokenFileError as e:
        log(f"{e}; refusing to start without a usable agent token")
        return 1
    excludes = Excludes(config.excludes)
    try:
        rclone = Rclone(config.rclone, config.user, config.rclone_timeout)
    except KeyError:
        log(f"no user {config.user!r} to run rclone as")
        return 1

    agent = None

    def on_state(state, hydrated):
        write_state(config.state_dir, state, hydrated, log)

    engine = SyncEngine(config, rclone, excludes, log, on_state, lambda: agent.touch())
    agent = Agent(config, token, engine, log)
    write_state(config.state_dir, "idle", False, log)
    try:
        agent.prepare_activity_file()
    except OSError as e:
        log(f"cannot create the activity file: {e.strerror}")
    try:
        server = Server((config.bind, config.port), agent, log)
    except OSError as e:
        log(f"cannot listen on {config.bind}:{config.port}: {e.strerror}")
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    engine.start()
    if os.path.isdir(config.workspace):
        Watcher(config.workspace, excludes, config.watch, engine.file_changed, agent.tick, log).start()
    else:
        log(f"workspace {config.workspace} does not exist")
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log(f"listening on {config.bind}:{config.port}; agent routes "
        + ("require the agent token" if token is not None else "are open (no agent token file)"))

    while not stop.wait(1.0):
        pass
    log("signal received: flushing the workspace before exit")
    started = time.monotonic()
    outcome, detail = engine.flush(timeout=config.flush_on_exit_timeout)
    if outcome == "flushed":
        log(f"flushed in {time.monotonic() - started:.2f} s; exiting")
    elif outcome in ("nothing_to_flush", "not_hydrated"):
        log(f"nothing flushed ({outcome.replace('_', ' ')}); exiting")
    else:
        log(f"flush before exit failed: {detail}; exiting")
    rclone.kill_current()
    server.server_close()
    return 0
