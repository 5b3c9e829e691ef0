"""A distributed crawl job in Redis: one request queue, one seen-set and shared politeness for N workers.

Plain redis-py, no Scrapy (the Scrapy components in :mod:`newsarchive.spiders.distributed` call this).
Every key of an archive's job lives under ``newsarchive:<archive id>:`` (the id is kept in
``<archive>/archive-id``, so workers on several machines that mount one archive agree on it):

- ``job``: hash with the job's ``id``, ``targets``, ``started`` and ``state`` (``running``, ``done``);
- ``queue``: sorted set of serialised requests, score ``-priority`` (scrapy-redis's priority queue layout);
- ``seen``: set of URL keys (:func:`newsarchive.archive.urls.url_hash`): the job's duplicate filter, seeded once
  per job with the archive's seen-set;
- ``inflight:<worker>``: hash of the requests a worker popped and has not finished, ``token -> score\\ndata``. A
  pop moves a request from ``queue`` into it atomically; finishing deletes it. When a worker's heartbeat key
  ``worker:<worker>`` expires (SIGKILL, a lost machine), the next idle worker moves its hash back into ``queue``:
  a killed worker loses only its in-flight requests, and the others fetch them;
- ``workers`` and ``idle``: the registered workers, and those that found nothing to do. The job is done when the
  queue is empty and every registered worker is idle with nothing in flight (checked atomically);
- ``host:<host>:slots`` / ``host:<host>:next``: per-host politeness. A request may start when fewer than
  ``concurrency`` leases are held for its host (a lease expires after the download timeout, so a killed worker's
  slots come back) and the host's delay has passed since the last start, measured by the Redis server's clock.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsarchive.archive.layout import ARCHIVE_ID_NAME
from newsarchive.errors import ConfigError

REDIS_ENV = "NEWSARCHIVE_REDIS"
SEED_CHUNK = 10_000

# Pop the best request (lowest score) into the worker's in-flight hash; the worker is no longer idle.
_POP = """
local item = redis.call('ZPOPMIN', KEYS[1])
if #item == 0 then return false end
redis.call('HSET', KEYS[2], ARGV[2], item[2] .. '\\n' .. item[1])
redis.call('SREM', KEYS[3], ARGV[1])
return item[1]
"""

# Move a worker's in-flight requests back into the queue and forget the worker.
_REQUEUE = """
local entries = redis.call('HVALS', KEYS[2])
for _, entry in ipairs(entries) do
  local cut = string.find(entry, '\\n', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(entry, 1, cut - 1)), string.sub(entry, cut + 1))
end
redis.call('DEL', KEYS[2])
if ARGV[2] == '1' then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
end
return #entries
"""

# Done when nothing is queued and every registered worker is idle with nothing in flight.
_FINISHED = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('SISMEMBER', KEYS[3], worker) == 0 then return 0 end
  if redis.call('HLEN', ARGV[1] .. worker) > 0 then return 0 end
end
redis.call('HSET', KEYS[4], 'state', 'done')
return 1
"""

# Take a slot of a host: 0 when taken, else how many milliseconds to wait before trying again.
_ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 20 end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < next_start then return next_start - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('SET', KEYS[2], now + tonumber(ARGV[3]), 'PX', tonumber(ARGV[3]) + 1000)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + 1000)
return 0
"""


def redact(url: str) -> str:
    """A Redis URL without its password, for messages and the lock file."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def archive_id(archive_dir: str | os.PathLike[str]) -> str:
    """The archive's id (created once, atomically), naming its keys in Redis."""
    path = Path(archive_dir) / ARCHIVE_ID_NAME
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    candidate = uuid.uuid4().hex
    # Written in full under a name of its own, then linked into place: a worker starting at the same moment
    # sees no file or the whole id, never an empty file (which would put it in another job's keys).
    draft = path.with_name(f"{path.name}.{candidate}")
    draft.write_text(candidate + "\n", encoding="ascii")
    try:
        os.link(draft, path)
        return candidate
    except FileExistsError:  # another worker made it first
        return path.read_text(encoding="ascii").strip()
    except OSError:  # a file system without hard links (some network mounts): made in place, as exclusively
        return _create_in_place(path, candidate)
    finally:
        draft.unlink()


