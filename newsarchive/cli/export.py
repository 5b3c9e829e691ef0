"""``newsarchive export``."""

from __future__ import annotations

from pathlib import Path

import click

from newsarchive.archive.reader import EXPORT_FORMATS, Archive
from newsarchive.cli import archive_option, cli


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
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published on or before this date (YYYY-MM-DD).")
@click.option("--site", help="Only articles of this host.")
@click.option("--lang", help="Only articles in this language (ISO 639-1).")
@click.option("--all-versions", is_flag=True, help="Every version, not only the latest per URL.")
def export_command(archive_path: Path, format_: str, output, **filters) -> None:
    """Stream the archive's articles as JSONL or CSV."""
    Archive(archive_path).export(output, format=format_, **filters)
