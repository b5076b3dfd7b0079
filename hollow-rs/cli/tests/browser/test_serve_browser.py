"""`hollow serve` in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium).

Run by .ci/browser-test.sh against the built `hollow` binary (HOLLOW_BIN). The store is a copy of the
Java vectors' `collections` blobs; a test then publishes a new version into it with `hollow produce
--incremental` while a page is open. HOLLOW_SCREENSHOT_DIR=docs writes the README's screenshots.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

REPO = Path(__file__).resolve().parents[4]
VECTORS = REPO / "hollow-rs" / "tests" / "vectors" / "collections"
HOLLOW = os.environ.get("HOLLOW_BIN", str(REPO / "target" / "debug" / "hollow"))
SCREENSHOTS = Path(os.environ.get("HOLLOW_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="hollow-shots-"))
VERSIONS = json.loads((VECTORS / "manifest.json").read_text())["versions"]
# A title that would run script, load an image and set a flag if it were ever treated as HTML.
HOSTILE = "<script>window.__owned=1</script><img src=x onerror=\"window.__owned=2\">Evil & Co"


@pytest.fixture(scope="module")
def store():
    work = Path(tempfile.mkdtemp(prefix="hollow-serve-browser-"))
    shutil.copytree(VECTORS / "blobs", work / "store")
    yield work
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def server(store):
    proc = subprocess.Popen(
        [HOLLOW, "serve", str(store / "store"), "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"http://(127\.0\.0\.1:\d+)/", line)
    assert match, f"no address in {line!r}"
    yield f"http://{match.group(1)}"
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The whole page: as tall as its content, within reason.
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), 1600)
    driver.set_window_size(1280, max(height + 140, 600))
    driver.save_screenshot(str(SCREENSHOTS / f"serve-{name}.png"))
    driver.set_window_size(1280, 900)


def follow(driver, element):
    """Click a link or a submit button and wait until the next page has replaced this one and loaded.

    The old page carries a marker in its `window`; a new document starts without it. Probing the old
    page's nodes instead (selenium's `staleness_of`) races with Chromium tearing the document down and can
    fail with "Node with given id does not belong to the document" rather than report it stale, so the
    wait asks the browser for the marker and retries while a navigation makes it briefly unanswerable.
    """
    driver.execute_script("window.__hollowLeaving = true")
    element.click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.__hollowLeaving === undefined && document.readyState === 'complete'"))


def text(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def test_type_record_and_referenced_record(server, browser):
    browser.get(server + "/")
    assert text(browser, "#current-version") == str(VERSIONS[-1])
    assert "Types at version" in text(browser, "h1")
    shot(browser, "explorer")
    follow(browser, browser.find_element(By.LINK_TEXT, "Show"))
    assert browser.find_element(By.CSS_SELECTOR, "h1").text.startswith("Show")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.records tbody tr")
    assert len(rows) == 4  # v3 holds shows 1, 2, 4 and 5
    show2 = [r for r in rows if r.find_element(By.CSS_SELECTOR, "td.key").text == "2"]
    follow(browser, show2[0].find_element(By.CSS_SELECTOR, "a.record-link"))
    assert re.match(r"Show #\d+", text(browser, "h1"))
    fields = browser.find_elements(By.CSS_SELECTOR, "table.fields tr")
    # A list opens on demand: since v2 the tags are history, drama, royal.
    tags = [r for r in fields if r.text.startswith("tags")][0]
    assert not tags.find_elements(By.CSS_SELECTOR, "ol.entries li")[0].is_displayed()
    tags.find_element(By.CSS_SELECTOR, "summary").click()
    entries = tags.find_elements(By.CSS_SELECTOR, "ol.entries li")
    assert ['"history"', '"drama"', '"royal"'] == [e.find_element(By.CSS_SELECTOR, ".preview").text for e in entries]
    studio = [r for r in fields if r.text.startswith("studio")]
    assert studio, "the Show has a studio field"
    link = studio[0].find_element(By.CSS_SELECTOR, "a.ref")
    assert link.text.startswith("Studio #")
    shot(browser, "record")
    follow(browser, link)
    assert re.match(r"Studio #\d+", text(browser, "h1"))
    # The Studio's address is a reference too: one more hop.
    follow(browser, browser.find_element(By.CSS_SELECTOR, "table.fields a.ref"))
    assert re.match(r"Address #\d+", text(browser, "h1"))


def test_pick_an_older_version_and_back(server, browser):
    browser.get(server + "/")
    Select(browser.find_element(By.CSS_SELECTOR, "form.pick select")).select_by_value(str(VERSIONS[0]))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.pick button"))
    assert text(browser, "h1") == f"Types at version {VERSIONS[0]}"
    assert "(pinned)" in text(browser, "header .versions")
    assert text(browser, "#current-version") == str(VERSIONS[-1]), "the server still follows the latest"
    # Links stay on the pinned version: v1 holds shows 1, 2 and 3.
    follow(browser, browser.find_element(By.LINK_TEXT, "Show"))
    keys = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.records td.key")]
    assert sorted(keys) == ["1", "2", "3"]
    Select(browser.find_element(By.CSS_SELECTOR, "form.pick select")).select_by_value("")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.pick button"))
    assert text(browser, "h1").startswith("Show")
    assert sorted(r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.records td.key")) == ["1", "2", "4", "5"]


def test_hash_index_query(server, browser):
    browser.get(server + "/types/Show")
    form = browser.find_element(By.ID, "hash-query")
    form.find_element(By.NAME, "fields").send_keys("title")
    form.find_element(By.NAME, "k0").send_keys("The Crown")
    follow(browser, form.find_element(By.CSS_SELECTOR, "button"))
    assert text(browser, "#match-count") == "1"
    assert "The Crown" in text(browser, "table.records")


def test_lookup_by_primary_key(server, browser):
    browser.get(server + "/types/Show")
    form = browser.find_element(By.ID, "pk-lookup")
    form.find_element(By.NAME, "k0").send_keys("2")
    follow(browser, form.find_element(By.CSS_SELECTOR, "button"))
    assert text(browser, "#match-count") == "1"
    # The version picker keeps the key: the same lookup at the first version.
    Select(browser.find_element(By.CSS_SELECTOR, "form.pick select")).select_by_value(str(VERSIONS[0]))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.pick button"))
    assert text(browser, "#match-count") == "1"
    assert f"found at version {VERSIONS[0]}" in text(browser, "p.summary")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.record-link"))
    assert "key id = 2" in text(browser, "p.summary")


def test_diff_counts_and_highlighted_field(server, browser):
    v1, v2 = VERSIONS[0], VERSIONS[1]
    browser.get(f"{server}/diff?from={v1}&to={v2}")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-type="Show"]')
    cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "td")]
    # v2: show 4 added, show 3 removed, show 2 modified, show 1 unchanged (the vectors' manifest).
    assert cells == ["Show", "1", "1", "1", "1"], cells
    follow(browser, row.find_element(By.CSS_SELECTOR, "a"))
    changed = browser.find_elements(By.CSS_SELECTOR, "table.side-by-side tr.changed")
    fields = {r.get_attribute("data-field") for r in changed}
    assert "cast" in fields, fields
    unchanged = browser.find_elements(By.CSS_SELECTOR, 'table.side-by-side tr[data-field="id"]')
    assert unchanged and "changed" not in unchanged[0].get_attribute("class")
    assert browser.find_element(By.CSS_SELECTOR, "tr.changed td.new").value_of_css_property("background-color") != \
        browser.find_element(By.CSS_SELECTOR, 'tr[data-field="id"] td.new').value_of_css_property("background-color")
    shot(browser, "diff")


def test_history_of_a_record(server, browser):
    browser.get(f"{server}/types/Show/lookup?k0=2&version={VERSIONS[1]}")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.record-link"))
    follow(browser, browser.find_element(By.ID, "history-link"))
    assert text(browser, "#change-count") == "1"
    item = browser.find_element(By.CSS_SELECTOR, "ol.history li.modified")
    assert str(VERSIONS[1]) in item.text and "cast" in item.text
    shot(browser, "history")


def test_follows_a_new_version_and_renders_hostile_text(server, store, browser):
    browser.get(server + "/")
    before = text(browser, "#current-version")
    change = {"op": "upsert", "type": "Show", "record": {"id": 6, "title": HOSTILE}}
    (store / "change.jsonl").write_text(json.dumps(change) + "\n")
    subprocess.run([HOLLOW, "produce", str(store / "store"), "--incremental", "--input", str(store / "change.jsonl")],
                   check=True, capture_output=True)
    # The open page shows the new version without a reload (it polls /api/status).
    WebDriverWait(browser, 20).until(lambda d: text(d, "#current-version") != before)
    after = int(text(browser, "#current-version"))
    assert after > VERSIONS[-1]
    assert browser.find_element(By.ID, "update-banner").is_displayed()

    browser.get(server + "/types/Show/lookup?k0=6")
    assert text(browser, "#match-count") == "1"
    assert HOSTILE[:40] in text(browser, "table.records")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.record-link"))
    title = [r for r in browser.find_elements(By.CSS_SELECTOR, "table.fields tr") if r.text.startswith("title")][0]
    assert title.find_element(By.CSS_SELECTOR, ".value").text == json.dumps(HOSTILE, ensure_ascii=False)
    assert browser.execute_script("return window.__owned") is None, "no injected script or handler ran"
    assert not browser.find_elements(By.CSS_SELECTOR, "main img")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
