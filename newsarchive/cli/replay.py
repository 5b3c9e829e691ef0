"""``newsarchive wacz`` and ``newsarchive replay``: the archive as one WACZ file, or replayed by pywb."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from newsarchive.archive.reader import Archive
from newsarchive.archive.replay import DEFAULT_PORT, find_wayback, replay_url, serve
from newsarchive.archive.wacz import write_wacz
from newsarchive.cli import archive_option, cli

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@cli.command("wacz")
@archive_option
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="WACZ file to write [default: DIR.wacz]."
)
@click.option("--since", type=_DATE, help="Only articles published on or after this day as pages (YYYY-MM-DD).")
@click.option("--until", type=_DATE, help="Only articles published on or before this day as pages (YYYY-MM-DD).")
@click.option("--lang", help="Only articles in this language as pages (ISO 639-1 code).")
def wacz_command(
    archive_path: Path, output: Path | None, since: datetime | None, until: datetime | None, lang: str | None
) -> None:
    """Package the archive as a WACZ file (ReplayWeb.page opens it): its WARCs, an index, and one page per article."""
    archive = Archive(archive_path)
    articles = archive.articles(
        since=since.date().isoformat() if since else None, until=until.date().isoformat() if until else None, lang=lang
    )
    summary = write_wacz(archive, articles, output or archive.path.resolve().with_suffix(".wacz"))
    click.echo(f"Wrote {summary.path}: {summary.pages} pages from {summary.warc_files} WARC files", err=True)


@cli.command("replay")
@archive_option
@click.option(
    "--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True, help="Port to serve on."
)
def replay_command(archive_path: Path, port: int) -> None:
    """Replay the archive in a browser with pywb, on 127.0.0.1 (needs the replay extra, or $NEWSARCHIVE_WAYBACK)."""
    archive = Archive(archive_path)
    wayback = find_wayback()  # before the banner: without pywb, only the error line
    click.echo(f"Replaying {archive.path} at {replay_url(port)} with {wayback} (Ctrl-C stops)", err=True)
    raise SystemExit(serve(archive, port, wayback))
