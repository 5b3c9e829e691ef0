"""``newsarchive demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsarchive.archive.layout import WARC_DIR, WARC_SUFFIX
from newsarchive.cli import cli
from newsarchive.cli.crawl import report
from newsarchive.demo.run import DEMO_ARCHIVE, demo


@cli.command("demo")
@click.option(
    "--archive",
    "archive_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEMO_ARCHIVE,
    show_default=True,
    help="Where to write the demo archive.",
)
def demo_command(archive_path: Path) -> None:
    """Serve a bundled Report.az-style site on 127.0.0.1 and crawl it (no network needed)."""
    summary = demo(archive_path, progress=sys.stderr.isatty())
    report(summary, quiet=False)
    click.echo(
        "\nNext, try:\n"
        f"  newsarchive export --archive {archive_path} --format jsonl | head -n 2\n"
        f"  newsarchive export --archive {archive_path} --format csv --lang ru -o articles.csv\n"
        f"  warcio index {archive_path}/{WARC_DIR}/*{WARC_SUFFIX}\n",
        err=True,
    )
    raise SystemExit(summary.exit_code)
