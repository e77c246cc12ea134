# JupyterLab of the reference IDE image (loaded through JUPYTER_CONFIG_PATH=/opt/ide/etc/jupyter).
# Access control is the router's job: no token, no password. Nothing phones home.
import os

c = get_config()  # noqa: F821

base = "/" + os.environ.get("CODE_BASE_PATH", "/").strip("/")
c.ServerApp.base_url = base.rstrip("/") + "/"
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8080
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_remote_access = True
c.ServerApp.trust_xheaders = True
c.ServerApp.root_dir = "/workspace"
c.ServerApp.default_url = "/lab"
c.IdentityProvider.token = ""
c.PasswordIdentityProvider.hashed_password = ""
c.PasswordIdentityProvider.password_required = False
c.ServerApp.terminals_enabled = True
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash", "-l"]}
# jupyter_lsp has no language server to talk to here, notebook_shim serves the classic
# notebook's extensions: neither is loaded (~memory of each idle container).
c.ServerApp.jpserver_extensions = {"ide_gate": True, "jupyter_lsp": False, "notebook_shim": False}
# Checkpoints live in the home directory, not beside the user's files (they would sync).
c.FileCheckpoints.root_dir = os.path.expanduser("~/.local/share/jupyter/checkpoints")
# No update checks, news or announcements.
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.news_url = None
c.LabApp.extension_manager = "readonly"  # the default one asks PyPI for listings and updates
