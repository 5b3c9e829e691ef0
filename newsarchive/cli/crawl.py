"""``newsarchive crawl``."""

from __future__ import annotations

import os
import re
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsarchive.archive.layout import CONFIG_NAME, INDEXES_DIR, NOT_ARTICLES_GLOB
from newsarchive.archive.reader import ARCHIVE_ENV, DEFAULT_ARCHIVE
from newsarchive.cli import archive_option, cli
from newsarchive.config import load_crawl_config
from newsarchive.profiles import bundled_profiles
from newsarchive.spiders import settings as defaults
from newsarchive.words import plural

if TYPE_CHECKING:
    from newsarchive.spiders.crawl import CrawlSummary


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
    """The run's summary: ``Fetched 1 page, archived 1 article into DIR (...)`` (new versions counted among the
    articles, and named when there are any)."""
    updated = f" ({summary.articles_updated} updated)" if summary.articles_updated else ""
    return (
        f"Fetched {plural(summary.pages, 'page')}, archived {plural(summary.articles, 'article')}{updated} "
        f"into {summary.archive} "
        f"({plural(summary.warc_files, 'new WARC file')}, {plural(summary.warc_bytes, 'byte', thousands=True)}) "
        f"in {summary.seconds:.1f} s"
        + (f"; {plural(summary.requisites, 'page requisite')} among them" if summary.requisites else "")
        + (f"; {plural(summary.failures, 'failure')}" if summary.failures else "")
        + (f"; errors: {', '.join(f'{kind} {n}' for kind, n in summary.errors.items())}" if summary.errors else "")
        + (f"; stopped by {signal.Signals(summary.interrupted_by).name}" if summary.interrupted_by is not None else "")
    )


def report(summary: CrawlSummary, quiet: bool) -> None:
    """The summary line (unless quiet) and, quiet or not, the one line saying why the crawl fell short."""
    if not quiet:
        click.echo(summary_line(summary), err=True)
    if summary.not_articles and not quiet:
        count = summary.errors.get("not_article", len(summary.not_articles))
        click.echo(
            f"{plural(count, 'page')} looked like {'an article' if count == 1 else 'articles'} but gave none "
            f"(archived, listed in {INDEXES_DIR}/{NOT_ARTICLES_GLOB}): "
            + ", ".join(summary.not_articles)
            + (", ..." if count > len(summary.not_articles) else ""),
            err=True,
        )
    if summary.problem:
        click.echo(f"Error: {summary.problem}", err=True)


class CrawlCommand(click.Command):
    """``crawl``, whose option defaults come from the archive's ``newsarchive.toml`` (or ``--config-file``).

    Click takes a value from the command line, then the option's environment variable, then ``default_map``,
    then the built-in default: the config file goes in ``default_map``, read before the arguments are parsed.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Load the config file named by (or beside) ``--archive``, then parse as usual."""
        archive = _prescan(args, "--archive") or os.environ.get(ARCHIVE_ENV) or DEFAULT_ARCHIVE
        config = load_crawl_config(archive, _prescan(args, "--config-file"))
        ctx.default_map = {key: value for key, value in config.options.items() if key != "profile"}
        ctx.meta[CONFIG_META] = config
        return super().parse_args(ctx, args)


def _prescan(args: list[str], option: str) -> str | None:
    """The value of ``option`` in raw arguments (``--x V`` or ``--x=V``; the last one wins), None if absent."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == option and index + 1 < len(args):
            found = args[index + 1]
        elif arg.startswith(option + "="):
            found = arg.split("=", 1)[1]
    return found


CONFIG_META = "newsarchive_crawl_config"


@cli.command("crawl", cls=CrawlCommand)
@click.argument("targets", nargs=-1)
@archive_option
@click.option(
    "--config-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Crawl defaults (TOML, [crawl] table) [default: ARCHIVE/{CONFIG_NAME} when it exists].",
)
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Site profile (TOML) to crawl with."
)
@click.option(
    "--site",
    type=click.Choice(sorted(bundled_profiles())),
    help="Bundled site profile to crawl with (the same as giving its name as a TARGET).",
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
@click.option(
    "--max-articles", type=click.IntRange(min=1), help="Archive at most this many new articles (or new versions)."
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    show_default=str(defaults.CONCURRENT_REQUESTS_PER_DOMAIN),
    help="Requests in flight per host.",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    show_default=str(defaults.DOWNLOAD_DELAY),
    help="Seconds between requests to a host (AutoThrottle may raise it).",
)
@click.option("--user-agent", show_default=defaults.USER_AGENT, help="User-Agent header to send.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    show_default=str(defaults.DOWNLOAD_TIMEOUT),
    help="Seconds to wait for a response.",
)
@click.option(
    "--max-size",
    type=click.FloatRange(min=0.001),
    show_default=str(defaults.DOWNLOAD_MAXSIZE // (1024 * 1024)),
    help="Largest response body kept, in MB, decompressed size included.",
)
@click.option(
    "--contact",
    envvar="NEWSARCHIVE_CONTACT",
    help="URL or e-mail where site owners can reach you, added to the User-Agent (or set NEWSARCHIVE_CONTACT).",
)
@click.option(
    "--no-extract",
    is_flag=True,
    help="Archive only (WARCs and CDXJ, links followed); run `newsarchive reindex` to extract the articles.",
)
@click.option(
    "--operator",
    envvar="NEWSARCHIVE_OPERATOR",
    help="Who runs the crawl, recorded in each WARC's warcinfo (or set NEWSARCHIVE_OPERATOR).",
)
@click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt.")
@click.option(
    "--requisites/--no-requisites",
    default=True,
    help="Archive the stylesheets, images, fonts and icons of article and home pages  [default: on].",
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
    config_file: Path | None,
    site: str | None,
    **options,
) -> None:
    """Crawl TARGETS (site profile names or start URLs) into the archive: WARCs plus the article index.

    Incremental: articles already archived are not fetched again (unless --refresh); feeds, sitemaps and
    listing pages are re-fetched, conditionally where the server allows.
    """
    if site:
        targets = (site, *targets)
    config = click.get_current_context().meta[CONFIG_META]
    bundled = bundled_profiles()
    if config.profile and options.get("config") is None and not any(target in bundled for target in targets):
        # The archive's config names the profile (a bundled name, or a profile file) unless the command does.
        if config.profile in bundled:
            targets = (config.profile, *targets)
        else:
            options["config"] = Path(config.profile)
    # Scrapy loads only when a crawl runs: `--help` and the reading commands start without it.
    from newsarchive.spiders.crawl import SHORT_LOG_FORMAT, crawl

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
