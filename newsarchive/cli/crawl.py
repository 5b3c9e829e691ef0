"""``newsarchive crawl``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from newsarchive.archive.reader import Archive
from newsarchive.cli import archive_option, cli
from newsarchive.spiders.crawl import CrawlSummary, crawl
from newsarchive.spiders.profiles import resolve_targets


def print_summary(summary: CrawlSummary, archive: Archive) -> None:
    """The run's summary line on stderr (stdout is for data)."""
    click.echo(
        f"Fetched {summary.pages} pages, archived {summary.articles} articles into {archive.path} "
        f"({summary.warc_files} new WARC files, {summary.warc_bytes:,} bytes) in {summary.seconds:.1f} s"
        + (f"; {summary.failures} failures" if summary.failures else "")
        + (f"; errors: {', '.join(f'{kind} {n}' for kind, n in summary.errors.items())}" if summary.errors else "")
        + (f"; stopped by {signal.Signals(summary.interrupted_by).name}" if summary.interrupted_by is not None else ""),
        err=True,
    )


@cli.command("crawl")
@click.argument("targets", nargs=-1)
@archive_option
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Site profile (TOML) to crawl with."
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many responses.")
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
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def crawl_command(targets: tuple[str, ...], archive_path: Path, quiet: bool, log_level: str | None, **options) -> None:
    """Crawl TARGETS (site profile names or start URLs) into the archive: WARCs plus the article index."""
    resolve_targets(list(targets), options.get("config"))  # fail on bad targets before touching the archive
    archive = Archive(archive_path, create=True)
    summary = crawl(list(targets), archive, log_level=(log_level or default_log_level(quiet)).upper(), **options)
    if not quiet:
        print_summary(summary, archive)
    raise SystemExit(summary.exit_code)


def default_log_level(quiet: bool) -> str:
    """Warnings on a terminal; under cron (no terminal) or with --quiet, errors only."""
    return "WARNING" if sys.stderr.isatty() and not quiet else "ERROR"