def _create_in_place(path: Path, candidate: str) -> str:
    try:
        with open(path, "x", encoding="ascii") as stream:
            stream.write(candidate + "\n")
        return candidate
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()


def connect(url: str) -> Any:
    """A client for ``url`` whose server answered a PING, or :class:`ConfigError` (exit 2) saying why not."""
    try:
        import redis
    except ImportError:
        raise ConfigError("--redis needs scrapy-redis: pip install 'newsarchive[distributed]'") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
        client.ping()
    except (ValueError, redis.RedisError) as error:
        raise ConfigError(
            f"cannot reach Redis at {redact(url)}: {error}; start it or fix --redis / ${REDIS_ENV}"
        ) from None
    return client


@dataclass(frozen=True)
class JobInfo:
    """What a job's first worker recorded about it."""

    id: str
    targets: list[str]
    started: str
    state: str


class RedisJob:
    """One archive's crawl job in Redis (see the module docstring for the keys)."""

    def __init__(self, client: Any, archive_key: str) -> None:
        self.client = client
        self.prefix = f"newsarchive:{archive_key}:"
        self._pop = client.register_script(_POP)
        self._requeue = client.register_script(_REQUEUE)
        self._finished = client.register_script(_FINISHED)
        self._acquire = client.register_script(_ACQUIRE)

    @classmethod
    def open(cls, url: str, archive_dir: str | os.PathLike[str]) -> RedisJob:
        """The job of ``archive_dir`` on the Redis server at ``url``."""
        return cls(connect(url), archive_id(archive_dir))

    def key(self, name: str) -> str:
        """The full Redis key of ``name``."""
        return self.prefix + name

    # ---------------------------------------------------------------- the job itself

    def info(self) -> JobInfo | None:
        """The job recorded in Redis, or None."""
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(self.key("job")).items()}
        if not raw:
            return None
        return JobInfo(raw["id"], json.loads(raw.get("targets", "[]")), raw.get("started", ""), raw.get("state", ""))

    def start(self, targets: Sequence[str], seen_keys: Iterable[int]) -> str:
        """Start a new job (its first worker calls this, holding the archive alone): forget the last job's
        state, seed the seen-set, record the job. Returns the job id."""
        stale = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        for start in range(0, len(stale), 1000):
            self.client.delete(*stale[start : start + 1000])
        batch: list[int] = []
        for key in seen_keys:
            batch.append(key)
            if len(batch) >= SEED_CHUNK:
                self.client.sadd(self.key("seen"), *batch)
                batch.clear()
        if batch:
            self.client.sadd(self.key("seen"), *batch)
        job_id = uuid.uuid4().hex[:12]
        self.client.hset(
            self.key("job"),
            mapping={
                "id": job_id,
                "targets": json.dumps(list(targets)),
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "state": "running",
            },
        )
        return job_id

    def finished(self) -> bool:
        """Whether the job is done: nothing queued, every worker idle with nothing in flight (atomic)."""
        keys = [self.key("queue"), self.key("workers"), self.key("idle"), self.key("job")]
        return bool(self._finished(keys=keys, args=[self.key("inflight:")]))

    def seen_count(self) -> int:
        """How many URL keys the job's seen-set holds."""
        return int(self.client.scard(self.key("seen")))

    # ---------------------------------------------------------------- workers

    def register(self, worker: str, ttl: float) -> None:
        """Add a worker to the job (not idle), with a heartbeat that lapses after ``ttl`` seconds."""
        self.client.set(self.key(f"worker:{worker}"), "1", px=int(ttl * 1000))
        self.client.sadd(self.key("workers"), worker)
        self.client.srem(self.key("idle"), worker)

    def heartbeat(self, worker: str, ttl: float) -> None:
        """Keep a worker's heartbeat alive for another ``ttl`` seconds."""
        self.client.set(self.key(f"worker:{worker}"), "1", px=int(ttl * 1000))

    def unregister(self, worker: str) -> int:
        """Remove a worker, putting back what it still had in flight; returns how many requests."""
        self.client.delete(self.key(f"worker:{worker}"))
        return self.requeue(worker, forget=True)

    def requeue(self, worker: str, forget: bool = False) -> int:
        """Move a worker's in-flight requests back into the queue (and forget the worker when ``forget``)."""
        keys = [self.key("queue"), self.key(f"inflight:{worker}"), self.key("workers"), self.key("idle")]
        return int(self._requeue(keys=keys, args=[worker, "1" if forget else "0"]))

    def recover_dead_workers(self) -> dict[str, int]:
        """Requeue the in-flight requests of every worker whose heartbeat lapsed; ``{worker: requests}``."""
        recovered: dict[str, int] = {}
        for raw in self.client.smembers(self.key("workers")):
            worker = raw.decode()
            if not self.client.exists(self.key(f"worker:{worker}")):
                recovered[worker] = self.requeue(worker, forget=True)
        return recovered

    def mark_idle(self, worker: str) -> None:
        """A worker found nothing to do; what it popped is finished (its engine is idle)."""
        self.client.delete(self.key(f"inflight:{worker}"))
        self.client.sadd(self.key("idle"), worker)

    # ---------------------------------------------------------------- queue and seen-set

    def push(self, data: bytes, priority: int) -> None:
        """Queue a serialised request."""
        self.client.zadd(self.key("queue"), {data: -priority})

    def pop(self, worker: str, token: str) -> bytes | None:
        """The best queued request, moved into ``worker``'s in-flight hash under ``token``; None when empty."""
        keys = [self.key("queue"), self.key(f"inflight:{worker}"), self.key("idle")]
        return self._pop(keys=keys, args=[worker, token]) or None

    def finish(self, worker: str, token: str) -> None:
        """A popped request is fully processed (its links queued, its article indexed)."""
        self.client.hdel(self.key(f"inflight:{worker}"), token)

    def queued(self) -> int:
        """How many requests wait in the queue."""
        return int(self.client.zcard(self.key("queue")))

    def in_flight(self, worker: str) -> int:
        """How many requests ``worker`` has in flight."""
        return int(self.client.hlen(self.key(f"inflight:{worker}")))

    def add_seen(self, key: int) -> bool:
        """Add a URL key to the seen-set: True when it was new."""
        return bool(self.client.sadd(self.key("seen"), key))

    # ---------------------------------------------------------------- politeness

    def acquire_slot(self, host: str, token: str, concurrency: int, delay: float, lease: float) -> float:
        """Take one of ``host``'s ``concurrency`` slots for ``lease`` seconds, ``delay`` after the host's last
        start: 0.0 when taken, else the seconds to wait before trying again."""
        keys = [self.key(f"host:{host}:slots"), self.key(f"host:{host}:next")]
        args = [token, concurrency, max(0, int(delay * 1000)), int(lease * 1000)]
        return int(self._acquire(keys=keys, args=args)) / 1000

    def release_slot(self, host: str, token: str) -> None:
        """Give a host's slot back."""
        self.client.zrem(self.key(f"host:{host}:slots"), token)


class Heartbeat:
    """Refreshes a worker's heartbeat from a daemon thread, so a busy or blocked reactor never lets it lapse.

    The process dying (SIGKILL included) stops the thread, and the key expires ``ttl`` seconds later.
    """

    def __init__(self, job: RedisJob, worker: str, ttl: float) -> None:
        self.job = job
        self.worker = worker
        self.ttl = ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsarchive-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        """Register the worker and start beating."""
        self.job.register(self.worker, self.ttl)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating (the caller unregisters the worker)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.job.heartbeat(self.worker, self.ttl)
            except Exception:  # a Redis hiccup: the next beat tries again
                continue


def worker_name() -> str:
    """This process's worker name: host, pid and a random suffix (a pid can come back on a reboot)."""
    return f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
