"""JupyterLab's own contents API, reached through Traefik under a container's code route."""
import json
import urllib.error
import urllib.request
from http.cookiejar import CookieJar


class Jupyter:
    def __init__(self, code_url, launch_url=None):
        self.base = code_url if code_url.endswith("/") else code_url + "/"
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.xsrf = None
        if launch_url:
            # The launch link answers 302 with the route's session cookie (IDE_ROUTE_AUTH).
            try:
                with self.opener.open(launch_url, timeout=30) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                error.read()

    def _request(self, method, path, body=None, timeout=10):
        headers = {"Content-Type": "application/json"}
        if self.xsrf:
            headers["X-XSRFToken"] = self.xsrf
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _ensure_xsrf(self):
        if self.xsrf:
            return
        self._request("GET", "lab")
        self.xsrf = next((cookie.value for cookie in self.cookies if cookie.name == "_xsrf"), None)

    def listing(self, directory=""):
        """Names in `directory` of the workspace, or None while the editor cannot list it."""
        status, body = self._request("GET", f"api/contents/{directory}?content=1")
        if status != 200:
            return None
        return {item["name"]: item for item in json.loads(body)["content"]}

    def read(self, path):
        status, body = self._request("GET", f"api/contents/{path}?content=1&format=text&type=file")
        return json.loads(body)["content"] if status == 200 else None

    def write(self, path, text):
        self._ensure_xsrf()
        status, body = self._request("PUT", f"api/contents/{path}", {"type": "file", "format": "text", "content": text})
        assert status in (200, 201), f"PUT {path}: {status} {body[:300]!r}"

    def delete(self, path):
        self._ensure_xsrf()
        status, body = self._request("DELETE", f"api/contents/{path}")
        assert status == 204, f"DELETE {path}: {status} {body[:300]!r}"
