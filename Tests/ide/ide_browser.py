"""The editor and the desktop of a claimed reference-image container in Debian's headless Chromium."""
import os
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tempfile.mkdtemp(prefix='ide-chromium-')}", "--window-size=1280,900"]:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=DriverService(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))


def screenshots(answer, folder, expected_name):
    """Opens the code and vnc URLs of `answer`; the editor must list `expected_name`, the desktop connect."""
    driver = chromium()
    try:
        driver.get(answer["urls"]["codeServer"])
        names = lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".jp-DirListing-item .jp-DirListing-itemText")]
        try:
            WebDriverWait(driver, 90, poll_frequency=0.5).until(lambda d: expected_name in names(d))
        finally:
            driver.save_screenshot(str(folder / "editor.png"))
        driver.get(answer["urls"]["vnc"])
        connected = "return document.documentElement.classList.contains('noVNC_connected') && !!document.querySelector('canvas')"
        try:
            WebDriverWait(driver, 60, poll_frequency=0.5).until(lambda d: d.execute_script(connected))
            # The framebuffer has arrived once the canvas has a size.
            WebDriverWait(driver, 30, poll_frequency=0.5).until(lambda d: d.execute_script("const c = document.querySelector('canvas'); return c && c.width > 100 && c.height > 100"))
        finally:
            driver.save_screenshot(str(folder / "desktop.png"))
    finally:
        driver.quit()
