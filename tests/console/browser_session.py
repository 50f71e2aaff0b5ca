"""The web console in a real browser: Debian's chromium, driven by Selenium through
Debian's chromedriver (nothing downloaded). argv = base URL of a server started
with --sample-data and a crawler named `sample_lake`, folder for screenshots, base
URL of a server under `--auth sigv4 --access-keys AKIDUI:ui-secret`.
Walks every page, filters partitions, runs DDL, compares two versions, starts a
crawl and watches it finish, checks the browser logged no errors (a blocked
inline style or script would show there), that phone width needs no sideways
scrolling of the page, that the keyboard reaches everything, and signing in and
out under SigV4 authentication. Prints "ok"."""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, shots, locked = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)
# A form that submits navigates; a look for an element while the old page goes
# away is "aborted by navigation" (seen on a loaded machine). Waits try again
# until their timeout, which still fails the test.
wait = WebDriverWait(driver, 20, ignored_exceptions=[WebDriverException])
pages = 0


def check_page(name):
    """No errors in the browser's console; a screenshot kept."""
    global pages
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{name}: {errors}"
    driver.save_screenshot(os.path.join(shots, f"{pages:02d}-{name}.png"))
    pages += 1


def link(text):
    driver.find_element(By.LINK_TEXT, text).click()


def text(css):
    return driver.find_element(By.CSS_SELECTOR, css).text


