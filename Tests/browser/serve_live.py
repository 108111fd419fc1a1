#!/usr/bin/env python3
"""orchestrator serve's live behaviour in a real browser: Chromium driven by Selenium through
Debian's chromium-driver. Run by OrchestratorWebTests (PagesTests "live in a browser") against a
live server over a prepared store; prints one line per check and exits 1 on the first failure.

Checks, as a person at the browser would see them:
  1. a run triggered (`orchestrator trigger`) while Today is open appears without a reload;
  2. the page stops asking /api/changes while the tab is hidden, and asks again once visible;
  3. a line appended to a running attempt's log shows up on its log page (server-sent events),
     numbered, with its permalink;
  4. choosing a state in a job page's filter puts it in the URL, and the table follows;
  5. on a phone's width (390 px) no page is wider than the screen (wide tables scroll inside).
"""
import argparse
import json
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(message):
    print("FAIL " + message, flush=True)
    sys.exit(1)


def wait(driver, seconds, condition, what):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.1).until(condition)
    except TimeoutException:
        fail(what)


def changes_asked(driver):
    return driver.execute_script(
        "return performance.getEntriesByType('resource').filter(function(e){return e.name.indexOf('/api/changes')>=0}).length")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--orchestrator", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--jobs", required=True)
    ap.add_argument("--log", required=True, help="a running attempt's log file")
    ap.add_argument("--log-page", required=True, help="its page, /runs/ID/attempts/N/log")
    args = ap.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        # 1. A run started while Today is open appears.
        driver.get(args.url + "/")
        wait(driver, 10, lambda d: d.find_element(By.ID, "timeline"), "Today did not render")
        before = len(driver.find_elements(By.CSS_SELECTOR, "#timeline rect.run"))
        out = subprocess.run(
            [args.orchestrator, "--config", args.config, "--jobs", args.jobs, "trigger", "b", "--json"],
            capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            fail("orchestrator trigger: " + out.stderr.strip())
        run_id = json.loads(out.stdout)["id"]
        wait(driver, 15, lambda d: d.find_elements(By.CSS_SELECTOR, '#timeline [data-run="%s"]' % run_id),
             "run %s did not appear on the open Today page" % run_id)
        after = len(driver.find_elements(By.CSS_SELECTOR, "#timeline rect.run"))
        if after != before + 1:
            fail("Today had %d bars, then %d" % (before, after))
        print("ok: run %s triggered while Today was open appeared (%d bars, then %d)" % (run_id, before, after), flush=True)

        # 2. Hidden: no polling; visible again: polling resumes.
        driver.execute_script(
            "Object.defineProperty(document,'hidden',{configurable:true,get:function(){return true}});"
            "document.dispatchEvent(new Event('visibilitychange'));")
        time.sleep(0.5)
        hidden_start = changes_asked(driver)
        time.sleep(5)
        hidden_end = changes_asked(driver)
        if hidden_end != hidden_start:
            fail("asked /api/changes %d times while hidden" % (hidden_end - hidden_start))
        driver.execute_script(
            "Object.defineProperty(document,'hidden',{configurable:true,get:function(){return false}});"
            "document.dispatchEvent(new Event('visibilitychange'));")
        wait(driver, 5, lambda d: changes_asked(d) > hidden_end, "polling did not resume once visible")
        print("ok: no /api/changes request in 5 s hidden; resumed when visible", flush=True)

        # 3. A log line appended shows up, numbered.
        driver.get(args.url + args.log_page)
        wait(driver, 10, lambda d: d.find_element(By.ID, "log"), "the log page did not render")
        lines = len(driver.find_elements(By.CSS_SELECTOR, "#log .l"))
        time.sleep(0.5)  # the EventSource connects
        with open(args.log, "a") as log:
            log.write("appended while watching\n")
        n = lines + 1
        try:
            line = WebDriverWait(driver, 10, poll_frequency=0.1).until(lambda d: d.find_elements(By.ID, "L%d" % n))[0]
        except TimeoutException:
            fail("the appended line did not show up; the log shows: %r; the browser said: %r"
                 % (driver.find_element(By.ID, "log").text[-300:], driver.get_log("browser")[-5:]))
        if "appended while watching" not in line.text:
            fail("line %d reads %r" % (n, line.text))
        if line.find_element(By.TAG_NAME, "a").get_attribute("href") != args.url + args.log_page + "#L%d" % n:
            fail("line %d has no permalink" % n)
        print("ok: an appended log line showed up as line %d with its permalink" % n, flush=True)

        # 4. A filter puts itself in the URL.
        driver.get(args.url + "/jobs/a")
        Select(driver.find_element(By.NAME, "state")).select_by_visible_text("failed")
        wait(driver, 10, lambda d: "state=failed" in d.current_url, "the state filter did not reach the URL")
        rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
        states = {r.find_element(By.CSS_SELECTOR, ".state").text for r in rows}
        if not rows or states != {"failed"}:
            fail("after filtering on failed the table shows %r" % states)
        print("ok: the state filter is in the URL (%s) and the table shows only failed runs" % driver.current_url.split("/jobs/")[1], flush=True)

        # 5. A phone's width: nothing wider than the screen.
        driver.set_window_size(390, 844)
        for path in ("/", "/grid", "/schedule", "/jobs/a", "/services", args.log_page):
            driver.get(args.url + path)
            wide = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if wide[0] > wide[1] + 1:
                fail("%s is %d px wide on a %d px screen" % (path, wide[0], wide[1]))
        print("ok: at 390 px no page is wider than the screen", flush=True)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
