"""``newsarchive show``, ``reindex`` and ``verify``: read the archive back, rebuild its indexes, check it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsarchive.archive.facts import ArticleRule
from newsarchive.archive.lock import lock_holder
from newsarchive.archive.reader import Archive
from newsarchive.cli import archive_option, cli
from newsarchive.errors import ConfigError
from newsarchive.profiles import bundled_profiles, load_profile
from newsarchive.words import plural


@cli.command("show")
@click.argument("url")
@archive_option
@click.option("--html", "part", flag_value="html", default=True, help="The body, content-coding undone (the default).")
@click.option("--headers", "part", flag_value="headers", help="The HTTP status line and headers as archived.")
@click.option("--text", "part", flag_value="text", help="The article text extracted from the body.")
@click.option("--at", "timestamp", help="The capture nearest this UTC time (YYYYmmddHHMMSS, any prefix).")
def show_command(url: str, archive_path: Path, part: str, timestamp: str | None) -> None:
    """Print an archived capture of URL (the latest, or the one nearest --at)."""
    if timestamp is not None and not (timestamp.isdigit() and 1 <= len(timestamp) <= 14):
        raise click.BadParameter("use digits YYYYmmddHHMMSS or a prefix of them", param_hint="--at")
    capture = Archive(archive_path).capture(url, at=timestamp)
    if part == "headers":
        sys.stdout.buffer.write(capture.http_head)
    elif part == "text":
        from newsarchive.extract import extract_article  # the extraction stack, for this option only

        article = extract_article(capture.body, capture.url)
        click.echo(article.text if article and article.text else "")
    else:
        sys.stdout.buffer.write(capture.body)


@cli.command("reindex")
@archive_option
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Site profile the crawl used."
)
@click.option("--site", type=click.Choice(sorted(bundled_profiles())), help="Bundled site profile the crawl used.")
def reindex_command(archive_path: Path, config: Path | None, site: str | None) -> None:
    """Rebuild every index (CDXJ, capture digests, article index) from the WARC files alone, with the profile
    the archive remembers its last crawl by unless --config or --site names another."""
    summary = Archive(archive_path).reindex(chosen_rule(config, site))
    click.echo(
        f"Reindexed {plural(summary.warc_files, 'WARC file')}: {plural(summary.captures, 'original capture')}, "
        f"{plural(summary.articles, 'article')}"
        + (
            f"; {plural(summary.not_articles, 'page')} looked like articles but gave none"
            if summary.not_articles
            else ""
        ),
        err=True,
    )


def chosen_rule(config: Path | None, site: str | None) -> ArticleRule | None:
    """The article rule of ``--config`` or ``--site``; None (the archive's remembered rule) for neither."""
    if config and site:
        raise ConfigError("give either --config or --site, not both")
    profile = load_profile(config) if config else bundled_profiles()[site] if site else None
    return profile.article_rule() if profile else None


@cli.command("verify")
@archive_option
@click.option(
    "--repair",
    "repair_damage",
    is_flag=True,
    help="First repair crash damage: cut torn tails, finish orphaned .open WARCs, rebuild missing index lines "
    "(never deletes a complete record; waits for no crawl: exits 75 while one runs).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site profile the crawl used (default: the one the archive remembers).",
)
@click.option("--site", type=click.Choice(sorted(bundled_profiles())), help="Bundled site profile the crawl used.")
def verify_command(archive_path: Path, repair_damage: bool, config: Path | None, site: str | None) -> None:
    """Check digests, HTTP consistency, gzip members, indexes and crash damage; exit 1 when anything is wrong."""
    archive = Archive(archive_path)
    if repair_damage:
        report = archive.repair(chosen_rule(config, site))
        for path, cut in report.truncated:
            click.echo(f"Repaired {path}: cut a torn tail of {cut} bytes", err=True)
        for path in report.finalised:
            click.echo(f"Repaired {path}: finished a WARC left .open", err=True)
        if report.rebuilt_index_lines:
            click.echo(f"Repaired: rebuilt {report.rebuilt_index_lines} missing article index lines", err=True)
    problems = archive.verify()
    for problem in problems:
        click.echo(str(problem))
    if running := lock_holder(archive.path):
        click.echo(f"A crawl is running ({running}): its open files are not checked", err=True)
    hint = "; `newsarchive verify --repair` fixes crash damage" if problems and not repair_damage else ""
    click.echo(f"{len(problems)} problems found{hint}" if problems else "No problems found", err=True)
    raise SystemExit(1 if problems else 0)
