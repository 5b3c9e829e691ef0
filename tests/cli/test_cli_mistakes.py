"""A user's mistakes, each through the real command: one ``Error: ...`` line on stderr saying what is wrong and
what to do, the contract's exit code, and nothing archived touched. Also the crawl's bounds: an unreachable host
or a name that does not resolve ends in a bounded number of attempts, the first signal stops the retries, and
``--max-articles`` is a real cap."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from answering_server import answering_server
from helpers import FIXTURE_PROFILE, run_cli, start_cli, tree, unwritable

from newsarchive.archive.runs import read_runs


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a failed command, which must be exactly one ``Error: ...`` line."""
    assert result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


@pytest.fixture
def empty_archive(tmp_path: Path) -> Path:
    """An archive directory as ``crawl`` creates it, before any WARC is written."""
    archive = tmp_path / "archive"
    (archive / "warc").mkdir(parents=True)
    (archive / "indexes").mkdir()
    return archive


# ------------------------------------------------------------------ archives that cannot be written


def test_crawl_into_an_unwritable_warc_directory_says_so(empty_archive):
    before = tree(empty_archive)
    with unwritable(empty_archive / "warc"):
        result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(empty_archive))
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"Error: cannot write to {empty_archive / 'warc'}: Permission denied; "
        "fix its permissions or use another --archive"
    )
    assert tree(empty_archive) == before


def test_crawl_into_an_unwritable_archive_cannot_take_the_lock_and_says_so(empty_archive):
    before = tree(empty_archive)
    with unwritable(empty_archive):
        result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(empty_archive))
    assert result.returncode == 2
    assert one_error_line(result).startswith(f"Error: cannot write to {empty_archive}: Permission denied")
    assert not (empty_archive / "crawl.lock").exists()
    assert tree(empty_archive) == before


def test_verify_repair_of_an_unwritable_archive_says_so(empty_archive):
    before = tree(empty_archive)
    with unwritable(empty_archive):
        result = run_cli("verify", "--repair", "--archive", str(empty_archive))
    assert result.returncode == 2
    assert "Permission denied; fix its permissions or use another --archive" in one_error_line(result)
    assert tree(empty_archive) == before


def test_reindex_into_unwritable_indexes_says_so(empty_archive):
    before = tree(empty_archive)
    with unwritable(empty_archive / "indexes"):
        result = run_cli("reindex", "--archive", str(empty_archive))
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"Error: cannot write to {empty_archive / 'indexes'}: Permission denied; "
        "fix its permissions or use another --archive"
    )
    assert tree(empty_archive) == before


def test_demo_into_an_unwritable_directory_says_so(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    with unwritable(parent):
        result = run_cli("demo", "--archive", str(parent / "demo"))
    assert result.returncode == 2
    assert one_error_line(result).startswith(f"Error: cannot create the archive directory {parent / 'demo'}")
    assert not (parent / "demo").exists()


def test_an_archive_path_under_a_file_says_a_file_is_in_the_way(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(tmp_path / "afile" / "sub"))
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"Error: cannot create the archive directory {tmp_path / 'afile' / 'sub' / 'warc'}: Not a directory; "
        "a file is in the way of the archive directory; use another --archive"
    )


def test_a_log_file_in_a_missing_directory_is_refused_before_anything_is_created(tmp_path):
    archive = tmp_path / "archive"
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(archive), "--log-file", "/nonexistent-dir/x.log")
    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: cannot write the log file /nonexistent-dir/x.log: No such file or directory; "
        "create its directory or choose another --log-file"
    )
    assert not archive.exists()


# ------------------------------------------------------------------ targets and profiles


@pytest.mark.parametrize("url", ["http://[::1", "https://exa mple.org/", "http://127.0.0.1:99999/"])
def test_a_malformed_start_url_is_refused_before_anything_is_created(tmp_path, url):
    archive = tmp_path / "archive"
    result = run_cli("crawl", url, "--archive", str(archive))
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"Error: {url!r} is neither a site profile nor a start URL: give an absolute http(s) URL "
        "(e.g. https://report.az/ru/) or a name from `newsarchive sites`"
    )
    assert not archive.exists()


def profile_error(tmp_path: Path, text: str | bytes) -> str:
    """The error line of a crawl with this profile (nothing may be created)."""
    profile = tmp_path / "site.toml"
    if isinstance(text, bytes):
        profile.write_bytes(text)
    else:
        profile.write_text(text, encoding="utf-8")
    archive = tmp_path / "archive"
    result = run_cli("crawl", "http://127.0.0.1:9/", "--config", str(profile), "--archive", str(archive))
    assert result.returncode == 2
    assert not archive.exists()
    return one_error_line(result).replace(str(profile), "site.toml")


def test_a_profile_that_is_not_utf8_names_the_file(tmp_path):
    assert profile_error(tmp_path, b'name = "caf\xe9"\n') == (
        "Error: site profile site.toml is not UTF-8 text (a bad byte at offset 11); save it as UTF-8"
    )


def test_a_profile_with_hosts_as_a_string_names_the_key(tmp_path):
    assert profile_error(tmp_path, 'hosts = "report.az"\n') == (
        "Error: site profile site.toml: hosts must be a list of strings, not the string 'report.az' "
        "(write hosts = ['report.az'])"
    )


