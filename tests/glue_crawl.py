"""Runs a managed crawler to its end through the Glue API, for the test scripts
in tests/*/ (they put tests/ on sys.path to import it)."""
import time


def run_crawler(glue, name, timeout=60):
    """Starts crawler `name` and waits until it is READY again; its LastCrawl."""
    glue.start_crawler(Name=name)
    end = time.time() + timeout
    while time.time() < end:
        c = glue.get_crawler(Name=name)["Crawler"]
        if c["State"] == "READY" and "LastCrawl" in c:
            return c["LastCrawl"]
        time.sleep(0.1)
    raise SystemExit(f"crawler {name} did not finish in {timeout} s")
