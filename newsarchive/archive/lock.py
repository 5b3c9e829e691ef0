"""One crawl per archive: an OS-level lock on ``<archive>/crawl.lock``.

``fcntl.flock`` is released by the kernel when its holder dies, however it dies (SIGKILL, OOM killer,
reboot), so there is no stale lock to guess about. The holder writes its pid and start time into the file
after locking, only so that a refused crawl can say who holds the archive; the lock itself is the flock.
Readers (export, show, list, stats) never take it.

Distributed crawls (``crawl --redis``) share the archive among the workers of one job: :class:`JobLock` holds
the same file with a *shared* flock, so a plain crawl (exclusive) is refused while a job runs and the reverse.
Joining is serialised by an exclusive flock on ``crawl.lock.join``: a worker that gets the exclusive lock on
``crawl.lock`` holds the archive alone, so it starts a new job (repairs, seeds Redis, writes the job's id into
the lock file) before it downgrades to shared; a worker that gets only the shared lock joins the job the lock
file names, and the caller refuses it (exit 75) when Redis does not run that job (another Redis, other targets).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from newsarchive.archive.layout import JOIN_LOCK_NAME, LOCK_NAME
from newsarchive.errors import ArchiveLockedError, access_error


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
        _write_holder(fd, {"pid": os.getpid(), "started": datetime.now(UTC).isoformat(timespec="seconds")})
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


class JobLock:
    """A distributed worker's hold on an archive: shared among the workers of one job (see the module docstring).

    After :meth:`acquire`, :attr:`first` says whether this worker holds the archive alone and must start the
    job (then :meth:`started` records it and lets the others in); otherwise :attr:`holder` is what the job's
    first worker recorded (``{"job": id, "redis": url, "started": ...}``) and :meth:`joined` lets the next in.
    """

    def __init__(self, archive_dir: str | os.PathLike[str]) -> None:
        self.archive_dir = Path(archive_dir)
        self.first = False
        self.holder: dict[str, str] = {}
        self._fd: int | None = None
        self._join_fd: int | None = None

    def acquire(self) -> JobLock:
        """Wait for the join lock, then take the archive alone (:attr:`first`) or shared with a running job;
        :class:`ArchiveLockedError` when a plain crawl holds it."""
        self._join_fd = os.open(self.archive_dir / JOIN_LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(self._join_fd, fcntl.LOCK_EX)  # held for moments: while one worker starts or joins the job
        fd = os.open(self.archive_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.first = True
            except BlockingIOError:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise ArchiveLockedError(
                        f"archive {self.archive_dir} is locked by {_read_holder(fd)}; wait for that crawl to "
                        "finish or use another --archive"
                    ) from None
                self.holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except BaseException:
            os.close(fd)
            self._release_join()
            raise
        self._fd = fd
        return self

    def started(self, job: str, redis: str) -> None:
        """The first worker started ``job``: record it, share the archive, let the next worker in."""
        assert self._fd is not None and self.first
        self.holder = {"job": job, "redis": redis, "pid": str(os.getpid()),
                       "started": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        _write_holder(self._fd, self.holder)
        try:
            # Not atomic (the kernel drops the exclusive lock first): a plain crawl may slip in between.
            fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveLockedError(
                f"archive {self.archive_dir} was taken by {_read_holder(self._fd)} while this job started"
            ) from None
        self._release_join()

    def joined(self) -> None:
        """This worker joined the running job: let the next worker in."""
        self._release_join()

    def release(self) -> None:
        """Release both locks."""
        self._release_join()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _release_join(self) -> None:
        if self._join_fd is not None:
            os.close(self._join_fd)
            self._join_fd = None

    def __enter__(self) -> JobLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _write_holder(fd: int, holder: dict[str, object]) -> None:
    line = (json.dumps(holder) + "\n").encode()
    os.pwrite(fd, line, 0)
    os.ftruncate(fd, len(line))


def lock_holder(archive_dir: str | os.PathLike[str]) -> str | None:
    """Who holds the archive's lock right now (``pid N since T``), or None when no crawl runs."""
    path = Path(archive_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        # Exclusive: the workers of a distributed job hold the lock shared.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
            if "job" in info:  # a distributed job: its workers come and go, its first one may be gone
                return f"distributed crawl job {info['job']} ({info['redis']}) since {info['started']}"
            pid = int(info["pid"])
            os.kill(pid, 0)
            return f"pid {pid} since {info['started']}"
        except (ValueError, KeyError, TypeError, ProcessLookupError):
            if time.monotonic() >= deadline:
                return "another crawl (its pid is not readable)"
            time.sleep(0.02)
        except PermissionError:  # alive, but another user's process
            return f"pid {pid} since {info['started']}"
