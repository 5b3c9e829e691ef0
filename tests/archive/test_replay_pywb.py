"""A real pywb (``wayback``) replays the archive as written, no conversion: originals and revisits alike."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from rawserver import responses
from replay_tools import run_wayback

from newsarchive.archive.cdxj import read_cdxj
from newsarchive.archive.replay import COLLECTION

SENT = responses()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _get(url: str) -> tuple[int, bytes]:
    # Accepting the codings makes pywb send the stored payload as it is, instead of decoding it for us.
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, br"})
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def wayback(raw_site_archive, tmp_path_factory) -> Iterator[str]:
    """pywb on 127.0.0.1 with one collection over the archive's warc/ and indexes/; yields its base URL."""
    with run_wayback(raw_site_archive.path, tmp_path_factory.mktemp("pywb")) as collection:
        yield collection.removesuffix("/" + COLLECTION)


@pytest.fixture(scope="module")
def captures(raw_site_archive) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """target -> its CDXJ entries (timestamp, fields), oldest first."""
    found: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for _, timestamp, fields in read_cdxj(raw_site_archive.path / "indexes"):
        found.setdefault(fields["url"].removeprefix(raw_site_archive.url), []).append((timestamp, fields))
    return {target: sorted(entries, key=lambda e: e[0]) for target, entries in found.items()}


# Archived truncated: never an original, so never revisited.
TRUNCATED = ("/early-close", "/oversized")
OK_TARGETS = [t for t, (sent, _) in SENT.items() if sent.startswith(b"HTTP/1.1 200") and t not in TRUNCATED]


@pytest.mark.parametrize("target", OK_TARGETS)
def test_pywb_replays_original_and_revisit_with_the_origin_bytes(wayback, captures, raw_site_archive, target):
    entries = captures[target]
    assert [fields["mime"] == "warc/revisit" for _, fields in entries] == [False, True]
    assert entries[0][0] != entries[1][0], "the revisit must be reachable by its own timestamp"
    for timestamp, _ in entries:
        status, body = _get(f"{wayback}/{COLLECTION}/{timestamp}id_/{raw_site_archive.url}{target}")
        assert status == 200
        assert body == SENT[target][1]


@pytest.mark.parametrize(("target", "status"), [("/missing", 404), ("/error", 500), ("/chain/301", 301)])
def test_pywb_replays_errors_and_redirects_with_their_status(wayback, captures, raw_site_archive, target, status):
    timestamp, _ = captures[target][0]
    assert _get(f"{wayback}/{COLLECTION}/{timestamp}id_/{raw_site_archive.url}{target}")[0] == status
