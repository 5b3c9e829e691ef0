"""One crawl per archive: an OS-level lock on ``<archive>/crawl.lock``.

``fcntl.flock`` is released by the kernel when its holder dies, however it dies (SIGKILL, OOM killer,
reboot), so there is no stale lock to guess about. The holder writes its pid and start time into the file
after locking, only so that a refused crawl can say who holds the archive; the lock itself is the flock.
Readers (export, show, list, stats) never take it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from newsarchive.errors import ArchiveLockedError, access_error

LOCK_NAME = "crawl.lock"


class ArchiveLock:
    """An exclusive, non-blocking lock on an archive directory, held until :meth:`release` or exit."""

    def __init__(self, archive_dir: str | os.PathLike[str]) -> None:
        self.archive_dir = Path(archive_dir)
        self.path = self.archive_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> ArchiveLock:
        """Take the lock or raise :class:`ArchiveLockedError` at once, naming the holder."""
        # O_CREAT without O_TRUNC: opening must not disturb the holder's pid line before we know we hold it.
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise access_error(self.archive_dir, error, "create the lock file") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ArchiveLockedError(
                f"archive {self.archive_dir} is locked by {holder}; wait for that crawl to finish "
                "or use another --archive"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        holder = json.dumps({"pid": os.getpid(), "started": datetime.now(UTC).isoformat(timespec="seconds")})
        line = (holder + "\n").encode()
        os.pwrite(fd, line, 0)
        os.ftruncate(fd, len(line))
        return self

    def release(self) -> None:
        """Release the lock (closing the descriptor releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_holder(archive_dir: str | os.PathLike[str]) -> str | None:
    """Who holds the archive's lock right now (``pid N since T``), or None when no crawl runs."""
    path = Path(archive_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_holder(fd)
    finally:
        os.close(fd)
    return None


def _read_holder(fd: int, patience: float = 1.0) -> str:
    """``pid 4242 since 2026-01-01T10:02:00+00:00``.

    The holder writes this line just after locking, so a contender may look in between (or see the line
    of a dead earlier holder): it waits up to ``patience`` seconds for the line of a live process.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            pid = int(info["pid"])
            os.kill(pid, 0)
            return f"pid {pid} since {info['started']}"
        except (ValueError, KeyError, TypeError, ProcessLookupError):
            if time.monotonic() >= deadline:
                return "another crawl (its pid is not readable)"
            time.sleep(0.02)
        except PermissionError:  # alive, but another user's process
            return f"pid {pid} since {info['started']}"
