"""The article index component: a URL met again in the same run becomes a new version only when its content
changed, pointing at the version it replaces."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from newsarchive.archive.articles import ArticleIndex
from newsarchive.archive.records import RecordLocation
from newsarchive.extract.article import Article

STARTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _capture(number: int) -> RecordLocation:
    return RecordLocation("newsarchive-test.warc.gz", 1000 * number, 900, f"<urn:uuid:{number:08d}>", STARTED)


def test_the_same_url_in_one_run_is_a_new_version_only_when_its_content_changed(tmp_path):
    index = ArticleIndex(tmp_path, STARTED, existing=False)
    url = "http://127.0.0.1:8000/news/politics/budget-1/"
    first = index.add(Article(url, title="Budget", text="The budget was adopted."), _capture(1), STARTED)
    again = index.add(Article(url, title="Budget", text="The budget was adopted."), _capture(2), STARTED)
    edited = index.add(Article(url, title="Budget", text="The budget was adopted on Monday."), _capture(3), STARTED)
    other = index.add(Article(url + "x/", title="Other", text="Another story."), _capture(4), STARTED)
    edited_again = index.add(
        Article(url, title="Budget!", text="The budget was adopted on Monday."), _capture(5), STARTED
    )
    index.close()
    assert first is not None and first["version"] == 1 and first["previous_record_id"] is None
    assert again is None, "the same content makes no new version"
    assert edited is not None and (edited["version"], edited["previous_record_id"]) == (2, "<urn:uuid:00000001>")
    assert other is not None and other["version"] == 1
    assert edited_again is not None
    assert (edited_again["version"], edited_again["previous_record_id"]) == (3, "<urn:uuid:00000003>")
    lines = [json.loads(line) for path in tmp_path.glob("articles-*.jsonl") for line in path.open(encoding="utf-8")]
    assert [(line["url"] == url, line["version"]) for line in lines] == [(True, 1), (True, 2), (False, 1), (True, 3)]
