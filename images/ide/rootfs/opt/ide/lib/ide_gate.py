"""Jupyter server extension of the reference IDE image.

- Until the workspace is hydrated (ide_common.Hydration) every page under the base URL
  answers the "Preparing your workspace…" page with HTTP 200 (health probes pass, the page
  reloads itself) and every API call answers 503 with Retry-After; static assets are served.
- Afterwards requests pass untouched. User activity is: a page load (GET of the base URL,
  lab, doc, tree, edit, notebooks, terminals, files, view), any request that is not a GET or
  HEAD (saves, renames, new kernels and terminals), and every message a terminal or kernel
  websocket receives from the browser. Background polls (api/, lab/api/, lsp/, static/) and
  health probes (header X-IDE-Health-Probe: 1) are not.

It wraps the tornado application's find_handler: after hydration the cost per request is
one attribute read plus the throttled activity check.
"""
from tornado import web

from ide_common import PROBE_HEADER, Activity, Hydration, preparing_page


class PreparingHandler(web.RequestHandler):
    """Answers while the workspace is not hydrated yet."""

    def initialize(self, api, state):
        self.api = api
        self.state = state

    def _answer(self):
        self.set_header("Cache-Control", "no-store")
        if self.api:
            self.set_status(503)
            self.set_header("Retry-After", "2")
            self.set_header("Content-Type", "application/json")
            self.finish('{"message": "workspace not hydrated yet", "state": "%s"}' % self.state)
        else:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(preparing_page("Editor", self.state))

    def get(self, *args, **kwargs):
        self._answer()

    def _log(self):
        # Browsers and probes poll while the workspace hydrates: one log line per poll (503s
        # at error level with their headers, from Jupyter's request log) says nothing.
        pass

    head = post = put = patch = delete = options = get


def _load_jupyter_server_extension(serverapp):
    app = serverapp.web_app
    base = serverapp.base_url.rstrip("/") + "/"
    static = (base + "static/", base + "favicon")
    api = base + "api/"
    hydrated = Hydration()
    activity = Activity()
    original = app.find_handler

    def find_handler(request, **kwargs):
        if not hydrated():
            path = request.path
            if not path.startswith(static) and (path.startswith(base) or path + "/" == base):
                is_api = path.startswith(api) or path.startswith(base + "lab/api")
                return app.get_handler_delegate(
                    request, PreparingHandler, {"api": is_api, "state": hydrated.state})
        elif _is_user_action(request, base) and request.headers.get(PROBE_HEADER) != "1":
            activity.touch()
        return original(request, **kwargs)

    app.find_handler = find_handler
    _count_websocket_input(activity)
    serverapp.log.info("ide_gate: preparing page until hydrated, activity to %s", activity.path)


PAGE_ROOTS = frozenset(("", "lab", "doc", "tree", "edit", "notebooks", "terminals", "files", "view"))


def _is_user_action(request, base):
    """Whether a request (after hydration) is the user's doing rather than a background poll."""
    if request.method not in ("GET", "HEAD"):
        return True
    path = request.path
    if not path.startswith(base):
        return False
    rest = path[len(base):]
    return rest.split("/", 1)[0] in PAGE_ROOTS and not rest.startswith("lab/api/")


def _count_websocket_input(activity):
    """Browser->server websocket messages (terminal keystrokes, kernel requests) count."""
    targets = []
    try:
        from terminado.websocket import TermSocket
        targets.append(TermSocket)
    except ImportError:
        pass
    try:
        from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
        targets.append(KernelWebsocketHandler)
    except ImportError:
        pass
    for cls in targets:
        original = cls.on_message

        def on_message(self, message, _original=original):
            activity.touch()
            return _original(self, message)

        cls.on_message = on_message


def _jupyter_server_extension_points():
    return [{"module": "ide_gate"}]
