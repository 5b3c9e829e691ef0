"""``crawl()``: the library entry point behind ``newsarchive crawl``; runs Scrapy in-process.

Around the Scrapy run it does what makes a crawl safe to start from cron: it takes the archive's lock
(before anything is written), repairs what a killed crawl left behind, turns SIGINT/SIGTERM into a
graceful stop (a second one stops at once), and appends the run's summary to ``runs.jsonl``.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from newsarchive.archive.facts import remember_rule
from newsarchive.archive.lock import ArchiveLock, JobLock
from newsarchive.archive.reader import Archive
from newsarchive.archive.repair import RepairReport, repair
from newsarchive.archive.runs import append_run
from newsarchive.archive.seen import load_seen
from newsarchive.errors import ArchiveLockedError, ArchiveWriteError, ConfigError, access_error
from newsarchive.extract.dates import is_known_zone
from newsarchive.jobs import RedisJob, archive_id, redact, worker_name
from newsarchive.profiles import SiteProfile, check_start_url, resolve_targets
from newsarchive.spiders.distributed import distributed_settings
from newsarchive.spiders.fatal import FATAL_ERROR_STAT
from newsarchive.spiders.logs import install_download_error_filter
from newsarchive.spiders.news import NOT_ARTICLE_URLS_STAT, REQUISITES_STAT, NewsSpider
from newsarchive.spiders.outcome import errors_by_kind, failures_of, start_problem
from newsarchive.spiders.retry import BackoffRetryMiddleware

logger = logging.getLogger(__name__)

CONTACT_ENV = "NEWSARCHIVE_CONTACT"
SHORT_LOG_FORMAT = "%(levelname)s: %(message)s"


@dataclass(frozen=True)
class CrawlSummary:
    """What one crawl did."""

    pages: int
    articles: int
    failures: int
    warc_files: int
    warc_bytes: int
    seconds: float
    finish_reason: str
    articles_updated: int = 0
    articles_unchanged: int = 0
    requisites: int = 0  # page requisites fetched (stylesheets, images, fonts), among ``pages``
    errors: dict[str, int] = field(default_factory=dict)
    interrupted_by: int | None = None  # the signal that stopped the crawl, if one did
    not_articles: list[str] = field(default_factory=list)  # the first pages that looked like articles, gave none
    archive: Path | None = None
    # Why the crawl could not do what it was asked (a start URL that answered an error): one sentence.
    problem: str | None = None

    @property
    def articles_new(self) -> int:
        """Articles archived for the first time (``articles`` counts new versions too)."""
        return self.articles - self.articles_updated

    @property
    def exit_code(self) -> int:
        """128 + signal when a signal stopped the crawl (as a shell reports it), else 1 when some pages
        failed or a ``problem`` kept the crawl from its work, else 0 (the contract's codes)."""
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by
        return 1 if self.failures or self.problem else 0


def user_agent_with_contact(user_agent: str, contact: str | None) -> str:
    """The User-Agent, naming ``contact`` (a URL or e-mail where the site can reach the operator) if given."""
    if not contact or contact in user_agent:
        return user_agent
    return f"{user_agent[:-1]}; {contact})" if user_agent.endswith(")") else f"{user_agent} (+{contact})"


def crawl_settings(
    archive: Archive,
    *,
    max_pages: int | None = None,
    max_articles: int | None = None,
    concurrency: int | None = None,
    delay: float | None = None,
    user_agent: str | None = None,
    contact: str | None = None,
    operator: str | None = None,
    timeout: float | None = None,
    max_size: float | None = None,
    ignore_robots: bool = False,
    refresh: bool = False,
    requisites: bool = True,
    no_extract: bool = False,
    trailing_slash: str = "keep",
    log_level: str = "WARNING",
    log_file: str | Path | None = None,
    log_format: str | None = SHORT_LOG_FORMAT,
    progress: bool = False,
    extra: dict[str, Any] | None = None,
) -> Settings:
    """The project settings with this crawl's options on top (``cmdline`` priority, as Scrapy's CLI).

    ``contact`` defaults to ``$NEWSARCHIVE_CONTACT``; ``max_pages`` bounds the requests that reach the
    network (robots.txt and page requisites included), ``max_articles`` the new articles archived;
    ``requisites=False`` fetches no page requisites. Log lines on stderr read ``LEVEL: message``
    (``log_format``; None keeps Scrapy's, with time and logger); a log file keeps Scrapy's.
    ``progress`` shows the live status line on stderr (:mod:`newsarchive.spiders.progress`).
    ``concurrency`` is what is in flight per host when the server keeps up (AutoThrottle's target follows it);
    ``no_extract`` archives only (WARCs and CDXJ; ``reindex`` extracts).
    """
    settings = Settings()
    settings.setmodule("newsarchive.spiders.settings", priority="project")
    options: dict[str, Any] = {
        "NEWSARCHIVE_ARCHIVE": str(archive.path),
        "LOG_LEVEL": log_level,
        "NEWSARCHIVE_REFRESH": refresh,
        "NEWSARCHIVE_REQUISITES": requisites,
        "NEWSARCHIVE_TRAILING_SLASH": trailing_slash,
        "USER_AGENT": user_agent_with_contact(
            user_agent or settings.get("USER_AGENT"), contact or os.environ.get(CONTACT_ENV)
        ),
    }
    if operator:
        options["NEWSARCHIVE_OPERATOR"] = operator
    if log_file:
        options["LOG_FILE"] = str(log_file)
    elif log_format:
        options["LOG_FORMAT"] = log_format
    if progress:
        options["NEWSARCHIVE_PROGRESS"] = True
    if max_pages:
        options["NEWSARCHIVE_MAX_PAGES"] = max_pages
    if max_articles:
        options["NEWSARCHIVE_MAX_ARTICLES"] = max_articles
    if concurrency:
        options["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
        options["CONCURRENT_REQUESTS"] = max(concurrency, settings.getint("CONCURRENT_REQUESTS"))
        # AutoThrottle aims at this many requests in flight: without it its default target (2) would win.
        options["AUTOTHROTTLE_TARGET_CONCURRENCY"] = float(concurrency)
    if no_extract:
        options["NEWSARCHIVE_EXTRACT"] = False
    if delay is not None:
        options["DOWNLOAD_DELAY"] = delay
        options["AUTOTHROTTLE_START_DELAY"] = max(delay, 0.01)
    if ignore_robots:
        options["ROBOTSTXT_OBEY"] = False
    if timeout:
        options["DOWNLOAD_TIMEOUT"] = timeout
    if max_size:
        options["DOWNLOAD_MAXSIZE"] = int(max_size * 1024 * 1024)
        options["DOWNLOAD_WARNSIZE"] = min(settings.getint("DOWNLOAD_WARNSIZE"), options["DOWNLOAD_MAXSIZE"])
    options.update(extra or {})
    settings.setdict(options, priority="cmdline")
    return settings


def crawl(
    targets: Sequence[str],
    archive: str | Path | Archive | None = None,
    *,
    config: str | Path | None = None,
    profile: SiteProfile | None = None,
    since: date | None = None,
    lang: Sequence[str] = (),
    refresh: bool = False,
    timezone: str | None = None,
    redis: str | None = None,
    **options: Any,
) -> CrawlSummary:
    """Crawl ``targets`` (site profile names or start URLs) into ``archive`` and return a summary.

    ``config`` is a site profile file, ``profile`` a profile object (it wins). Incremental: articles in
    the archive are not fetched again unless ``refresh``. ``since`` skips articles dated before it,
    ``lang`` keeps to those language editions. ``timezone`` (an IANA name or ``+04:00``) places the times
    pages show without an offset, over the profile's zone and the offset learned from the site's own
    timestamps. ``redis`` (a ``redis://`` URL) makes this process one worker of the archive's distributed job
    (:mod:`newsarchive.jobs`): the first worker starts the job, the others join it; every worker crawls until
    the whole job is done. Other options are those of :func:`crawl_settings`.
    Raises :class:`~newsarchive.errors.ArchiveLockedError` at once, touching nothing, when another crawl
    (or another distributed job) holds the archive, :class:`~newsarchive.errors.ConfigError` when Redis is
    unreachable. Scrapy's reactor cannot be restarted, so this runs once per process; run more
    crawls in subprocesses (as the CLI and the tests do).
    """
    if profile is None:
        profile, start_urls = resolve_targets(list(targets), config)
    else:
        start_urls = [check_start_url(target) for target in targets]
    check_languages(profile, lang)
    if options.get("log_file"):
        check_log_file(options["log_file"])
    if timezone is not None:
        if not is_known_zone(timezone):
            raise ConfigError(
                f"--timezone {timezone!r} is not a time zone: give an IANA name (Asia/Baku) or an offset (+04:00)"
            )
        profile = replace(profile, hints=replace(profile.hints, timezone=timezone))
    archive = archive if isinstance(archive, Archive) else Archive(archive, create=True)
    archive.require_writable()
    started = datetime.now(UTC)
    # Who runs the crawl: --operator (or $NEWSARCHIVE_OPERATOR, through the CLI), else the profile's.
    options["operator"] = options.get("operator") or profile.operator or None
    settings = crawl_settings(archive, refresh=refresh, trailing_slash=profile.trailing_slash, **options)
    settings.setdict(provenance_settings(archive, profile, start_urls, lang, started), priority="cmdline")
    job: RedisJob | None = None
    if redis:
        job = RedisJob.open(redis, archive.path)  # exit 2 when Redis does not answer, before anything is locked
        settings.setdict(distributed_settings(redis, archive_id(archive.path), worker_name()), priority="cmdline")
    hold = JobLock(archive.path) if job is not None else ArchiveLock(archive.path)
    with hold:
        # Created first: it configures logging (level, --log-file), which the repair's messages use.
        process = CrawlerProcess(settings)
        install_download_error_filter()
        install_download_error_filter("scrapy.downloadermiddlewares.robotstxt")
        if isinstance(hold, JobLock) and not hold.first:
            assert job is not None and redis is not None
            join_running_job(hold, job, archive, list(targets), redis)
            repaired = RepairReport()  # the job's first worker repaired; other workers are writing now
        else:
            repaired = repair_interrupted_crawl(archive, profile)
            # How this crawl tells articles, for reindex and repair to decide alike without being told again.
            remember_rule(archive.path, profile.article_rule())
            if isinstance(hold, JobLock):
                assert job is not None and redis is not None
                # Seeded once per job: archived articles are not requested by any worker (unless --refresh).
                seen = () if refresh else load_seen(archive.indexes_dir, profile.trailing_slash)
                hold.started(job.start(list(targets), seen), redact(redis))
        summary: CrawlSummary | None = None
        try:
            summary = _run_scrapy(process, archive, profile=profile, start_urls=start_urls, since=since, languages=lang)
            return summary
        except OSError as error:  # the archive refused a write the writer does not own (an index, the run log)
            raise access_error(archive.path, error) from error
        finally:
            record_run(archive, started, targets, summary, repaired)


def seed_urls(profile: SiteProfile, start_urls: Sequence[str], languages: Sequence[str] = ()) -> list[str]:
    """Where the crawl starts: the start URLs given, else the profile's home pages (of the chosen editions)."""
    if start_urls or profile.start_urls:
        return [*start_urls, *(profile.absolute(url) for url in profile.start_urls)]
    editions = [e for e in profile.editions if not languages or e.language in languages]
    return [profile.absolute(url) for edition in editions for url in edition.home]


def provenance_settings(
    archive: Archive, profile: SiteProfile, start_urls: Sequence[str], languages: Sequence[str], started: datetime
) -> dict[str, Any]:
    """What each WARC's ``warcinfo`` tells of this crawl: collection, profile, seeds, a description of the run."""
    what = profile.description or f"the {profile.name} site profile"
    return {
        "NEWSARCHIVE_COLLECTION": archive.path.resolve().name,
        "NEWSARCHIVE_PROFILE_NAME": profile.name,
        "NEWSARCHIVE_SEEDS": seed_urls(profile, start_urls, languages),
        "NEWSARCHIVE_DESCRIPTION": f"newsarchive crawl of {what}, started {started.isoformat(timespec='seconds')}",
    }


def join_running_job(hold: JobLock, job: RedisJob, archive: Archive, targets: list[str], redis: str) -> None:
    """Join the job that holds the archive, or refuse (exit 75) when it is not this worker's job: Redis does not
    run it (another server, or it ended) or it crawls other targets."""
    info = job.info()
    recorded = hold.holder.get("job")
    if info is None or info.id != recorded:
        raise ArchiveLockedError(
            f"archive {archive.path} is crawled by distributed job {recorded} ({hold.holder.get('redis')}), "
            f"which Redis at {redact(redis)} does not run; wait for that job to finish or use another --archive"
        )
    if sorted(info.targets) != sorted(targets):
        raise ArchiveLockedError(
            f"archive {archive.path} is crawled by distributed job {info.id} of {' '.join(info.targets)} since "
            f"{info.started}, not of {' '.join(targets)}; wait for that job to finish or use another --archive"
        )
    hold.joined()
    logger.info("Joined distributed job %s on %s", info.id, redact(redis))


def _run_scrapy(process: CrawlerProcess, archive: Archive, **spider_arguments: Any) -> CrawlSummary:
    started = time.monotonic()
    files_before = {p.name for p in archive.warc_files()}
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, **spider_arguments)
    with ShutdownOnSignal(process, crawler) as shutdown:
        process.start(install_signal_handlers=False)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if fatal := stats.get(FATAL_ERROR_STAT):
        raise ArchiveWriteError(fatal)
    return summarize(stats, archive, files_before, time.monotonic() - started, shutdown.received, shutdown.forced)


def summarize(
    stats: dict[str, Any],
    archive: Archive,
    files_before: set[str],
    seconds: float,
    interrupted_by: int | None = None,
    forced: bool = False,
) -> CrawlSummary:
    """The summary of a crawl from its Scrapy stats and the WARC files it added to the archive."""
    new_files = [p for p in archive.warc_files() if p.name not in files_before]
    errors = errors_by_kind(stats)
    return CrawlSummary(
        pages=stats.get("downloader/response_count", 0),
        articles=stats.get("newsarchive/articles", 0),
        articles_updated=stats.get("newsarchive/articles_changed", 0),
        articles_unchanged=stats.get("newsarchive/articles_unchanged", 0),
        requisites=stats.get(REQUISITES_STAT, 0),
        failures=failures_of(errors),
        warc_files=len(new_files),
        warc_bytes=sum(p.stat().st_size for p in new_files if p.exists()),
        seconds=seconds,
        finish_reason=str(stats.get("finish_reason", "forced_shutdown" if forced else "")),
        errors=errors,
        interrupted_by=interrupted_by,
        not_articles=list(stats.get(NOT_ARTICLE_URLS_STAT, [])),
        archive=archive.path,
        problem=start_problem(stats),
    )


def check_languages(profile: SiteProfile, languages: Sequence[str]) -> None:
    """A ConfigError when ``--lang`` names no edition of a profile that has editions (nothing would be fetched)."""
    if not languages or not profile.editions:
        return
    known = [edition.language for edition in profile.editions]
    if not set(languages) & set(known):
        raise ConfigError(
            f"--lang {','.join(languages)} matches no edition of {profile.name} ({', '.join(known)}); "
            "give one of those, or leave --lang out"
        )


def check_log_file(path: str | Path) -> None:
    """A ConfigError, before anything is written, when the log file cannot be appended to."""
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise ConfigError(
            f"cannot write the log file {path}: {error.strerror}; create its directory or choose another --log-file"
        ) from error


class ShutdownOnSignal:
    """SIGINT/SIGTERM stop the crawl: the first gracefully, a second one at once.

    Graceful: the engine stops scheduling, in-flight responses are archived and their articles indexed,
    the open WARC is closed and renamed. Forced: the reactor stops between two callbacks, so no record or
    index line is being written at that moment (both are written whole on the reactor thread and flushed);
    the WARC stays ``.open`` and the next crawl finishes it (indexes what it lacks, renames it). The signal
    handlers only schedule work on the reactor: a handler must not log or write, since it may interrupt
    a write in progress.
    """

    def __init__(self, process: CrawlerProcess, crawler: Crawler | None = None) -> None:
        self.process = process
        self.crawler = crawler
        self.received: int | None = None
        self.forced = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> ShutdownOnSignal:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        from twisted.internet import reactor

        if self.received is None:
            self.received = signum
            reactor.callFromThread(self._stop_gracefully, signum)
        else:
            self.forced = True
            reactor.callFromThread(self._stop_now, signum)

    def _stop_gracefully(self, signum: int) -> None:
        from twisted.internet import reactor

        grace = (self.crawler or self.process).settings.getfloat("NEWSARCHIVE_STOP_GRACE")
        logger.warning("Received %s: finishing in-flight pages, then stopping (send again to stop at once)",
                       signal.Signals(signum).name)  # fmt: skip
        # No retry is sent from now on, and the retries waiting for their turn give up at once.
        retry = self.crawler.get_downloader_middleware(BackoffRetryMiddleware) if self.crawler else None
        if retry is not None:
            retry.stop()
        self.process.stop()
        # A download that stalls past the grace period is not waited for: stop as a second signal would.
        reactor.callLater(grace, self._stop_after_grace, signum)

    def _stop_after_grace(self, signum: int) -> None:
        """Past the grace period, a download still in flight (a stalled server) is not waited for; pages already
        downloaded are still archived and indexed (that work is bounded by what was in flight)."""
        from twisted.internet import reactor

        if self.forced:
            return
        downloader = getattr(self.crawler.engine, "downloader", None) if self.crawler and self.crawler.engine else None
        if downloader is not None and not downloader.active:
            reactor.callLater(0.2, self._stop_after_grace, signum)
            return
        self.forced = True
        logger.warning("Downloads still in flight after %s: stopping now; the next crawl finishes the open WARC",
                       signal.Signals(signum).name)  # fmt: skip
        self._crash()

    def _stop_now(self, signum: int) -> None:
        logger.warning("Received %s again: stopping now; the next crawl finishes the open WARC",
                       signal.Signals(signum).name)  # fmt: skip
        self._crash()

    @staticmethod
    def _crash() -> None:
        from twisted.internet import reactor

        # crash(), not stop(): stop() would first wait for the graceful shutdown that is already stuck.
        # crash() skips the shutdown triggers, so stop Twisted's thread pool here: its threads are not
        # daemons and would keep the process alive.
        reactor.crash()
        if pool := getattr(reactor, "threadpool", None):
            pool.stop()


def record_run(
    archive: Archive,
    started: datetime,
    targets: Sequence[str],
    summary: CrawlSummary | None,
    repaired: RepairReport,
) -> None:
    """Append this run to ``runs.jsonl``; a run that ended in an exception is recorded with exit code 1."""
    run: dict[str, Any] = {
        "started": started.isoformat(),
        "ended": datetime.now(UTC).isoformat(),
        "pid": os.getpid(),
        "targets": list(targets),
        "exit_code": summary.exit_code if summary else 1,
        "repaired": {
            "truncated": [[p.name, cut] for p, cut in repaired.truncated],
            "finalised": [p.name for p in repaired.finalised],
            "index_lines_rebuilt": repaired.rebuilt_index_lines,
        },
    }
    if summary is not None:
        run.update(
            pages=summary.pages,
            articles_new=summary.articles - summary.articles_updated,
            articles_updated=summary.articles_updated,
            articles_unchanged=summary.articles_unchanged,
            requisites=summary.requisites,
            errors=summary.errors,
            failures=summary.failures,
            finish_reason=summary.finish_reason,
            interrupted_by=signal.Signals(summary.interrupted_by).name if summary.interrupted_by else None,
            warc_files=summary.warc_files,
            warc_bytes=summary.warc_bytes,
            not_articles=summary.not_articles,
        )
    try:
        append_run(archive.path, run)
    except OSError as error:  # the disk may be what stopped the crawl: say so, keep the crawl's own error
        logger.error("Could not append the run summary to %s: %s", archive.path, error.strerror)


def repair_interrupted_crawl(archive: Archive, profile: SiteProfile) -> RepairReport:
    """Finish what a killed crawl left (torn tails cut, missing index lines rebuilt, ``.open`` files renamed).

    Only ``.open`` WARCs and index tails are looked at: a closed WARC was synced before its rename.
    """
    report = repair(archive, profile.article_rule(), closed_files=False)
    if report.changed:
        logger.warning(
            "Repaired an interrupted crawl in %s: %d torn tails cut, %d open WARCs finished, %d index lines rebuilt",
            archive.path, len(report.truncated), len(report.finalised), report.rebuilt_index_lines,
        )  # fmt: skip
    for damage in report.left_alone:
        logger.error("Not repaired: %s", damage)
    return report
