"""``newsarchive crawl``."""

from __future__ import annotations

import re
import signal
import sys
from datetime import datetime
from pathlib import Path

import click

from newsarchive.archive.reader import Archive
from newsarchive.cli import archive_option, cli
from newsarchive.spiders.crawl import CrawlSummary, crawl
from newsarchive.spiders.profiles import resolve_targets


def _language_codes(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    """``az,ru`` -> ``("az", "ru")``; each code two or three lower-case letters."""
    if not value:
        return ()
    codes = tuple(code.strip().lower() for code in value.split(",") if code.strip())
    bad = [code for code in codes if not re.fullmatch(r"[a-z]{2,3}", code)]
    if bad or not codes:
        raise click.BadParameter(f"{value!r}: give ISO 639-1 codes separated by commas, e.g. az,ru")
    return codes


def print_summary(summary: CrawlSummary, archive: Archive) -> None:
    """The run's summary line on stderr (stdout is for data)."""
    click.echo(
        f"Fetched {summary.pages} pages, archived {summary.articles} articles into {archive.path} "
        f"({summary.warc_files} new WARC files, {summary.warc_bytes:,} bytes) in {summary.seconds:.1f} s"
        + (f"; {summary.requisites} of the pages were page requisites" if summary.requisites else "")
        + (f"; {summary.failures} failures" if summary.failures else "")
        + (f"; errors: {', '.join(f'{kind} {n}' for kind, n in summary.errors.items())}" if summary.errors else "")
        + (f"; stopped by {signal.Signals(summary.interrupted_by).name}" if summary.interrupted_by is not None else ""),
        err=True,
    )
    if summary.not_articles:
        count = summary.errors.get("not_article", len(summary.not_articles))
        click.echo(
            f"{count} pages looked like articles but gave none (archived, listed in indexes/not-articles-*.jsonl): "
            + ", ".join(summary.not_articles)
            + (", ..." if count > len(summary.not_articles) else ""),
            err=True,
        )


@cli.command("crawl")
@click.argument("targets", nargs=-1)
@archive_option
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Site profile (TOML) to crawl with."
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Skip articles dated before this day (YYYY-MM-DD); stop paging listings at older pages.",
)
@click.option("--lang", callback=_language_codes, help="Only these language editions, e.g. az,ru.")
@click.option("--refresh", is_flag=True, help="Fetch archived articles again; changed ones become new versions.")
@click.option(
    "--timezone",
    help="Zone of the times pages show without an offset (IANA name or +04:00); "
    "default: the profile's, else learned from the site's own timestamps.",
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Send at most this many requests (robots.txt included).")
@click.option("--max-articles", type=click.IntRange(min=1), help="Stop after this many articles.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight per host.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests to a host.")
@click.option("--user-agent", help="User-Agent header to send.")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds to wait for a response  [default: 30].")
@click.option(
    "--max-size",
    type=click.FloatRange(min=0.001),
    help="Largest response body kept, in MB, decompressed size included  [default: 20].",
)
@click.option(
    "--contact",
    envvar="NEWSARCHIVE_CONTACT",
    help="URL or e-mail where site owners can reach you, added to the User-Agent (or set NEWSARCHIVE_CONTACT).",
)
@click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt.")
@click.option(
    "--requisites/--no-requisites",
    default=True,
    help="Archive the stylesheets, images, fonts and icons of article and home pages  [default: on].",
)
@click.option(
    "--operator",
    envvar="NEWSARCHIVE_OPERATOR",
    help="Who runs the crawl (name, e-mail), recorded in each WARC's warcinfo (or set NEWSARCHIVE_OPERATOR).",
)
@click.option(
    "--redis",
    metavar="URL",
    envvar="NEWSARCHIVE_REDIS",
    help="Crawl as one worker of a distributed job: queue and seen-set in Redis at URL, e.g. "
    "redis://HOST:6379/0 (or set NEWSARCHIVE_REDIS); start the same command on every worker.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Least severe log level shown [default: WARNING on a terminal, ERROR otherwise (cron)].",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the log to this file instead of stderr (the summary line stays on stderr).",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def crawl_command(
    targets: tuple[str, ...], archive_path: Path, quiet: bool, log_level: str | None, since: datetime | None, **options
) -> None:
    """Crawl TARGETS (site profile names or start URLs) into the archive: WARCs plus the article index.

    Incremental: articles already archived are not fetched again (unless --refresh); feeds, sitemaps and
    listing pages are re-fetched, conditionally where the server allows.
    """
    resolve_targets(list(targets), options.get("config"))  # fail on bad targets before touching the archive
    archive = Archive(archive_path, create=True)
    day = since.date() if since else None
    level = (log_level or default_log_level(quiet)).upper()
    summary = crawl(list(targets), archive, log_level=level, since=day, **options)
    if not quiet:
        print_summary(summary, archive)
    raise SystemExit(summary.exit_code)


def default_log_level(quiet: bool) -> str:
    """Warnings on a terminal; under cron (no terminal) or with --quiet, errors only."""
    return "WARNING" if sys.stderr.isatty() and not quiet else "ERROR"
