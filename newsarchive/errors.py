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


class ArchiveAccessError(ConfigError):
    """The archive directory cannot be created or written before any work starts (permissions, a file in the
    way); nothing was touched."""


def access_error(path: object, error: OSError, what: str = "write to") -> ArchiveAccessError:
    """The one-line error for an archive path the OS refused, saying what to do."""
    reason = error.strerror or type(error).__name__
    target = error.filename or path
    if isinstance(error, NotADirectoryError | FileExistsError):
        hint = "a file is in the way of the archive directory; use another --archive"
    else:
        hint = "fix its permissions or use another --archive"
    return ArchiveAccessError(f"cannot {what} {target}: {reason}; {hint}")


class ArchiveLockedError(NewsArchiveError):
    """Another crawl holds the archive's lock; nothing was touched."""

    exit_code = 75


class ArchiveWriteError(NewsArchiveError):
    """The archive could not be written (disk full, permissions); records written before stay intact."""

    exit_code = 1


class MissingExtraError(ConfigError):
    """A command needs an optional dependency that is not installed; the message names the pip command."""