def test_a_profile_with_an_unknown_time_zone_names_the_key(tmp_path):
    assert profile_error(tmp_path, 'timezone = "Mars/Olympus"\n') == (
        "Error: site profile site.toml: timezone 'Mars/Olympus' is not an IANA time zone; "
        "use a name such as 'Asia/Baku' or an offset such as '+04:00'"
    )


def test_a_profile_with_an_unknown_key_names_it(tmp_path):
    error = profile_error(tmp_path, '[extraction]\nbody = "p"\nheadline = "h1"\n')
    assert error.startswith("Error: site profile site.toml: unknown key 'extraction.headline'; known keys here: title,")


def test_a_profile_with_a_wrong_type_in_an_edition_names_the_key(tmp_path):
    assert profile_error(tmp_path, '[languages.ru]\nprefix = "/ru/"\nfeeds = [1]\n') == (
        "Error: site profile site.toml: languages.ru.feeds must be a list of strings, not a list with non-string items"
    )


def test_lang_matching_no_edition_of_the_profile_is_a_usage_error(tmp_path):
    archive = tmp_path / "archive"
    result = run_cli("crawl", "report.az", "http://127.0.0.1:9/", "--lang", "de", "--archive", str(archive))
    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: --lang de matches no edition of report.az (az, ru, en); give one of those, or leave --lang out"
    )
    assert not archive.exists()


# ------------------------------------------------------------------ sites that do not answer as hoped


def test_an_unreachable_host_is_given_up_after_three_attempts_with_one_line(tmp_path):
    archive = tmp_path / "archive"
    # Port 9 (discard) on the loopback: nothing listens, every connection is refused.
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(archive), "--quiet", timeout=120)
    assert result.returncode == 1
    assert result.stderr == (
        "ERROR: Gave up on 127.0.0.1:9 for this run: Connection was refused by other side: 111: Connection refused "
        "(3 attempts); check the URL and the network\n"
    )
    (run,) = read_runs(archive)
    assert run["errors"] == {"DownloadConnectionRefusedError": 3}
    assert run["pages"] == 0


def test_a_name_that_does_not_resolve_is_given_up_at_the_first_attempt(tmp_path):
    archive = tmp_path / "archive"
    # .invalid never resolves (RFC 6761): the crawler answers it itself, no query leaves the machine.
    result = run_cli("crawl", "http://news.example.invalid/", "--archive", str(archive), "--quiet", timeout=120)
    assert result.returncode == 1
    assert result.stderr == (
        "ERROR: Gave up on news.example.invalid for this run: its name does not resolve (1 attempt); "
        "check the URL and the network\n"
    )
    (run,) = read_runs(archive)
    assert run["errors"] == {"CannotResolveHostError": 1}


def test_a_start_url_that_answers_404_says_nothing_was_archived_and_exits_1(tmp_path):
    archive = tmp_path / "archive"
    with answering_server(404) as server:
        result = run_cli("crawl", server.url + "/news/", "--archive", str(archive), "--quiet", timeout=120)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: no article archived: the start URL answered an error ({server.url}/news/ 404); check the URL\n"
    )


def test_the_first_signal_stops_the_retries_and_the_crawl_exits_at_once(tmp_path):
    archive = tmp_path / "archive"
    # A busy site asks to be retried in 50 s: without the stop, the crawl would wait for it, then retry.
    with answering_server(503, {"Retry-After": "50"}) as server:
        process = start_cli("crawl", server.url + "/", "--archive", str(archive), "--ignore-robots")
        try:
            # The start URL and robots.txt (read for its sitemaps) go out together; both get the 503.
            assert server.wait_for(2), "the crawl sent no request"
            served = len(server.requests)
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=5)
        finally:
            process.kill()
            process.wait()
        assert server.requests[served:] == [], "a retry was sent after the signal"
    assert process.returncode == 130, stderr
    (run,) = read_runs(archive)
    assert run["interrupted_by"] == "SIGINT"
    assert run["errors"] == {"http_503": 2}


# ------------------------------------------------------------------ --max-articles


def test_max_articles_archives_at_most_that_many_new_articles(tmp_path, news_site):
    archive = tmp_path / "archive"
    result = run_cli(
        "crawl", "report.az", news_site.url + "/", "--archive", str(archive), "--max-articles", "1", "--delay", "0"
    )
    assert result.returncode == 0, result.stderr
    assert "archived 1 article into" in result.stderr
    exported = run_cli("export", "--archive", str(archive))
    assert len(exported.stdout.splitlines()) == 1
    (run,) = read_runs(archive)
    assert run["articles_new"] == 1
    assert run["finish_reason"] == "closespider_articlecount"


def test_max_articles_counts_only_new_articles_on_the_next_run(tmp_path, news_site):
    archive = tmp_path / "archive"
    for _ in range(2):
        result = run_cli(
            "crawl", str(news_site.url + "/"), "--config", str(FIXTURE_PROFILE), "--archive", str(archive),
            "--max-articles", "2", "--delay", "0",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    exported = [json.loads(line) for line in run_cli("export", "--archive", str(archive)).stdout.splitlines()]
    assert len(exported) == 4
    assert [run["articles_new"] for run in read_runs(archive)] == [2, 2]
