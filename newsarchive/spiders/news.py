"""The news spider: discovers a site's articles from its profile's start points and fetches the new ones.

Discovery order is set with Scrapy request priorities: feeds and news sitemaps first, then listing pages,
then sitemaps (newest ``lastmod`` first), then other in-site links; the articles each source names are
fetched right after it, newest first. An article already in the archive is not fetched again (the
seen-set) unless ``refresh``; discovery pages are re-fetched every run, conditionally
(:mod:`newsarchive.spiders.conditional`). A listing's pagination is walked until a page reaches
articles the archive already holds, or (with ``since``) a page whose items are all older.

Page requisites (:mod:`newsarchive.discover.requisites`) of article and home pages, and what their stylesheets
name, are fetched at the lowest priority, on the site's hosts and the profile's ``asset_hosts``, once per crawl
(Scrapy's duplicate filter) and again on every crawl that fetches a page naming them (unchanged ones become
revisit records); they are never parsed for links or articles.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.linkextractors import IGNORED_EXTENSIONS

from newsarchive.archive.articles import NotArticleLog
from newsarchive.archive.facts import SiteFacts, load_facts, save_facts
from newsarchive.archive.layout import ArchiveLayout
from newsarchive.archive.seen import SeenSet, load_seen
from newsarchive.archive.urls import normalize_url
from newsarchive.discover.links import (
    ARTICLE,
    FEED,
    LISTING,
    NEWS_SITEMAP,
    PAGE,
    REQUISITE,
    ROBOTS,
    SITEMAP,
    Link,
    is_older,
    robots_sitemaps,
)
from newsarchive.discover.pages import PageAnalysis, analyse_page
from newsarchive.discover.requisites import css_requisites, is_stylesheet
from newsarchive.extract import ArticleUrlPattern
from newsarchive.extract.dates import zone
from newsarchive.keys import KeySet
from newsarchive.profiles import GENERIC, SiteProfile
from newsarchive.spiders.capture import written_location
from newsarchive.spiders.conditional import ConditionalRequests, ValidatorStore
from newsarchive.spiders.meta import CONDITIONAL_META, KIND_META
from newsarchive.spiders.signals import robots_sitemaps_found
from newsarchive.workers import WorkerPool

_SKIPPED_SUFFIX = re.compile(r"\.(?:" + "|".join(map(re.escape, IGNORED_EXTENSIONS)) + r")$", re.IGNORECASE)

# Pages worth parsing: HTML, feeds, sitemaps (gzip: as .xml.gz files), JSON lists (reindex applies the same filter).
_ANALYSED_TYPES = re.compile(rb"html|xml|rss|atom|json|text/plain|gzip", re.IGNORECASE)

NOT_ARTICLES_STAT = "newsarchive/not_articles"
NOT_ARTICLE_URLS_STAT = "newsarchive/not_article_urls"
# How many of the pages that looked like articles and gave none the summary names (the log names them all).
NAMED_NOT_ARTICLES = 20
# Discovery pages by kind; the articles a source names come just below it, newest first.
# Requisites come last of all (an article's rank lowers it by at most _RANKS - 1): they never delay an article.
PRIORITY = {
    ROBOTS: 500, FEED: 500, NEWS_SITEMAP: 500, LISTING: 400, SITEMAP: 300, PAGE: 100, ARTICLE: 100, REQUISITE: 0,
}  # fmt: skip
_RANKS = 50
REQUISITES_STAT = "newsarchive/requisites"


class NewsSpider(scrapy.Spider):
    """Crawls a site from its profile (or generic discovery from start URLs); articles become items."""

    name = "news"

    def __init__(
        self,
        profile: SiteProfile = GENERIC,
        start_urls: Iterable[str] = (),
        since: date | None = None,
        languages: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.start_urls = [self._normalize(url) for url in start_urls]
        start_hosts = {(urlsplit(url).hostname or "").lower() for url in self.start_urls} - {""}
        self.allowed_domains = sorted(start_hosts | set(profile.hosts))
        self.asset_hosts = set(profile.asset_hosts) - set(self.allowed_domains)
        self.requisites = True  # NEWSARCHIVE_REQUISITES, read when the crawl starts
        # Home pages (and start URLs): their requisites are fetched as an article's are.
        self._homes: set[str] = set()
        self.since = since
        self.languages = set(languages)
        self.refresh = False  # NEWSARCHIVE_REFRESH, read when the crawl starts
        self._extract = True  # NEWSARCHIVE_EXTRACT, read when the crawl starts
        self._article_url = (
            ArticleUrlPattern(re.compile(profile.article_url_pattern)) if profile.article_url_pattern else None
        )
        self._never = [re.compile(pattern) for pattern in profile.never_fetch]
        self._tz = zone(profile.hints.timezone)
        # The dates of links skipped as too old (--since), for the same URL met later as an undated link (string
        # hashes). Only those: a link requested or skipped for another reason is decided again the same way.
        self._dates: dict[int, datetime] = {}
        # Links already requested in this run, as met and as normalised (string hashes, 8 bytes each: a Python
        # set of ints would take about 65 and grow a back-fill's memory with the site). Checked before any other
        # work, so a link met again costs a lookup, not a Request that Scrapy's dupefilter then drops.
        self._requested = KeySet()
        # Page analysis: worker processes (NEWSARCHIVE_EXTRACT_WORKERS of them), or with 0 one thread here.
        self._pool: WorkerPool | ThreadPoolExecutor | None = None
        # Public, read by the article index pipeline (spiders/pipelines.py): the archived articles (loaded when
        # the crawl starts) and what the crawl learned of its sites (their UTC offsets, their article URLs).
        self.seen: SeenSet | None = None
        self.facts = SiteFacts()
        self.validators: ValidatorStore | None = None
        self._not_article_log: NotArticleLog | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        """As Scrapy's, plus the robots.txt sitemaps signal; run by ``scrapy crawl news -a archive=DIR -a
        target=URL,...`` (scrapyd), plain string arguments are turned into a whole newsarchive crawl
        (:mod:`newsarchive.spiders.standalone`)."""
        if isinstance(kwargs.get("target"), str) or isinstance(kwargs.get("archive"), str):
            from newsarchive.spiders.standalone import standalone_run

            kwargs = standalone_run(crawler, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.follow_robots_sitemaps, signal=robots_sitemaps_found)
        return spider

    # ---------------------------------------------------------------- scope and classification

    def _normalize(self, url: str) -> str:
        return normalize_url(url, self.profile.trailing_slash)

    def in_scope(self, url: str) -> bool:
        """On the profile's hosts, not a static file, not a never-fetch URL, in the chosen languages."""
        parts = urlsplit(url)
        if (parts.hostname or "") not in self.allowed_domains or _SKIPPED_SUFFIX.search(parts.path):
            return False
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if any(pattern.search(target) for pattern in self._never):
            return False
        language = self.profile.language_of(url)
        return not (self.languages and language is not None and language not in self.languages)

    def requisite_in_scope(self, url: str) -> bool:
        """On the site's hosts or the profile's asset hosts, and not a never-fetch URL."""
        parts = urlsplit(url)
        if (parts.hostname or "") not in self.asset_hosts and (parts.hostname or "") not in self.allowed_domains:
            return False
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return not any(pattern.search(target) for pattern in self._never)

    def is_article_url(self, url: str) -> bool:
        """Whether ``url`` is an article's: the profile's pattern says so, or (without one) it has the shape of
        the site's known articles, as learned."""
        if self._article_url is not None:
            return self._article_url(url)
        return self.facts.is_article_url(url)

    def _kind_of(self, link: Link) -> str:
        if link.kind != PAGE:
            return link.kind
        return ARTICLE if self.is_article_url(link.url) else PAGE

    # ---------------------------------------------------------------- start points

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The profile's start points (or the start URLs), each with its kind's priority."""
        archive = Path(self.settings.get("NEWSARCHIVE_ARCHIVE", "."))
        indexes = ArchiveLayout(archive).indexes_dir
        self.refresh = self.settings.getbool("NEWSARCHIVE_REFRESH")
        self.requisites = self.settings.getbool("NEWSARCHIVE_REQUISITES")
        self._extract = self.settings.getbool("NEWSARCHIVE_EXTRACT")
        self.seen = load_seen(indexes, self.profile.trailing_slash)
        self.facts = load_facts(archive) or SiteFacts()
        self._not_article_log = NotArticleLog(indexes, datetime.now(UTC))
        # The conditional-request middleware's store: the sitemaps' lastmod is kept with the validators.
        conditional = self.crawler.get_downloader_middleware(ConditionalRequests)
        self.validators = conditional.store if conditional is not None else None
        self.logger.info("seen-set: %d archived articles", len(self.seen))
        editions = [e for e in self.profile.editions if not self.languages or e.language in self.languages]
        homes = [*(url for edition in editions for url in edition.home), *self.profile.start_urls, *self.start_urls]
        self._homes = {self._normalize(self.profile.absolute(url)) for url in homes}
        self._start_analysis()
        for url, kind in self._start_points():
            request = self._request(Link(url, None, kind))
            if request is not None:
                yield request

    def _start_points(self) -> Iterator[tuple[str, str]]:
        profile = self.profile
        editions = [e for e in profile.editions if not self.languages or e.language in self.languages]
        # In discovery order: feeds and news sitemaps, then listings, then sitemaps.
        for edition in editions:
            yield from ((profile.absolute(url), FEED) for url in edition.feeds)
            yield from ((profile.absolute(url), NEWS_SITEMAP) for url in edition.news_sitemaps)
        for edition in editions:
            yield from ((profile.absolute(url), LISTING) for url in (*edition.home, *edition.listings))
        for url in profile.sitemaps:
            yield profile.absolute(url), SITEMAP
        for url in (*profile.start_urls, *self.start_urls):
            yield profile.absolute(url), LISTING
        if profile.is_generic and not self.settings.getbool("ROBOTSTXT_OBEY"):
            # Obeying robots.txt, its Sitemap lines come from the robots middleware (follow_robots_sitemaps).
            for url in self.start_urls:
                parts = urlsplit(url)
                yield f"{parts.scheme}://{parts.netloc}/robots.txt", ROBOTS

    def follow_robots_sitemaps(self, sitemaps: list[str]) -> None:
        """On :data:`~newsarchive.spiders.signals.robots_sitemaps_found`: a generic crawl walks the sitemaps a
        host's robots.txt names."""
        if not self.profile.is_generic:
            return
        for url in sitemaps:
            request = self._request(Link(url, None, SITEMAP))
            if request is not None:
                self.crawler.engine.crawl(request)

    # ---------------------------------------------------------------- requests

    def _request(self, link: Link, rank: int = 0, priority: int | None = None) -> scrapy.Request | None:
        """A request for a discovered link, or None when it is out of scope, archived or too old."""
        if hash(link.url) in self._requested:
            return None
        url = self._normalize(link.url)
        if hash(url) in self._requested:
            self._requested.add(hash(link.url))
            return None
        if not self.in_scope(url):
            return None
        kind = self._kind_of(Link(url, link.date, link.kind, link.listed))
        if kind == PAGE and self._stored(url):
            kind = FEED  # a feed or sitemap met through a plain link: still re-read conditionally
        stats = self.crawler.stats
        if kind in (ARTICLE, PAGE):
            if self._older(date := self._dates.get(hash(url), link.date)):
                self._dates.setdefault(hash(url), date)
                stats.inc_value("newsarchive/skipped_older")
                return None
            if not self.refresh and self._archived(url):
                stats.inc_value("newsarchive/skipped_archived")
                return None
            if kind == PAGE and not self.profile.follow_links:
                return None
        elif kind == SITEMAP and link.date is not None:
            if self._older(link.date):
                return None
            # A child sitemap whose lastmod has not moved since we read it holds nothing new.
            if not self.refresh and self._stored(url).get("lastmod") == link.date.isoformat():
                stats.inc_value("newsarchive/sitemaps_unchanged")
                return None
        meta: dict[str, Any] = {KIND_META: kind}
        # A refresh re-reads every discovery page in full: a 304 would hide the archived articles.
        if kind in (FEED, NEWS_SITEMAP, SITEMAP, LISTING) and not self.refresh:
            meta[CONDITIONAL_META] = True
            meta["handle_httpstatus_list"] = [304]
        # The child sitemap's lastmod, remembered once it is read.
        lastmod = {"lastmod": link.date.isoformat()} if kind == SITEMAP and link.date is not None else {}
        if priority is None:
            priority = PRIORITY[kind]
        self._requested.update((hash(link.url), hash(url)))
        return scrapy.Request(
            url, callback=self.parse, priority=priority - min(rank, _RANKS - 1), meta=meta, cb_kwargs=lastmod
        )

    def _requisite_requests(self, urls: Iterable[str]) -> Iterator[scrapy.Request]:
        """Requests for page requisites in scope, at the lowest priority (a repeat is dropped by Scrapy's filter)."""
        for url in urls:
            if not self.requisite_in_scope(url):
                continue
            meta: dict[str, Any] = {KIND_META: REQUISITE}
            if (urlsplit(url).hostname or "") in self.asset_hosts:
                meta["allow_offsite"] = True  # an asset host is in scope for requisites only
            yield scrapy.Request(url, callback=self.parse, priority=PRIORITY[REQUISITE], meta=meta)

    # ---------------------------------------------------------------- parsing

    async def parse(self, response: Response, lastmod: str | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Analyse the page off the reactor thread; follow what it names; yield its article (``lastmod``: the
        one a sitemap index gave this sitemap)."""
        kind = response.meta.get(KIND_META, PAGE)
        if kind == ROBOTS:
            for link in robots_sitemaps(response.body, response.url):
                if request := self._request(link):
                    yield request
            return
        content_type = response.headers.get(b"Content-Type") or b""
        if kind == REQUISITE:
            # Archived by the capture already; a stylesheet names more (images, fonts, imports).
            self.crawler.stats.inc_value(REQUISITES_STAT)
            if is_stylesheet(response.url, content_type):
                for request in self._requisite_requests(css_requisites(response.body, response.url)):
                    yield request
            return
        if response.status == 304:
            self.crawler.stats.inc_value("newsarchive/not_modified")
            self._remember_lastmod(response, lastmod)
            return
        if content_type and not _ANALYSED_TYPES.search(content_type):
            return
        analysis: PageAnalysis = await asyncio.wrap_future(
            self._analyse(
                response.body,
                response.url,
                content_type,
                self.profile.hints,
                self._article_url,
                self.profile.listing,
                # Listed by a feed or sitemap, or shaped like the site's known articles (learned up to now).
                kind == ARTICLE or self.is_article_url(response.url),
                self._extract,
            )
        )
        self._remember_lastmod(response, lastmod)
        self._learn(analysis, kind, response.url)
        for request in self._follow(analysis, kind, response.url):
            yield request
        location = await written_location(response.meta)
        verdict = analysis.verdict
        if location is not None:
            if verdict.article is not None:
                yield {"article": verdict.article, "location": location, "fetched_at": location.date}
            elif verdict.looked_like_article:
                self._not_an_article(response.url, verdict.reason or "no article", location)
        # After the article: its requisites are archived to replay it, and wait behind every other request.
        if self.requisites and (verdict.article is not None or response.request.url in self._homes):
            for request in self._requisite_requests(analysis.requisites):
                yield request

    def _start_analysis(self) -> None:
        """Start the page analysis workers now, so their start-up overlaps the first downloads."""
        workers = self.settings.getint("NEWSARCHIVE_EXTRACT_WORKERS")
        self._pool = WorkerPool(workers) if workers > 0 else ThreadPoolExecutor(1, thread_name_prefix="analysis")

    def _analyse(self, *args: Any) -> Future[PageAnalysis]:
        """:func:`~newsarchive.discover.pages.analyse_page` off the reactor thread."""
        if self._pool is None:
            self._start_analysis()
        assert self._pool is not None
        return self._pool.submit(analyse_page, *args)

    def _learn(self, analysis: PageAnalysis, kind: str, url: str) -> None:
        """What the page taught about its site: article URLs (its own when it declared itself one, the items of
        a feed or sitemap) and the UTC offsets its timestamps state; kept in the archive when that changed."""
        facts = self.facts
        facts.learn_page(url, analysis.verdict, analysis.offsets)
        if kind in (FEED, NEWS_SITEMAP, SITEMAP):
            for link in analysis.links:
                if link.kind == ARTICLE:
                    facts.learn_article_url(link.url)
        if facts.changed:
            save_facts(self.settings.get("NEWSARCHIVE_ARCHIVE", "."), facts)

    def _not_an_article(self, url: str, reason: str, location: Any) -> None:
        """A page that looked like an article gave none: counted, logged, named, and seen from now on."""
        stats = self.crawler.stats
        stats.inc_value(NOT_ARTICLES_STAT)
        named = stats.get_value(NOT_ARTICLE_URLS_STAT, [])
        if len(named) < NAMED_NOT_ARTICLES:
            stats.set_value(NOT_ARTICLE_URLS_STAT, [*named, url])
        self.logger.info("Not an article: %s looked like one but gave none: %s", url, reason)
        if self._not_article_log is not None:
            self._not_article_log.append(url, reason, location)

    def _follow(self, analysis: PageAnalysis, kind: str, url: str) -> Iterator[scrapy.Request]:
        for feed in analysis.feeds:
            if request := self._request(feed):
                yield request
        # Newest first: dated links in date order, undated ones after, each source's own order kept.
        links = sorted(analysis.links, key=lambda link: -link.date.timestamp() if link.date else 0.0)
        source_priority = PRIORITY.get(kind, PRIORITY[PAGE])
        rank = 0
        for link in links:
            if hash(link.url) in self._requested:
                continue  # met before: not classified again (most of a page's links are its menus)
            link_kind = self._kind_of(link)
            # A named article is fetched just after its source; other links keep their kind's priority.
            priority = source_priority - 1 if link_kind == ARTICLE and kind != PAGE else None
            if request := self._request(link, rank, priority):
                rank += link_kind == ARTICLE
                yield request
        if analysis.next_page and self._walk_on(analysis):
            request = self._request(Link(analysis.next_page, None, LISTING), priority=PRIORITY[LISTING] - 2)
            if request is not None:
                yield request

    def _walk_on(self, analysis: PageAnalysis) -> bool:
        """Whether to follow a listing's next page: not once a page reaches archived ground or older items."""
        # The page's items: the links of its list, else its article links (by pattern, or archived ones).
        items = [link for link in analysis.links if link.listed] or [
            link for link in analysis.links if self._kind_of(link) == ARTICLE or self._archived(link.url)
        ]
        if not items:
            return True
        if self.since and all(self._older(link.date) for link in items):
            self.crawler.stats.inc_value("newsarchive/pagination_stopped_older")
            return False
        if not self.refresh and any(self._archived(link.url) for link in items):
            self.crawler.stats.inc_value("newsarchive/pagination_stopped_archived")
            return False
        return True

    def _older(self, moment: datetime | None) -> bool:
        return is_older(moment, self.since, self._tz)

    def _archived(self, url: str) -> bool:
        # The seen-set normalises with the profile's policy itself.
        return self.seen is not None and url in self.seen

    def _stored(self, url: str) -> dict[str, str]:
        return self.validators.get(url) if self.validators is not None else {}

    def _remember_lastmod(self, response: Response, lastmod: str | None) -> None:
        if lastmod and self.validators is not None:
            self.validators.update(response.url, lastmod=lastmod)

    def closed(self, reason: str) -> None:
        """Stop the extraction workers; close the not-articles log; keep what was learned."""
        if self._pool is not None:
            self._pool.shutdown()
        if self._not_article_log is not None:
            self._not_article_log.close()
        if self.facts.learned:
            save_facts(self.settings.get("NEWSARCHIVE_ARCHIVE", "."), self.facts)
