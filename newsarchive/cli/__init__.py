"""The ``newsarchive`` command: a click group; each verb module is a thin wrapper over a library call."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsarchive.errors import NewsArchiveError
from newsarchive.version import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class NewsArchiveGroup(click.Group):
    """Translates library errors, in one place, into a one-line message and the contract's exit code."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a NewsArchiveError becomes ``Error: ...`` on stderr and its exit code."""
        try:
            return super().invoke(ctx)
        except NewsArchiveError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except BrokenPipeError:
            # `newsarchive export | head`: the reader left; end quietly.
            sys.stderr.close()
            ctx.exit(0)


def archive_option(function):  # type: ignore[no-untyped-def]
    """``--archive DIR``, defaulting to ``$NEWSARCHIVE_ARCHIVE`` then ``./newsarchive-data``."""
    return click.option(
        "--archive",
        "archive_path",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="NEWSARCHIVE_ARCHIVE",
        default="newsarchive-data",
        show_default=True,
        help="Archive directory (or set NEWSARCHIVE_ARCHIVE).",
    )(function)


@click.group(cls=NewsArchiveGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="newsarchive")
def cli() -> None:
    """Archive news sites into WARC files and export clean article datasets."""


def main() -> None:
    """Console-script entry point."""
    cli()


from newsarchive.cli import archive, crawl, demo, export, replay, sites  # noqa: E402, F401 - registers the verbs