try:
    # Databases, then the keyboard: the first Tab reaches the skip link.
    driver.get(f"{base}/ui")
    assert driver.title.startswith("Databases"), driver.title
    check_page("databases")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to content"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert driver.current_url.endswith("#main")

    link("sample")
    assert "/ui/databases/sample" in driver.current_url
    assert driver.find_element(By.LINK_TEXT, "web_events")
    check_page("database")

    # A table: nested types unfold.
    link("web_events")
    details = driver.find_element(By.CSS_SELECTOR, "details.type")
    assert not details.find_element(By.TAG_NAME, "ul").is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    assert details.find_element(By.TAG_NAME, "ul").is_displayed()
    assert "os" in details.text and "browser" in details.text
    all_rows = len(driver.find_elements(By.CSS_SELECTOR, "table.partitions tbody tr"))
    assert all_rows > 1, all_rows
    check_page("table")

    # Partitions under a filter typed and submitted from the keyboard; the URL
    # carries the filter, so the view can be shared.
    box = driver.find_element(By.ID, "filter")
    box.send_keys("dt = '2024-06-01' AND hour > 0", Keys.ENTER)
    wait.until(EC.url_contains("filter="))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.partitions tbody tr")
    assert 0 < len(rows) < all_rows, (len(rows), all_rows)
    assert all(r.find_elements(By.TAG_NAME, "td")[0].text == "2024-06-01" for r in rows)
    shared = driver.current_url
    check_page("partitions-filtered")
    box = driver.find_element(By.ID, "filter")
    box.clear()
    box.send_keys("dt = ", Keys.ENTER)
    error = wait.until(EC.visibility_of_element_located((By.ID, "filter-error")))
    assert "column" in error.text, error.text
    assert driver.find_element(By.ID, "filter").get_attribute("aria-invalid") == "true"
    check_page("partitions-filter-error")
    driver.get(shared)
    assert len(driver.find_elements(By.CSS_SELECTOR, "table.partitions tbody tr")) == len(rows)

    # DDL: a change that makes a second version, then an error with its place.
    link("DDL")
    sql = driver.find_element(By.ID, "sql")
    sql.clear()
    sql.send_keys("ALTER TABLE sample.web_events ADD COLUMNS (referrer string COMMENT 'from the browser');\nSHOW TABLES IN sample;")
    driver.find_element(By.ID, "run").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "section.result")))
    assert "web_events" in text("main"), text("main")
    check_page("ddl-results")
    sql = driver.find_element(By.ID, "sql")
    sql.clear()
    sql.send_keys("SHOW TABLES IN sample;\nCREATE TABLE sample.broken (a int")
    driver.find_element(By.ID, "run").click()
    err = wait.until(EC.visibility_of_element_located((By.ID, "ddl-error")))
    # Where the statement ran out: after its last token, with the line quoted.
    assert "Statement 2 failed at line 2, column 34" in err.text, err.text
    assert "CREATE TABLE sample.broken (a int\n" in err.text, err.text
    check_page("ddl-error")

    # Versions side by side: the column the DDL added.
    driver.get(f"{base}/ui/databases/sample/tables/web_events")
    link("Versions and schema changes")
    added = driver.find_element(By.CSS_SELECTOR, "table.diff tr.added")
    assert "referrer" in added.text, added.text
    check_page("versions")

    # Search from the header.
    q = driver.find_element(By.ID, "q")
    q.send_keys("referrer", Keys.ENTER)
    wait.until(EC.url_contains("/ui/search"))
    assert driver.find_element(By.LINK_TEXT, "web_events")
    check_page("search")

    # A crawl started from its page, watched until it ends (the page refreshes
    # itself while the crawler runs).
    link("Crawlers")
    link("sample_lake")
    assert text("#crawler-state") == "READY"
    driver.find_element(By.ID, "start").click()
    deadline = time.time() + 90
    seen = set()
    while True:
        try:
            state = text("#crawler-state")
            runs = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "table.runs tbody tr")]
        except (StaleElementReferenceException, NoSuchElementException):
            # The page reloaded itself (a running crawl) between finding and reading.
            continue
        seen.add(state)
        if state == "READY" and runs and "COMPLETED" in runs[0]:
            break
        assert time.time() < deadline, (state, runs)
        time.sleep(0.5)
        if state == "READY":
            driver.refresh()
    assert "RUNNING" in seen, seen
    assert "3000" in runs[0], runs[0]  # files read
    assert driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect"), "no chart"
    check_page("crawler")
    link("Databases")
    assert driver.find_element(By.LINK_TEXT, "demo_console")
    link("demo_console")
    check_page("crawled-database")

    # Phone width: the page itself never scrolls sideways; wide tables scroll in
    # their own box.
    driver.set_window_size(390, 844)
    for url in ["/ui", "/ui/databases/sample/tables/web_events", "/ui/crawlers/sample_lake", "/ui/ddl"]:
        driver.get(base + url)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (url, overflow)
        check_page("phone" + url.replace("/", "-"))

    # Under --auth sigv4: sent to sign in, brought back, the cookie out of scripts'
    # reach, signed out.
    driver.set_window_size(1280, 1000)
    driver.get(f"{locked}/ui/databases/sample")
    assert "/ui/login?next=" in driver.current_url, driver.current_url
    check_page("sign-in")
    driver.find_element(By.ID, "access_key_id").send_keys("AKIDUI")
    driver.find_element(By.ID, "secret_access_key").send_keys("wrong")
    driver.find_element(By.ID, "sign-in").click()
    assert "not accepted" in text("#login-error")
    driver.get_log("browser")  # the refusal's 401 is expected
    driver.find_element(By.ID, "access_key_id").send_keys("AKIDUI")
    driver.find_element(By.ID, "secret_access_key").send_keys("ui-secret", Keys.ENTER)
    wait.until(EC.url_matches(r"/ui/databases/sample$"))
    assert "Signed in as AKIDUI" in text("header"), text("header")
    assert driver.find_element(By.LINK_TEXT, "web_events")
    assert driver.execute_script("return document.cookie") == "", "the session cookie is HttpOnly"
    assert "ui-secret" not in driver.page_source
    check_page("signed-in")
    driver.find_element(By.CSS_SELECTOR, "form.session button").click()
    wait.until(EC.url_contains("/ui/login"))
    driver.get(f"{locked}/ui")
    assert "/ui/login" in driver.current_url, "signed out"
    print("ok")
finally:
    driver.quit()
