"""The agent's settings, read once from the environment (see README.md for the list)."""

import os
from dataclasses import dataclass

DEFAULT_EXCLUDES = ("node_modules/**", "__pycache__/**", ".cache/**", ".ipynb_checkpoints/**", "*.pyc")


def _float(env, name, default):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = float(raw)
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def _int(env, name, default):
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


@dataclass
class Config:
    """Everything the agent reads from its environment."""

    bind: str = "0.0.0.0"
    port: int = 3100
    token_file: str = "/run/secrets/ide-agent-token"
    user: str = "ide"
    workspace: str = "/workspace"
    state_dir: str = "/run/ide"
    rclone: str = "rclone"
    excludes: tuple = DEFAULT_EXCLUDES
    debounce: float = 1.0
    debounce_max: float = 3.0
    poll_interval: float = 10.0
    max_delete_percent: int = 50
    transfers: int = 16
    flush_on_exit_timeout: float = 50.0
    rclone_timeout: float = 600.0
    watch: str = "auto"
    activity_report_interval: float = 60.0

    @classmethod
    def from_env(cls, env=None):
        """Reads the settings from `env` (default: os.environ)."""
        env = os.environ if env is None else env
        excludes = DEFAULT_EXCLUDES
        if "IDE_SYNC_EXCLUDES" in env:
            excludes = tuple(p.strip() for p in env["IDE_SYNC_EXCLUDES"].split(",") if p.strip())
        config = cls(
            bind=env.get("IDE_AGENT_BIND", "").strip() or "0.0.0.0",
            port=_int(env, "IDE_AGENT_PORT", 3100),
            token_file=env.get("IDE_AGENT_TOKEN_FILE", "").strip() or "/run/secrets/ide-agent-token",
            user=env.get("IDE_USER", "").strip() or "ide",
            workspace=env.get("IDE_WORKSPACE", "").strip() or "/workspace",
            state_dir=env.get("IDE_STATE_DIR", "").strip() or "/run/ide",
            rclone=env.get("RCLONE_BINARY", "").strip() or "rclone",
            excludes=excludes,
            debounce=_float(env, "IDE_SYNC_DEBOUNCE", 1.0),
            debounce_max=_float(env, "IDE_SYNC_DEBOUNCE_MAX", 3.0),
            poll_interval=_float(env, "IDE_SYNC_POLL_INTERVAL", 10.0),
            max_delete_percent=_int(env, "IDE_SYNC_MAX_DELETE_PERCENT", 50),
            transfers=max(1, _int(env, "IDE_SYNC_TRANSFERS", 16)),
            flush_on_exit_timeout=_float(env, "IDE_FLUSH_ON_EXIT_TIMEOUT", 50.0),
            rclone_timeout=_float(env, "IDE_SYNC_RCLONE_TIMEOUT", 600.0),
            watch=(env.get("IDE_SYNC_WATCH", "").strip() or "auto").lower(),
            activity_report_interval=_float(env, "IDE_ACTIVITY_REPORT_INTERVAL", 60.0),
        )
        if config.poll_interval < 0.5:
            raise ValueError("IDE_SYNC_POLL_INTERVAL must be at least 0.5 seconds")
        if not 0 < config.port < 65536:
            raise ValueError("IDE_AGENT_PORT must be a TCP port")
        if config.watch not in ("auto", "inotify", "poll"):
            raise ValueError("IDE_SYNC_WATCH must be auto, inotify or poll")
        if not 0 <= config.max_delete_percent <= 100:
            raise ValueError("IDE_SYNC_MAX_DELETE_PERCENT must be between 0 and 100")
        return config
