"""The browser tier: a real headless Chromium (Debian's `chromium` through `chromedriver`, driven by
Selenium) against the system started as `make run` starts it (tests/e2e/conftest.py), with the
console's development sign-in on as `make run` turns it on."""
import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.browser.console import Console
from tests.e2e.conftest import flushed_system

REDIS_URL = os.environ.get("LEIFENG_E2E_REDIS_URL", "redis://127.0.0.1:6379/14")
# The committed screenshots (README, docs/console.md) are refreshed only on request, so that a test run
# leaves the work tree clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000")


@pytest.fixture(scope="module")
def system(rabbit_manager, tmp_path_factory):
    with flushed_system(rabbit_manager, tmp_path_factory.mktemp("browser"), REDIS_URL, DEV_SIGN_IN="true") as running:
        yield running


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    assert shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), "scripts/test-tools.sh installs chromium"
    workdir = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={workdir / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(workdir / "downloads"),
                                              "download.prompt_for_download": False})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.download_dir = workdir / "downloads"
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def console(system, driver, tmp_path_factory):
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1"
    screenshots = DOCS_SCREENSHOTS if update else tmp_path_factory.mktemp("screenshots")
    return Console(driver, system.url("gateway", ""), screenshots)
