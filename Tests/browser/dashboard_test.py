"""Drives Debian's headless Chromium through the dashboard against the real service on the
private Swarm: sign-in errors, the overview filling to target, a curl claim and a stop showing up
without a reload, the detail timeline, the nodes view, and the narrow layout. Saves a
screenshot of each view in the folder it prints.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from chromium import browser
from service import Service

TARGET = 2
DATA_ROUTES = [("GET", "/api/queue"), ("GET", "/api/nodes"), ("GET", "/api/containers"), ("GET", "/api/containers/x"),
               ("DELETE", "/api/containers/x"), ("DELETE", "/api/containers/x/record"), ("GET", "/api/events"),
               ("GET", "/api/events/recent")]


class Steps:
    def __init__(self, driver, service, shots):
        self.driver, self.service, self.shots = driver, service, shots
        self.count = 0

    def wait(self, what, condition, timeout=60):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(lambda d: condition())
        except Exception as error:
            self.shot(f"failed-{what.replace(' ', '-')[:40]}")
            raise AssertionError(f"timed out waiting for {what}") from error

    def text(self, selector):
        elements = self.driver.find_elements(By.CSS_SELECTOR, selector)
        return elements[0].text if elements else None

    def shot(self, name):
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        print(f"dashboard: screenshot {path}")

    def not_reloaded(self):
        return self.driver.execute_script("return window.__testMarker === 'kept'")


def check_unauthenticated(service):
    for method, path in DATA_ROUTES:
        for key in (None, "wrong-key"):
            status, body, _ = service.call(method, path, key=key)
            assert status == 401 and body["error"]["code"] == "AUTHENTICATION_FAILED", (method, path, key, status, body)
    print(f"dashboard: {len(DATA_ROUTES)} data routes answer 401 without a key or with a wrong one")


def check_static_headers(service):
    status, _, headers = service.call("GET", "/dashboard/", key=None)
    assert status == 200
    csp = headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Cache-Control") == "no-cache", headers.get("Cache-Control")


def scenario(driver, service, shots):
    steps = Steps(driver, service, shots)
    signin = lambda: "#/signin" in driver.current_url and driver.find_elements(By.ID, "api-key")
    driver.get(service.base + "/")
    # Chromium aborts loads under way when the host's interfaces change (ERR_NETWORK_CHANGED:
    # the engine adds container interfaces meanwhile); a page whose modules failed to load is
    # loaded once more.
    try:
        WebDriverWait(driver, 20, poll_frequency=0.2).until(lambda d: signin())
    except TimeoutException:
        driver.get(service.base + "/")
    steps.wait("the sign-in form", signin)
    assert "/dashboard/" in driver.current_url, driver.current_url

    # A wrong key shows a clear error and does not sign in.
    driver.find_element(By.ID, "api-key").send_keys("not-the-key")
    driver.find_element(By.ID, "signin-submit").click()
    steps.wait("the wrong-key error", lambda: "not accepted" in (steps.text("#signin-error") or ""))
    assert driver.execute_script("return sessionStorage.length") == 0
    steps.shot("signin-wrong-key")

    # The right key: the overview, with the pool filling to its target.
    field = driver.find_element(By.ID, "api-key")
    field.clear()
    field.send_keys(service.key)
    driver.find_element(By.ID, "signin-submit").click()
    steps.wait("the overview", lambda: steps.text("#figure-target") == str(TARGET))
    driver.execute_script("window.__testMarker = 'kept'")
    assert service.key not in driver.current_url
    steps.wait("the pool to fill to its target", lambda: steps.text("#figure-ready") == str(TARGET), timeout=90)
    steps.wait("the live stream", lambda: driver.find_element(By.ID, "live").get_attribute("data-state") == "live")
    assert driver.find_elements(By.CSS_SELECTOR, "#pool-chart svg polyline[data-series=ready]"), "no pool chart"
    steps.wait("recent events", lambda: driver.find_elements(By.CSS_SELECTOR, "#recent-events li[data-kind]"))
    steps.shot("overview-pool-full")

    # A claim made with curl appears without a reload.
    bucket = f"dash-{uuid.uuid4().hex[:8]}"
    reply = subprocess.run(["curl", "-sS", "-X", "POST", f"{service.base}/api/containers/start",
                            "-H", f"Authorization: Bearer {service.key}", "-H", "Content-Type: application/json",
                            "-d", json.dumps({"s3Bucket": bucket, "s3Region": "us-east-1"})], capture_output=True, text=True, check=True)
    claimed = json.loads(reply.stdout)
    assert claimed.get("isPreWarmed") is True, claimed
    container = claimed["id"]
    steps.wait("the claim in the overview", lambda: driver.find_elements(By.CSS_SELECTOR, f"#latest-claims tr[data-id='{container}']"))
    assert steps.not_reloaded()
    steps.shot("overview-after-claim")

    # The containers table: the claimed container running; stop it from its row.
    driver.find_element(By.CSS_SELECTOR, "#nav a[data-view=containers]").click()
    row = f"#containers-table tr[data-id='{container}']"
    steps.wait("the claimed row running", lambda: driver.find_elements(By.CSS_SELECTOR, f"{row}[data-status=running]"))
    assert bucket in steps.text(row)
    steps.shot("containers")
    # Live updates re-render the table: a row found a moment ago may be replaced; click the
    # current one.
    def click_stop():
        try:
            driver.find_element(By.CSS_SELECTOR, f"{row} button[data-action=stop]").click()
            return True
        except StaleElementReferenceException:
            return False
    steps.wait("the stop button", click_stop)
    steps.wait("the confirmation", lambda: driver.find_element(By.ID, "confirm").is_displayed())
    steps.shot("containers-confirm-stop")
    driver.find_element(By.ID, "confirm-ok").click()
    steps.wait("the row to show stopped", lambda: driver.find_elements(By.CSS_SELECTOR, f"{row}[data-status=stopped]"))
    steps.wait("the row to offer delete", lambda: driver.find_elements(By.CSS_SELECTOR, f"{row} button[data-action=delete]"))
    assert steps.not_reloaded()
    steps.shot("containers-after-stop")

    # Search by bucket finds just that one.
    search = driver.find_element(By.ID, "filter-search")
    search.send_keys(bucket)
    steps.wait("the search result", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#containers-table tbody tr")) == 1)
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)
    steps.wait("every row again", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#containers-table tbody tr")) > 1)

    # The detail view shows its event timeline.
    driver.find_element(By.CSS_SELECTOR, f"{row} a").click()
    steps.wait("the detail timeline", lambda: {"claimed", "stopped"} <= {li.get_attribute("data-kind") for li in driver.find_elements(By.CSS_SELECTOR, "#timeline li")})
    assert steps.text("#detail-status") == "stopped"
    # The workspace card: the dev agent reports no sync state.
    assert steps.text("#workspace-sync") == "not reported"
    steps.shot("container-detail")

    # Nodes.
    driver.find_element(By.CSS_SELECTOR, "#nav a[data-view=nodes]").click()
    steps.wait("the nodes table", lambda: driver.find_elements(By.CSS_SELECTOR, "#nodes table tbody tr"))
    steps.shot("nodes")

    # Narrow screen.
    driver.set_window_size(390, 900)
    driver.find_element(By.CSS_SELECTOR, "#nav a[data-view=overview]").click()
    steps.wait("the narrow overview", lambda: steps.text("#figure-ready") == str(TARGET), timeout=90)
    steps.shot("narrow-overview")
    driver.find_element(By.CSS_SELECTOR, "#nav a[data-view=containers]").click()
    steps.wait("the narrow table", lambda: driver.find_elements(By.CSS_SELECTOR, "#containers-table tbody tr"))
    steps.shot("narrow-containers")
    assert steps.not_reloaded()

    # Sign out forgets the key.
    driver.find_element(By.ID, "signout").click()
    steps.wait("the sign-in form again", lambda: driver.find_elements(By.ID, "api-key"))
    assert driver.execute_script("return sessionStorage.length") == 0

    # A load Chromium aborted because the host's interfaces changed (ERR_NETWORK_CHANGED, see
    # the top) is the machine's doing, not the dashboard's; every step above passed regardless.
    errors = [entry for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and "401" not in entry["message"] and "ERR_NETWORK_CHANGED" not in entry["message"]]
    assert not errors, f"browser console errors: {errors}"


def main():
    shots = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tempfile.mkdtemp(prefix="dashboard-screenshots-"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"dashboard: screenshots go to {shots}")
    started = time.monotonic()
    with Service("dash", PRE_WARMED_QUEUE_SIZE=TARGET) as service:
        check_unauthenticated(service)
        check_static_headers(service)
        profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
        driver = browser(profile)
        try:
            scenario(driver, service, shots)
        except BaseException:
            print("service log tail:\n" + service.log_tail(), file=sys.stderr)
            try:
                print("browser console:", driver.get_log("browser"), file=sys.stderr)
            except WebDriverException:
                pass
            raise
        finally:
            driver.quit()
    print(f"dashboard: passed in {time.monotonic() - started:.0f}s; screenshots in {shots}")


if __name__ == "__main__":
    main()
