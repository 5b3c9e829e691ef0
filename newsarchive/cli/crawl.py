"""``newsarchive crawl``."""

from __future__ import annotations

import re
import signal
import sys
from datetime import datetime
from pathlib import Path

import click

from newsarchive.cli import archive_option, cli
from newsarchive.spiders.crawl import SHORT_LOG_FORMAT, CrawlSummary, crawl
from newsarchive.words import plural


def _language_codes(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    """``az,ru`` -> ``("az", "ru")``; each code two or three lower-case letters."""
    if not value:
        return ()
    codes = tuple(code.strip().lower() for code in value.split(",") if code.strip())
    bad = [code for code in codes if not re.fullmatch(r"[a-z]{2,3}", code)]
    if bad or not codes:
        raise click.BadParameter(f"{value!r}: give ISO 639-1 codes separated by commas, e.g. az,ru")
    return codes


def summary_line(summary: CrawlSummary) -> str:
    """The run's summary: ``Fetched 1 page, archived 1 new article (0 updated) into DIR (...)``."""
    return (
        f"Fetched {plural(summary.pages, 'page')}, archived {plural(summary.articles_new, 'new article')} "
        f"({summary.articles_updated:,} updated) into {summary.archive} "
        f"({plural(summary.warc_files, 'new WARC file')}, {plural(summary.warc_bytes, 'byte')}) "
        f"in {summary.seconds:.1f} s"
        + (f"; {plural(summary.failures, 'failure')}" if summary.failures else "")
        + (f"; errors: {', '.join(f'{kind} {n}' for kind, n in summary.errors.items())}" if summary.errors else "")
        + (f"; stopped by {signal.Signals(summary.interrupted_by).name}" if summary.interrupted_by is not None else "")
    )


def report(summary: CrawlSummary, quiet: bool) -> None:
    """The summary line (unless quiet) and, quiet or not, the one line saying why the crawl fell short."""
    if not quiet:
        click.echo(summary_line(summary), err=True)
    if summary.problem:
        click.echo(f"Error: {summary.problem}", err=True)


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
@click.option("--max-pages", type=click.IntRange(min=1), help="Send at most this many requests (robots.txt included).")
@click.option(
    "--max-articles", type=click.IntRange(min=1), help="Archive at most this many new articles (or new versions)."
)
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
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Least severe log level shown [default: WARNING on a terminal, ERROR otherwise (cron)].",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the log to this file instead of stderr (the summary line stays on stderr).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (no status line, no summary).")
@click.option(
    "--verbose", "-v", count=True, help="Show Scrapy's log: -v at INFO, -vv at DEBUG (with times and logger names)."
)
def crawl_command(
    targets: tuple[str, ...],
    archive_path: Path,
    quiet: bool,
    verbose: int,
    log_level: str | None,
    since: datetime | None,
    **options,
) -> None:
    """Crawl TARGETS (site profile names or start URLs) into the archive: WARCs plus the article index.

    Incremental: articles already archived are not fetched again (unless --refresh); feeds, sitemaps and
    listing pages are re-fetched, conditionally where the server allows.
    """
    day = since.date() if since else None
    level = (log_level or default_log_level(quiet, verbose)).upper()
    summary = crawl(
        list(targets),
        archive_path,
        log_level=level,
        log_format=None if verbose else SHORT_LOG_FORMAT,
        progress=sys.stderr.isatty() and not quiet,
        since=day,
        **options,
    )
    report(summary, quiet)
    raise SystemExit(summary.exit_code)


def default_log_level(quiet: bool, verbose: int = 0) -> str:
    """-v INFO, -vv DEBUG; else warnings on a terminal; under cron (no terminal) or with --quiet, errors only."""
    if verbose:
        return "DEBUG" if verbose > 1 else "INFO"
    return "WARNING" if sys.stderr.isatty() and not quiet else "ERROR"
