"""``newsarchive export``, ``list`` and ``stats``: read the archive's articles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from newsarchive.archive.reader import EXPORT_FORMATS, Archive
from newsarchive.cli import archive_option, cli


def _iso_date(ctx: click.Context, param: click.Parameter, value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def article_filters(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filters ``export`` and ``list`` share (the keyword arguments of ``Archive.articles``)."""
    options = [
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), callback=_iso_date,
                     help="Only articles published on or after this date (YYYY-MM-DD)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), callback=_iso_date,
                     help="Only articles published on or before this date (YYYY-MM-DD)."),
        click.option("--site", help="Only articles of this host."),
        click.option("--lang", help="Only articles in this language (ISO 639-1)."),
        click.option("--all-versions", is_flag=True, help="Every version, not only the latest per URL."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


@cli.command("export")
@archive_option
@click.option("--format", "format_", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="File to write (default: stdout, also '-').",
)
@article_filters
def export_command(archive_path: Path, format_: str, output, **filters) -> None:
    """Stream the archive's articles as JSONL or CSV."""
    Archive(archive_path).export(output, format=format_, **filters)


@cli.command("list")
@archive_option
@article_filters
def list_command(archive_path: Path, **filters) -> None:
    """One line per article: published, language, URL and title, tab-separated."""
    for article in Archive(archive_path).articles(**filters):
        fields = (article.get("published"), article.get("language"), article["url"], article.get("title"))
        click.echo("\t".join(str(field or "") for field in fields))


@cli.command("stats")
@archive_option
def stats_command(archive_path: Path) -> None:
    """How many WARC files, bytes, articles and page requisites the archive holds."""
    stats = Archive(archive_path).stats()
    click.echo(
        f"WARC files: {stats.warc_files} ({stats.open_warc_files} open), {stats.warc_bytes:,} bytes\n"
        f"Articles: {stats.articles} ({stats.article_versions} versions)\n"
        f"Page requisites: {stats.requisites} (stylesheets, images, fonts)"
    )
    if stats.not_articles:
        click.echo(f"Pages that looked like articles but gave none: {len(stats.not_articles)}")
        for url, reason in stats.not_articles.items():
            click.echo(f"  {url}: {reason}")
