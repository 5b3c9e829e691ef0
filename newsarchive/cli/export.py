"""``newsarchive export``, ``list`` and ``stats``: read the archive's articles."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import click

from newsarchive.archive.dataset import EXPORT_FORMATS, FIELDS, parse_fields
from newsarchive.archive.reader import Archive
from newsarchive.cli import archive_option, cli
from newsarchive.errors import ConfigError
from newsarchive.words import plural


def _day(ctx: click.Context, param: click.Parameter, value: datetime | None) -> date | None:
    return value.date() if value else None


def article_filters(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filters ``export`` and ``list`` share (the keyword arguments of ``Archive.articles``)."""
    options = [
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), callback=_day,
                     help="Only articles published on or after this date (YYYY-MM-DD)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), callback=_day,
                     help="Only articles published on or before this date (YYYY-MM-DD)."),
        click.option("--site", help="Only articles of this host (any case)."),
        click.option("--lang", help="Only articles in this language (ISO 639-1, any case)."),
        click.option("--all-versions", is_flag=True, help="Every version, not only the latest per URL."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


@cli.command("export")
@archive_option
@click.option(
    "--format",
    "format_",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="JSON lines, CSV (lists as JSON arrays), or Parquet (typed columns; needs pyarrow: newsarchive[parquet]).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    default="-",
    show_default=True,
    help="File to write; '-' is stdout (not for parquet).",
)
@click.option(
    "--fields", help=f"Only these columns, in this order, e.g. url,title,published (of: {', '.join(FIELDS)})."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@article_filters
def export_command(archive_path: Path, format_: str, output: str, fields: str | None, quiet: bool, **filters) -> None:
    """Stream the archive's articles as JSONL, CSV or Parquet; a progress bar on a terminal when writing a file."""
    archive = Archive(archive_path)
    columns = parse_fields(fields)  # a bad --fields fails before the output file is created
    if format_ == "parquet" and output == "-":
        raise ConfigError("parquet is a binary file format: give --output FILE.parquet")
    show_progress = output != "-" and sys.stderr.isatty() and not quiet
    with contextlib.ExitStack() as stack:
        on_row = None
        if show_progress:
            total = sum(1 for _ in archive.articles(**filters))
            bar = stack.enter_context(click.progressbar(length=total, label="Exporting", file=sys.stderr))
            on_row = partial(bar.update, 1)
        if format_ == "parquet":
            target = output
        elif format_ == "jsonl":  # bytes: rows are encoded to UTF-8 once, a range at a time
            target = stack.enter_context(click.open_file(output, "wb"))
        else:
            target = stack.enter_context(click.open_file(output, "w", "utf-8"))
        count = archive.export(target, format=format_, fields=columns, on_row=on_row, **filters)
    if output != "-" and not quiet:
        click.echo(f"Exported {plural(count, 'article')} to {output}", err=True)


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
