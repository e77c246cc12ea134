"""Protected IDE routes (issue 24) through the real Traefik, in path and host mode.

For each mode: a service with IDE_ROUTE_AUTH on behind a Traefik of this run (scripts/setup-local.sh,
whose catch-all router refuses IDE paths and hosts no container serves); two containers A and B
claimed. Checked through Traefik's public entrypoint: no cookie -> 401 on code, vnc and web; a
launch URL -> 302 to the same URL without the token, with the session cookie; then 200; a
WebSocket upgrade with the cookie -> 101, without -> 401, with a foreign Origin -> 403; a launch
token used twice, expired, or shown to another container -> 401; A's cookie on B -> 401; after A
is stopped, and after its bucket is claimed again, A's cookie -> 401; the check listener's paths are
not routed by the public entrypoint. Then in Chromium: the launch URL loads with no 401 in the
network log, a reload works, a second profile without the link gets 401.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from service import ROOT, Service, eventually, free_port  # noqa: E402,F401

WS_CHECK = ROOT / "scripts/lib/websocket-check.py"
failures = []


def check(name, fn):
    try:
        fn()
        print(f"routes-test: PASS {name}", flush=True)
    except Exception as error:  # noqa: BLE001 - reported and counted
        failures.append(name)
        print(f"routes-test: FAIL {name}: {error}", flush=True)


class Traefik:
    """The local Traefik of this run, with its network and catch-all router."""

    def __init__(self, auth_port):
        self.name = f"rt{uuid.uuid4().hex[:6]}"
        docker_host = os.environ["IDE_TEST_DOCKER_HOST"]
        self.env = {**os.environ, "DOCKER_HOST": docker_host, "LOCAL_TRAEFIK_SERVICE": f"{self.name}-traefik",
                    "TRAEFIK_NETWORK": f"{self.name}-traefik", "SWARM_NETWORK": os.environ.get("IDE_TEST_NETWORK", "ide-network"),
                    "LOCAL_S3_DIR": tempfile.mkdtemp(prefix=f"{self.name}-s3-"), "IDE_AUTH_PORT": str(auth_port),
                    "IDE_CONTAINER_IMAGE": os.environ.get("IDE_TEST_IMAGE", "ide-orchestrator/dev-ide:latest"),
                    # No local S3: the dev agent syncs nothing.
                    "AWS_ACCESS_KEY_ID": "routes-test", "AWS_SECRET_ACCESS_KEY": "routes-test-secret"}
        result = subprocess.run([str(ROOT / "scripts/setup-local.sh"), "up"], env=self.env, capture_output=True, text=True, cwd=ROOT)
        if result.returncode != 0:
            raise RuntimeError(f"setup-local.sh failed: {result.stderr[-2000:]}")
        self.stack = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        self.port = int(self.stack["HTTP_PORT"])

    def close(self):
        subprocess.run([str(ROOT / "scripts/setup-local.sh"), "down"], env=self.env, capture_output=True, cwd=ROOT)


def request(port, url, cookie=None, headers=None):
    """GET `url` through Traefik at 127.0.0.1:`port` (its host as the Host header): status, headers, body."""
    scheme_less = url.split("://", 1)[1]
    host, _, path = scheme_less.partition("/")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = {"Host": host, **(headers or {})}
    if cookie:
        sent["Cookie"] = cookie
    connection.request("GET", "/" + path, headers=sent)
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def launch(port, url):
    """Follows a launch URL once: its 302 location and the session cookie (name=value)."""
    status, headers, body = request(port, url)
    assert status == 302, f"launch {url}: {status} {body[:200]}"
    cookie = headers.get("set-cookie", "")
    assert cookie.startswith("ide_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    return headers["location"], cookie.split(";", 1)[0], cookie


def websocket(port, url, cookie=None, origin=None, expect=None):
    scheme_less = url.split("://", 1)[1]
    host, _, path = scheme_less.partition("/")
    env = {**os.environ, "WS_HOST": host}
    if cookie:
        env["WS_COOKIE"] = cookie
    if origin:
        env["WS_ORIGIN"] = origin
    if expect:
        env["WS_EXPECT"] = str(expect)
    result = subprocess.run([sys.executable, str(WS_CHECK), "127.0.0.1", str(port), "/" + path + "socket"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"websocket {url} (cookie {bool(cookie)}, origin {origin}, expect {expect}): {result.stdout}{result.stderr}"


def run_mode(mode, traefik, auth_port):
    settings = {
        "IDE_CONTAINER_IMAGE": traefik.env["IDE_CONTAINER_IMAGE"], "TRAEFIK_NETWORK": traefik.stack["TRAEFIK_NETWORK"],
        "HTTP_PORT": str(traefik.port), "TRAEFIK_PROBE_URL": traefik.stack["TRAEFIK_PROBE_URL"],
        "HOST": "0.0.0.0", "IDE_AUTH_PORT": str(auth_port), "IDE_AUTH_URL": traefik.stack["IDE_AUTH_URL"],
        "ROUTE_MODE": mode, "IDE_DOMAIN": "localhost", "PRE_WARMED_QUEUE_SIZE": "2", "LAUNCH_TOKEN_TTL": "10s",
        "AWS_ACCESS_KEY_ID": "routes-test", "AWS_SECRET_ACCESS_KEY": "routes-test-secret",
    }
    service = Service(f"routes-{mode}", **settings)
    service.launch()
    port = traefik.port
    shown = "" if port == 80 else f":{port}"
    try:
        def start(bucket):
            def attempt():
                status, body, _ = service.call("POST", "/api/containers/start", body={"s3Bucket": bucket})
                return body if status in (200, 201) else None
            return eventually(f"a container for {bucket}", attempt, timeout=120, every=0.5)

        a, b = start("routes-a"), start("routes-b")
        state = {}
        routes = [("codeServer", "code"), ("vnc", "vnc"), ("webServer", "web")]

        def urls_have_the_mode():
            for key, route in routes:
                url = a["urls"][key]
                expected = f"http://{route}-{a['id']}.localhost{shown}/" if mode == "host" else f"http://localhost{shown}/{route}/{a['id']}/"
                assert url == expected, f"{key} {url} != {expected}"
                assert a["launchUrls"][key].startswith(url + "?launch="), a["launchUrls"][key]
        check(f"[{mode}] urls and launchUrls have the route mode's form", urls_have_the_mode)

        def no_cookie():
            for key, _ in routes:
                status, headers, body = request(port, a["urls"][key])
                assert status == 401, f"{key}: {status} {body[:200]}"
        check(f"[{mode}] no cookie -> 401 on code, vnc and web", no_cookie)

        def launch_then_200():
            state["cookies"] = {}
            for key, route in routes:
                location, cookie, raw = launch(port, a["launchUrls"][key])
                assert location == a["urls"][key], f"{key}: location {location}"
                assert ("Path=/;" in raw) if mode == "host" else (f"Path=/{route}/{a['id']};" in raw), raw
                status, _, body = request(port, a["urls"][key], cookie=cookie)
                assert status == 200 and json.loads(body)["service"] == route, f"{key}: {status} {body[:200]}"
                state["cookies"][key] = cookie
        check(f"[{mode}] launch URL -> 302 without the token and the session cookie, then 200", launch_then_200)

        def reused_token():
            for key, _ in routes:
                status, _, _ = request(port, a["launchUrls"][key])
                assert status == 401, f"{key} reused: {status}"
        check(f"[{mode}] a launch token used twice -> 401", reused_token)

        def websockets():
            code = a["urls"]["codeServer"]
            own = code.rstrip("/").split("/" + "code")[0] if mode == "path" else code.rstrip("/")
            websocket(port, code, cookie=state["cookies"]["codeServer"], origin=own)
            websocket(port, code, expect=401)
            websocket(port, code, cookie=state["cookies"]["codeServer"], origin="http://evil.example", expect=403)
        check(f"[{mode}] WebSocket with the cookie -> 101, without -> 401, foreign Origin -> 403", websockets)

        def other_container_and_expired():
            status, fresh, _ = service.call("POST", f"/api/containers/{b['id']}/launch")
            assert status == 200, fresh
            # B's token presented on A's URL.
            token = fresh["launchUrls"]["codeServer"].split("launch=", 1)[1]
            status, _, _ = request(port, a["urls"]["codeServer"] + "?launch=" + token)
            assert status == 401, f"B's token on A: {status}"
            # A's cookie on B.
            status, _, _ = request(port, b["urls"]["codeServer"], cookie=state["cookies"]["codeServer"].replace("ide_session", "ide_session"))
            assert status == 401, f"A's cookie on B: {status}"
            status, fresh, _ = service.call("POST", f"/api/containers/{b['id']}/launch")
            issued = time.monotonic()
            eventually("the launch token's 10 s to pass", lambda: time.monotonic() - issued > 10.5, timeout=20, every=0.1)
            status, _, _ = request(port, fresh["launchUrls"]["vnc"])
            assert status == 401, f"expired token: {status}"
        check(f"[{mode}] a token for another container or expired -> 401; A's cookie on B -> 401", other_container_and_expired)

        def check_listener_not_public():
            # The listener answers 200 with an empty body, or 302; Traefik's own answers are 404,
            # or 401 where an IDE router or the catch-all matched (a container's own route may
            # serve such a path to its session: that is the container, not the listener).
            for path in [f"/check/code/{a['id']}", "/deny", f"/check/code/{a['id']}?launch=x", f"/check/web/{a['id']}"]:
                for host in ["localhost", f"code-{a['id']}.localhost", "127.0.0.1", f"api.localhost"]:
                    status, _, body = request(port, f"http://{host}{path}")
                    assert status in (401, 404), f"{host}{path} through the public entrypoint: {status} {body[:100]}"
        check(f"[{mode}] the check listener is not reachable through Traefik's public entrypoint", check_listener_not_public)

        def stopped_then_reclaimed():
            status, body, _ = service.call("DELETE", f"/api/containers/{a['id']}")
            assert status == 200, body
            for key, _ in routes:
                status, _, _ = request(port, a["urls"][key], cookie=state["cookies"][key])
                assert status == 401, f"{key} after stop: {status}"
            again = start("routes-a")
            assert again["id"] != a["id"]
            for key, _ in routes:
                status, _, _ = request(port, a["urls"][key], cookie=state["cookies"][key])
                assert status == 401, f"{key} after the bucket was claimed again: {status}"
                status, _, _ = request(port, again["urls"][key], cookie=state["cookies"][key])
                assert status == 401, f"{key}: the old cookie on the new container: {status}"
            state["again"] = again
        check(f"[{mode}] after stop and after the bucket is claimed again, the old cookie -> 401", stopped_then_reclaimed)

        check(f"[{mode}] Chromium: the launch URL loads with no 401, reload works, a second profile gets 401",
              lambda: chromium(service, state["again"], mode))
    finally:
        service.tear_down()


def chromium(service, answer, mode):
    from chromium import browser
    # The browser starts first: the link lives LAUNCH_TOKEN_TTL from the moment it is made.
    driver = browser(tempfile.mkdtemp(prefix="routes-chromium-"), performance=True)
    try:
        status, fresh, _ = service.call("POST", f"/api/containers/{answer['id']}/launch")
        assert status == 200, fresh
        url, plain = fresh["launchUrls"]["codeServer"], fresh["urls"]["codeServer"]
        driver.get(url)
        try:
            eventually("the editor page", lambda: '"service":"code"' in driver.page_source, timeout=60)
        except TimeoutError as error:
            raise AssertionError(f"{error}: at {driver.current_url}: {driver.page_source[:300]} (network {network_statuses(driver)})") from None
        assert "launch=" not in driver.current_url, driver.current_url
        statuses = network_statuses(driver)
        assert statuses and 401 not in statuses, f"network log statuses: {statuses}"
        driver.refresh()
        eventually("the editor page after a reload", lambda: '"service":"code"' in driver.page_source, timeout=60)
        assert 401 not in network_statuses(driver)
    finally:
        driver.quit()
    other = browser(tempfile.mkdtemp(prefix="routes-chromium-2-"), performance=True)
    try:
        other.get(plain)
        eventually("the refusal", lambda: "Unauthorized" in other.page_source, timeout=30)
        assert 401 in network_statuses(other)
    finally:
        other.quit()


def network_statuses(driver):
    statuses = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.responseReceived":
            statuses.append(message["params"]["response"]["status"])
    return statuses


def main():
    modes = sys.argv[1:] or ["path", "host"]
    auth_port = free_port()
    traefik = Traefik(auth_port)
    try:
        for mode in modes:
            run_mode(mode, traefik, auth_port)
    finally:
        traefik.close()
    if failures:
        print(f"routes-test: FAIL {len(failures)} check(s): {failures}")
        sys.exit(1)
    print("routes-test: PASS")


if __name__ == "__main__":
    main()
