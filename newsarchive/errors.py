"""Errors a user can cause, each carrying the exit code the CLI returns for it (see the contract)."""

from __future__ import annotations


class NewsArchiveError(Exception):
    """Base class: a one-sentence message saying what is wrong and what to do."""

    exit_code = 1


class ConfigError(NewsArchiveError):
    """Bad usage or configuration: a bad URL, a missing archive, an unknown option value."""

    exit_code = 2


class ArchiveNotFoundError(ConfigError):
    """The archive directory does not exist or holds no archive."""


class ArchiveLockedError(NewsArchiveError):
    """Another crawl holds the archive's lock; nothing was touched."""

    exit_code = 75


class ArchiveWriteError(NewsArchiveError):
    """The archive could not be written (disk full, permissions); records written before stay intact."""

    exit_code = 1


class MissingExtraError(ConfigError):
    """A command needs an optional dependency that is not installed; the message names the pip command."""
