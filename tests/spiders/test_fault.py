"""Kills and signals: a crawl SIGKILLed at random points loses no complete record, and the next one
carries on; SIGTERM stops it cleanly; a second SIGINT stops it at once without corrupting anything.

The crawls are real subprocesses against a generated fixture site of a few thousand pages.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from big_site import write_big_site
from fixture_site import run_site
from helpers import REPO_ROOT, iter_records, run_cli, start_cli, warc_files, warcio_check
from hostile_site import run_hostile_site
from warcio.archiveiterator import ArchiveIterator

from newsarchive.archive.articles import read_index
from newsarchive.archive.reader import Archive
from newsarchive.archive.repair import find_damage, warc_damage
from newsarchive.archive.runs import read_runs

ARTICLES = 2000
KILL_ROUNDS = 4
REPAIRABLE = {"torn-tail", "open-file", "torn-index-line"}
ARTICLE_PATH = re.compile(r"^/(?:(?:ru|en)/)?[a-z0-9-]+/[a-z0-9-]+-\d+/?$")


def _start_crawl(site_url: str, archive: Path, *extra: str) -> subprocess.Popen[str]:
    # No profile: the generic path must recognise the older template's articles by itself. No page requisites:
    # thousands of articles' photos would triple the requests of every round (test_requisites covers them).
    return start_cli("crawl", site_url + "/", site_url + "/sitemap.xml", "--archive", str(archive),
                     "--delay", "0", "--concurrency", "16", "--no-requisites", *extra)  # fmt: skip


def _wait_for(condition, crawl: subprocess.Popen[str], timeout: float = 180.0) -> None:
    """Wait until ``condition()`` holds while ``crawl`` runs; fail with the crawl's stderr if it ended first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if crawl.poll() is not None:
            _, stderr = crawl.communicate()
            raise AssertionError(f"the crawl ended (exit {crawl.returncode}) before the condition held: {stderr}")
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _indexed_by(archive: Path, pid: int) -> bool:
    """Whether the crawl with this pid has written a complete article index line."""
    return any(b"\n" in path.read_bytes() for path in (archive / "indexes").glob(f"articles-*-{pid}.jsonl"))


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``: pid -> start time (so a reused pid is not mistaken for one)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            if int(fields[1]) == pid:
                children[int(entry.name)] = fields[19]
    return children


def _alive(pid: int, started: str) -> bool:
    """Whether that process still runs (a zombie nobody reaped has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


def _open_files(pid: int) -> set[str]:
    """What the process's file descriptors point at (``pipe:[inode]``, paths)."""
    files = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            files.add(os.readlink(fd))
    return files


def _survivors(children: dict[int, str], timeout: float = 30.0) -> list[int]:
    """The children still running after up to ``timeout`` seconds (a worker exits once it sees end-of-file)."""
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid, started in children.items() if _alive(pid, started)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def _index_lines(archive: Path) -> int:
    return sum(1 for _ in read_index(archive / "indexes")) if (archive / "indexes").is_dir() else 0


def complete_response_ids(archive: Path) -> set[str]:
    """Record ids of the response records that were written whole (before any torn tail)."""
    ids: set[str] = set()
    for path in warc_files(archive):
        damage = warc_damage(path)
        end = damage.offset if damage and damage.offset is not None else path.stat().st_size
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            try:
                for record in records:
                    record_id, kind = record.rec_headers.get_header("WARC-Record-ID"), record.rec_type
                    records.read_to_end(record)
                    if kind == "response" and records.get_record_offset() + records.get_record_length() <= end:
                        ids.add(record_id)
            except Exception:  # the torn tail: everything complete before it has been counted
                pass
    return ids


def complete_article_paths(archive: Path) -> set[str]:
    """Paths of the article pages archived whole (a response record before any torn tail)."""
    complete = complete_response_ids(archive)
    paths = set()
    for _, record in iter_records_until_torn(archive):
        if record.rec_headers.get_header("WARC-Record-ID") in complete:
            path = "/" + record.rec_headers.get_header("WARC-Target-URI").split("/", 3)[3]
            if ARTICLE_PATH.match(path) and record.http_headers.get_statuscode() == "200":
                paths.add(path)
    return paths


def iter_records_until_torn(archive: Path):  # type: ignore[no-untyped-def]
    """Every record of every WARC, stopping quietly at a torn tail."""
    for path in warc_files(archive):
        with open(path, "rb") as stream:
            try:
                for record in ArchiveIterator(stream):
                    yield path, record
            except Exception:  # the torn tail
                continue


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Any:
    root = tmp_path_factory.mktemp("big_site")
    with run_site(root / "requests.jsonl", write_big_site(root / "site.json", ARTICLES)) as site:
        yield site


