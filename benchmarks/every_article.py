"""Figures for the generic path: the mixed fixture site (current and older template) crawled without a profile.

Serves the test fixture's site with a third of its articles in the older template that declares nothing
(``tests/discovery_sites.mixed_articles``), crawls it twice from its home page alone, then prints:

- articles exported against articles on the site, by template and language;
- how many ``published`` values equal the site's own to the minute, with their offset;
- the second run's requests by kind (article pages must be none);
- what ``reindex`` recovers on a copy of the archive made to look as the old rule left it (only the pages
  that declare themselves indexed, no site facts).

Usage: ``python benchmarks/every_article.py [--dir DIR]``. Figures go to stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from discovery_sites import mixed_articles, write_site  # noqa: E402
from fixture_site import run_site  # noqa: E402

from newsarchive.archive.layout import INDEX_GLOB  # noqa: E402


def newsarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsarchive", *args], capture_output=True, text=True, cwd=ROOT)


def exported(archive: Path) -> dict[str, dict]:
    rows = newsarchive("export", "--archive", str(archive)).stdout.splitlines()
    return {row["url"]: row for row in map(json.loads, rows)}


def kind_of(path: str, articles: set[str]) -> str:
    if path in articles:
        return "article"
    if path.endswith("rss/"):
        return "feed"
    if "sitemap" in path or path == "/robots.txt":
        return "sitemap/robots"
    return "listing/home"


def report(site, archive: Path, label: str) -> None:
    rows = exported(archive)
    found, total, exact = Counter(), Counter(), Counter()
    for article in site.articles:
        key = (article.get("template", "current"), article["lang"])
        total[key] += 1
        row = rows.get(article["url"])
        found[key] += row is not None
        exact[key] += row is not None and row["published"] == article["published"]
    print(f"\n{label}\n{'template':10} {'lang':5} {'exported/site':>14} {'published exact':>16}")
    for key in sorted(total):
        print(f"{key[0]:10} {key[1]:5} {found[key]:>7}/{total[key]:<6} {exact[key]:>10}/{total[key]}")
    count = sum(total.values())
    print(f"{'all':16} {sum(found.values()):>7}/{count:<6} {sum(exact.values()):>10}/{count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="scratch directory (default: a temporary one)")
    options = parser.parse_args()
    work = options.dir or Path(tempfile.mkdtemp(prefix="every-article-"))
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "archive"
    shutil.rmtree(archive, ignore_errors=True)
    with run_site(work / "requests.jsonl", write_site(work / "site.json", mixed_articles())) as site:
        paths = {a["path"] for a in site.articles}
        for run in (1, 2):
            before = len(site.requests())
            result = newsarchive("crawl", site.url + "/", "--archive", str(archive), "--delay", "0")
            requests = site.requests()[before:]
            print(f"run {run}: exit {result.returncode}: {result.stderr.strip()}")
            kinds = Counter((kind_of(e["path"], paths), e["status"]) for e in requests)
            print("  requests by kind and status: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(kinds.items())))
        report(site, archive, "Crawled without a profile")
        old = work / "old-rule"
        shutil.rmtree(old, ignore_errors=True)
        shutil.copytree(archive, old)
        legacy = {a["url"] for a in site.articles if a.get("template") == "legacy"}
        for index in (old / "indexes").glob(INDEX_GLOB):
            lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
            index.write_text("".join(x for x in lines if json.loads(x)["url"] not in legacy), encoding="utf-8")
        (old / "site-facts.json").unlink()
        print(f"\nold-rule archive before reindex: {len(exported(old))} articles")
        print("reindex: " + newsarchive("reindex", "--archive", str(old)).stderr.strip())
        report(site, old, "After reindex of the old-rule archive")


if __name__ == "__main__":
    main()
