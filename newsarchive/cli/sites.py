"""``newsarchive sites``."""

from __future__ import annotations

import click

from newsarchive.cli import cli
from newsarchive.profiles import bundled_profiles


@cli.command("sites")
def sites_command() -> None:
    """List the bundled site profiles (crawl one with `newsarchive crawl NAME`)."""
    for name, profile in bundled_profiles().items():
        languages = ",".join(edition.language for edition in profile.editions) or "-"
        click.echo(f"{name}\t{languages}\t{profile.base_url or ''}\t{profile.description}")
