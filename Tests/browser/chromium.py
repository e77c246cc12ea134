"""Debian's headless Chromium through Selenium and chromium-driver, for the browser tests."""
import os

from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService


def browser(profile, window="1280,1000", performance=False):
    """A headless Chromium with its own profile folder; the console log is kept (and the network
    log, as the performance log, with `performance`)."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={window}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if performance else {})})
    return webdriver.Chrome(options=options, service=DriverService(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))
