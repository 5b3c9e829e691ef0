"""Politeness, from the server's side: robots.txt Disallow and Crawl-delay, --concurrency, --max-pages, User-Agent.

The site's robots.txt forbids /en/ and asks for a Crawl-delay; its footer links a page that redirects to
another host name. One crawl obeys it (bounded by --max-pages);
one ignores it (--ignore-robots) with --concurrency 2.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from answering_server import scripted_server
from discovery_sites import report_az_profile_on, requested_paths, write_site
from fixture_site import run_site
from helpers import max_in_flight, run_cli

CRAWL_DELAY = 0.4
MAX_PAGES = 6
CONTACT = "https://example.org/newsarchive-contact"
PARTNER = "/ru/partner/"  # redirects to the same server under the host name localhost: out of scope


def crawl_and_log(site, profile: Path, archive: Path, *extra: str) -> list[dict[str, Any]]:
    result = run_cli("crawl", "--config", str(profile), "--archive", str(archive), "--delay", "0", *extra)
    assert result.returncode == 0, result.stderr
    fetched = int(re.search(r"Fetched (\d+) pages", result.stderr)[1])
    return site.requests(at_least=fetched)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("politeness")
    data = write_site(
        base / "site.json", robots=[f"Crawl-delay: {CRAWL_DELAY}", "Disallow: /en/"], offsite_redirect=PARTNER
    )
    with run_site(base / "obeyed.jsonl", data) as site:
        profile = report_az_profile_on(site.url, base / "report.az.toml")
        obeyed = crawl_and_log(site, profile, base / "obeyed", "--max-pages", str(MAX_PAGES), "--contact", CONTACT)
    with run_site(base / "ignored.jsonl", data) as site:
        profile = report_az_profile_on(site.url, base / "report.az.toml")
        ignored = crawl_and_log(site, profile, base / "ignored", "--ignore-robots", "--concurrency", "2")
    return SimpleNamespace(obeyed=obeyed, ignored=ignored)


def test_robots_txt_disallow_is_obeyed(crawls):
    assert not [path for path in requested_paths(crawls.obeyed) if path.startswith("/en/")]


def test_robots_txt_crawl_delay_spaces_requests(crawls):
    starts = sorted(entry["started"] for entry in crawls.obeyed)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert len(gaps) >= 3
    # robots.txt itself is fetched before the delay is known; every request after it waits.
    assert min(gaps[1:]) >= CRAWL_DELAY - 0.02, gaps


def test_max_pages_bounds_the_requests_that_reach_the_server(crawls):
    assert len(crawls.obeyed) == MAX_PAGES


def test_user_agent_names_the_contact(crawls):
    agents = {entry["headers"].get("User-Agent") for entry in crawls.obeyed}
    assert len(agents) == 1
    assert CONTACT in agents.pop()


def test_ignore_robots_fetches_disallowed_pages(crawls):
    assert [path for path in requested_paths(crawls.ignored) if path.startswith("/en/")]


def test_requests_in_flight_never_exceed_concurrency(crawls):
    assert len(crawls.ignored) > 20
    assert max_in_flight(crawls.ignored) <= 2


def test_a_redirect_out_of_the_profiles_hosts_is_not_followed(crawls):
    partner = [entry for entry in crawls.ignored if entry["path"] == PARTNER]
    assert [entry["status"] for entry in partner] == [302]
    hosts = {entry["headers"].get("Host", "").split(":")[0] for entry in crawls.ignored}
    assert hosts == {"127.0.0.1"}


def test_a_host_that_answers_again_after_failures_gets_its_delay_back_never_below_its_crawl_delay(tmp_path):
    # The start page fails twice (the backoff doubles the host's delay: 1 s, then 2 s), then answers with a
    # chain of redirects: AutoThrottle lowers a delay only on a 200, so without the recovery the host would
    # stay at 2 s for the rest of the run.
    chain = {"/": "/r1", "/r1": "/r2", "/r2": "/r3"}

    def answer(path: str, n: int) -> tuple[int, dict[str, str], str]:
        if path == "/robots.txt":
            return 200, {}, f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\n"
        if path == "/" and n < 2:
            return 503, {"Retry-After": "0"}, "busy"
        if path in chain:
            return 302, {"Location": chain[path]}, ""
        return 200, {}, "<html><body><p>Nothing here.</p></body></html>"

    log = tmp_path / "crawl.log"
    with scripted_server(answer) as server:
        run_cli("crawl", server.url + "/", "--archive", str(tmp_path / "archive"), "--delay", "0",
                "--log-file", str(log), "--log-level", "DEBUG")  # fmt: skip
    lines = log.read_text(encoding="utf-8").splitlines()

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    slowed = first(r"INFO: Slowing down for 127\.0\.0\.1: 1\.00 s between requests after a 503 on ")
    slowed_more = first(r"INFO: Slowing down for 127\.0\.0\.1: 2\.00 s between requests after a 503 on ")
    recovered = first(rf"INFO: 127\.0\.0\.1 answers again: {CRAWL_DELAY:.2f} s between requests, as before it failed")
    redirected = first(r"Redirecting \(302\) to <GET \S+/r1> from <GET \S+/>")
    assert slowed < slowed_more < recovered < redirected
    assert server.requests == ["/robots.txt", "/", "/", "/", "/r1", "/r2", "/r3"]
    gaps = [later - earlier for earlier, later in pairwise(server.arrivals[3:])]
    assert min(gaps) >= CRAWL_DELAY - 0.02, gaps