@pytest.fixture(scope="module")
def survived(big_site, tmp_path_factory) -> dict[str, Any]:
    """KILL_ROUNDS crawls SIGKILLed at random moments, repaired alternately by `verify --repair` and by
    the next crawl, then one crawl to the end."""
    seed = int(os.environ.get("NEWSARCHIVE_FAULT_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    archive = tmp_path_factory.mktemp("fault") / "archive"
    rounds: list[dict[str, Any]] = []
    written_before_kills: set[str] = set()
    for number in range(KILL_ROUNDS):
        crawl = _start_crawl(big_site.url, archive)
        # This crawl's own .open file (its name ends in its pid): the previous round's may still be there.
        own_open_file = f"*-{crawl.pid}.warc.gz.open"
        _wait_for(lambda: any((archive / "warc").glob(own_open_file)), crawl)  # noqa: B023 - called at once
        if number == 0:
            # The first kill comes after an article is indexed, so some round always has archived articles that
            # the next crawls must not fetch again (short random waits on a slow machine could kill every round
            # before its first article).
            _wait_for(lambda: _indexed_by(archive, crawl.pid), crawl)  # noqa: B023 - called at once
        time.sleep(rng.uniform(0.0, 4.0))
        # The page analysis workers, and what they hold: never the crawl's stderr, never the archive's lock.
        children = _children(crawl.pid)
        crawl_stderr = os.readlink(f"/proc/{crawl.pid}/fd/2")
        held = set().union(*(_open_files(pid) for pid in children if _alive(pid, children[pid])))
        crawl.send_signal(signal.SIGKILL)
        crawl.communicate(timeout=60)
        killed_at = time.time()
        survivors = _survivors(children)
        damage = find_damage(Archive(archive))
        written_before_kills |= complete_response_ids(archive)
        archived_articles = {path for path in complete_article_paths(archive)}
        repaired_by = "verify --repair" if number % 2 == 0 else "next crawl"
        if repaired_by == "verify --repair":
            repair = run_cli("verify", "--archive", str(archive), "--repair")
            assert repair.returncode == 0, repair.stdout + repair.stderr
        rounds.append(
            {
                "exit_code": crawl.returncode,
                "damage": damage,
                "repaired_by": repaired_by,
                "killed_at": killed_at,
                "archived_articles": archived_articles,
                "children": children,
                "survivors": survivors,
                "held_by_children": held & {crawl_stderr, str(archive / "crawl.lock")},
            }
        )
    final = _start_crawl(big_site.url, archive)
    stdout, stderr = final.communicate(timeout=180)
    exported = run_cli("export", "--archive", str(archive))
    result = {
        "seed": seed,
        "archive": archive,
        "rounds": rounds,
        "final": (final.returncode, stdout, stderr),
        "written_before_kills": written_before_kills,
        "exported": exported,
    }
    print(f"\nfault test: seed {seed}, {len(rounds)} SIGKILL rounds, damage per round: "
          f"{[sorted(d.kind for d in r['damage']) for r in rounds]}")  # fmt: skip
    return result


def test_every_round_was_killed_and_left_only_repairable_damage(survived):
    for number, round_ in enumerate(survived["rounds"]):
        assert round_["exit_code"] == -signal.SIGKILL, f"seed {survived['seed']}, round {number}"
        kinds = {damage.kind for damage in round_["damage"]}
        assert kinds <= REPAIRABLE, f"seed {survived['seed']}: {round_['damage']}"
    # Each round waits for its crawl's own .open file: every kill came mid-write.
    assert all("open-file" in {damage.kind for damage in round_["damage"]} for round_ in survived["rounds"])


def test_no_worker_outlives_a_killed_crawl_nor_holds_its_stderr_or_lock(survived):
    assert any(round_["children"] for round_ in survived["rounds"]), "no page analysis worker was seen"
    for number, round_ in enumerate(survived["rounds"]):
        assert round_["survivors"] == [], f"seed {survived['seed']}, round {number}: orphans {round_['survivors']}"
        assert not round_["held_by_children"], f"seed {survived['seed']}, round {number}"


def test_no_complete_record_written_before_a_kill_is_lost(survived):
    final_ids = {r.rec_headers.get_header("WARC-Record-ID") for _, r in iter_records(survived["archive"])}
    lost = survived["written_before_kills"] - final_ids
    print(f"records written before the kills: {len(survived['written_before_kills'])}, lost: {len(lost)}")
    assert survived["written_before_kills"] and not lost, f"seed {survived['seed']}"


def test_the_resumed_crawl_finishes_and_under_cron_prints_only_its_summary(survived):
    exit_code, stdout, stderr = survived["final"]
    assert exit_code == 0, stderr
    assert stdout == ""
    assert re.fullmatch(r"Fetched \d+ pages, archived \d+ articles into .*\n", stderr), stderr


def test_pages_archived_before_a_kill_are_not_fetched_again(survived, big_site):
    requests = big_site.requests()
    refetched = {
        entry["path"]
        for round_ in survived["rounds"]
        for entry in requests
        if entry["started"] > round_["killed_at"] and entry["path"] in round_["archived_articles"]
    }
    archived = set().union(*(round_["archived_articles"] for round_ in survived["rounds"]))
    print(f"articles archived before the kills: {len(archived)}, fetched again after: {len(refetched)}")
    assert archived and not refetched, f"seed {survived['seed']}: {sorted(refetched)[:5]}"


def test_every_article_is_exported_exactly_once_with_its_time_and_offset(survived, big_site):
    assert survived["exported"].returncode == 0
    exported = [json.loads(line) for line in survived["exported"].stdout.splitlines()]
    assert sorted(a["url"] for a in exported) == sorted(article["url"] for article in big_site.articles)
    published = {article["url"]: article["published"] for article in big_site.articles}
    assert {a["url"]: a["published"] for a in exported} == published


def test_every_warc_passes_warcio_check_and_none_is_left_open(survived):
    files = warc_files(survived["archive"])
    assert files and not [f for f in files if not f.name.endswith(".warc.gz")]
    assert warcio_check(files) == 0
    assert run_cli("verify", "--archive", str(survived["archive"])).returncode == 0


def test_each_killed_crawls_open_file_is_finished_before_the_next_kill(survived):
    # One .open file after every kill: the killed crawl's own. The previous one was finished by
    # `verify --repair` or by the next crawl on its start.
    for round_ in survived["rounds"]:
        assert len([d for d in round_["damage"] if d.kind == "open-file"]) == 1
    last_open = next(d.path.name for d in survived["rounds"][-1]["damage"] if d.kind == "open-file")
    final_run = list(read_runs(survived["archive"]))[-1]
    assert final_run["repaired"]["finalised"] == [last_open.removesuffix(".open")]


def test_sigterm_finishes_in_flight_pages_closes_the_warc_indexes_everything_and_exits_143(big_site, tmp_path):
    archive = tmp_path / "archive"
    crawl = _start_crawl(big_site.url, archive)
    _wait_for(lambda: _index_lines(archive) >= 100, crawl)
    crawl.send_signal(signal.SIGTERM)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.endswith("; stopped by SIGTERM\n")
    assert find_damage(Archive(archive)) == []
    files = warc_files(archive)
    assert warcio_check(files) == 0
    article_responses = {
        record.rec_headers.get_header("WARC-Record-ID")
        for _, record in iter_records(archive)
        if record.rec_type == "response"
        and record.http_headers.get_statuscode() == "200"
        and ARTICLE_PATH.match("/" + record.rec_headers.get_header("WARC-Target-URI").split("/", 3)[3])
    }
    assert {entry["warc_record_id"] for entry in read_index(archive / "indexes")} == article_responses
    (run,) = read_runs(archive)
    assert (run["interrupted_by"], run["exit_code"]) == ("SIGTERM", 143)


def test_a_second_sigint_stops_at_once_without_corrupting_anything(tmp_path):
    with run_hostile_site(tmp_path / "requests.jsonl") as site:
        archive = tmp_path / "archive"
        # A long timeout: the stalled pages keep the graceful stop waiting, as a stuck server would.
        crawl = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", "crawl", site.url + "/", "--archive", str(archive),
             "--delay", "0", "--timeout", "600"],
            stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        )  # fmt: skip
        _wait_for(lambda: site.requests_for("/stall") and _index_lines(archive) >= 1, crawl)
        crawl.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert crawl.poll() is None, "the graceful stop should still be waiting for the stalled pages"
        crawl.send_signal(signal.SIGINT)
        _, stderr = crawl.communicate(timeout=30)
    assert crawl.returncode == 128 + signal.SIGINT, stderr
    assert [d.kind for d in find_damage(Archive(archive))] == ["open-file"]
    repair = run_cli("verify", "--archive", str(archive), "--repair")
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert warcio_check(warc_files(archive)) == 0


def test_a_crawl_whose_warc_writer_is_killed_exits_1_with_one_error_line_and_repairable_damage(big_site, tmp_path):
    archive = tmp_path / "archive"
    crawl = _start_crawl(big_site.url, archive, "--log-file", str(tmp_path / "crawl.log"))
    _wait_for(lambda: _indexed_by(archive, crawl.pid), crawl)
    writers = [
        pid for pid in _children(crawl.pid) if b"warc-writer" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    ]
    assert len(writers) == 1, "one WARC writer process"
    os.kill(writers[0], signal.SIGKILL)
    _, stderr = crawl.communicate(timeout=180)
    assert crawl.returncode == 1, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: the WARC writer stopped: ") and "run the crawl again" in lines[0]
    assert ": not archived: " in (tmp_path / "crawl.log").read_text(), "each page not archived is named in the log"
    kinds = {damage.kind for damage in find_damage(Archive(archive))}
    assert kinds <= REPAIRABLE and "open-file" in kinds
    exported = run_cli("export", "--archive", str(archive)).stdout.splitlines()
    assert exported, "the articles indexed before the writer stopped stay exported"
