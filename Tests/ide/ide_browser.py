"""The editor and the desktop of a claimed reference-image container in Debian's headless Chromium."""
import sys
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from chromium import browser  # noqa: E402


def screenshots(answer, folder, expected_name, launch=None):
    """Opens the code and vnc URLs of `answer`; the editor must list `expected_name`, the desktop connect."""
    driver = browser(tempfile.mkdtemp(prefix="ide-chromium-"), window="1280,900")
    try:
        # The launch links open each route once and leave its session cookie in this profile.
        # `launch` makes fresh links: each works once, within LAUNCH_TOKEN_TTL (the editor may take longer).
        driver.get((launch() if launch else answer["launchUrls"])["codeServer"])
        names = lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".jp-DirListing-item .jp-DirListing-itemText")]
        try:
            WebDriverWait(driver, 90, poll_frequency=0.5).until(lambda d: expected_name in names(d))
        finally:
            driver.save_screenshot(str(folder / "editor.png"))
        driver.get((launch() if launch else answer["launchUrls"])["vnc"])
        connected = "return document.documentElement.classList.contains('noVNC_connected') && !!document.querySelector('canvas')"
        try:
            WebDriverWait(driver, 60, poll_frequency=0.5).until(lambda d: d.execute_script(connected))
            # The framebuffer has arrived once the canvas has a size.
            WebDriverWait(driver, 30, poll_frequency=0.5).until(lambda d: d.execute_script("const c = document.querySelector('canvas'); return c && c.width > 100 && c.height > 100"))
        finally:
            driver.save_screenshot(str(folder / "desktop.png"))
    finally:
        driver.quit()
