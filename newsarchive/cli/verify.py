"""``newsarchive verify [--repair]``: crash damage (torn tails, ``.open`` files, torn index lines).

The fuller check (digests, HTTP consistency, index/WARC agreement) is ``Archive.verify()`` on the
``fidelity`` branch; once merged, ``--repair`` moves onto that command and this module goes.
"""

from __future__ import annotations

from pathlib import Path

import click

from newsarchive.archive.lock import ArchiveLock, lock_holder
from newsarchive.archive.reader import Archive
from newsarchive.archive.repair import find_damage, repair
from newsarchive.cli import archive_option, cli
from newsarchive.spiders.profiles import load_profile


@cli.command("verify")
@archive_option
@click.option(
    "--repair",
    "do_repair",
    is_flag=True,
    help="Cut torn tails, finish orphaned .open WARCs, rebuild missing index lines (never deletes a complete "
    "record; takes the crawl lock).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site profile used to recognise articles when rebuilding index lines.",
)
def verify_command(archive_path: Path, do_repair: bool, config: Path | None) -> None:
    """Check the archive for crash damage; exit 1 when some is found (or left after --repair)."""
    archive = Archive(archive_path)
    if do_repair:
        from newsarchive.spiders.crawl import article_extractor, crawl_settings

        profile = load_profile(config) if config else None
        with ArchiveLock(archive.path):
            report = repair(archive.path, article_from_response=article_extractor(profile, crawl_settings(archive)))
        for path, cut in report.truncated:
            click.echo(f"repaired: {path}: cut a torn tail of {cut} bytes", err=True)
        for path in report.finalised:
            click.echo(f"repaired: {path}: finished an orphaned .open file", err=True)
        if report.rebuilt_index_lines:
            click.echo(f"repaired: rebuilt {report.rebuilt_index_lines} missing article index lines", err=True)
    running = lock_holder(archive.path)
    if running:
        click.echo(f"a crawl is running ({running}): its open files are not checked", err=True)
    problems = find_damage(archive.path, open_files=not running)
    for problem in problems:
        click.echo(f"{problem.kind}: {problem}")
    if problems:
        hint = "" if do_repair else "; run `newsarchive verify --repair` to fix what can be fixed"
        click.echo(f"{len(problems)} problems found{hint}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {archive.path} has no crash damage", err=True)
