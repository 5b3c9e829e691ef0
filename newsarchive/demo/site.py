"""Render a fictional Report.az-style news site from a JSON data file.

The data file looks like::

    {"site_name": "Report.az", "articles": [{"lang": "ru", "path": "/ru/<cat>/<slug>/",
      "category_slug": ..., "category": ..., "slug": ..., "story_id": ..., "title": ...,
      "published": "2025-09-08T15:31:00+04:00", "author": null, "description": ...,
      "lead": ..., "paragraphs": [...], "tags": [...], "structured_data": true,
      "template": "current", "text": "<lead>\\n\\n<paragraph 1>\\n\\n..."}]}

``template`` is ``current`` (the default: Open Graph, ``article:`` metas, JSON-LD when ``structured_data``) or
``legacy``, an older CMS template that declares nothing: the title only in ``<h1>`` and ``<title>``, the body
in a plain ``div``, the date only as visible text with the time beside it, category and tags only as links.

:class:`NewsSite` turns a request target into a :class:`Response`. It does no I/O
beyond loading the data file, and its output depends only on the data and the base
URL, so the same request always yields the same bytes (the tests rely on that).

Layout of the site (az has no language prefix, ru and en have ``/ru`` and ``/en``)::

    /robots.txt, /sitemap.xml, /sitemap/YYYY-MM.xml     site-wide (.xml.gz files instead with gzip_sitemaps)
    /, /ru/, /en/                                       home page per language
    /<lang>/news-feed/?page=N                           all articles, newest first
    /<lang>/<category-slug>/?page=N                     category listing
    /<lang>/<category-slug>/<article-slug>/             article page
    /<lang>/rss/                                        RSS 2.0 feed
    /<lang>/search/?query=...                           search (disallowed in robots.txt)
    /media/<article-slug>.gif, -large.gif               article photo (one solid colour) and its large variant
    /static/css/main.css                                stylesheet (names /static/img/logo.gif and a font)
    /static/img/logo.gif, /static/fonts/site.woff2      the stylesheet's image and font; the logo is the favicon
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

LANGUAGES = ("az", "ru", "en")
TEMPLATES = ("current", "legacy")
PAGE_SIZE = 3
HOME_SIZE = 10
RELATED_SIZE = 5
MOST_READ_SIZE = 5
TRENDING_SIZE = 5

HTML_TYPE = "text/html; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
XML_TYPE = "application/xml"
GZIP_TYPE = "application/x-gzip"
TEXT_TYPE = "text/plain; charset=utf-8"
GIF_TYPE = "image/gif"
CSS_TYPE = "text/css; charset=utf-8"
WOFF2_TYPE = "font/woff2"

# Every article photo is one opaque pixel of this colour, which a browser scales to the <img>'s size: a replay
# that shows the photo paints this colour where it stands (a broken image would not).
PHOTO_RGB = (0xD6, 0x1F, 0xA5)
LOGO_RGB = (0x1A, 0x4E, 0x8C)


def solid_gif(rgb: tuple[int, int, int], comment: bytes = b"") -> bytes:
    """A 1x1 opaque GIF of one colour (``comment`` goes in a comment block, so variants differ in bytes)."""
    palette = bytes(rgb) + b"\xff\xff\xff"
    remark = b"!\xfe" + bytes([len(comment)]) + comment + b"\x00" if comment else b""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + palette + remark
        + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )  # fmt: skip


STYLESHEET_PATH = "/static/css/main.css"
LOGO_PATH = "/static/img/logo.gif"
FONT_PATH = "/static/fonts/site.woff2"
_STATIC: dict[str, tuple[str, bytes]] = {
    STYLESHEET_PATH: (
        CSS_TYPE,
        (
            b'@font-face { font-family: "SiteSans"; src: url("../fonts/site.woff2") format("woff2"); }\n'
            b'body { font-family: "SiteSans", sans-serif; margin: 0; color: #222; }\n'
            b".site-header { background: #fff url(/static/img/logo.gif) no-repeat 8px 8px; padding: 8px 48px; }\n"
            b".news-image img { display: block; }\n"
            b".news-title { font-size: 28px; }\n"
        ),
    ),
    LOGO_PATH: (GIF_TYPE, solid_gif(LOGO_RGB)),
    # Not a real font (browsers fall back); what matters is that the stylesheet names it and it is archived.
    FONT_PATH: (WOFF2_TYPE, b"wOF2\x00\x01\x00\x00newsarchive test font"),
}

_SITEMAP = re.compile(r"/sitemap(?:/(\d{4}-\d{2}))?\.xml(\.gz)?")
_MEDIA = re.compile(r"/media/([a-z0-9-]+?)(-large)?\.gif")
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

_MONTHS = {
    # Russian dates use the genitive ("08 сентября, 2025").
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    "az": (
        "yanvar",
        "fevral",
        "mart",
        "aprel",
        "may",
        "iyun",
        "iyul",
        "avqust",
        "sentyabr",
        "oktyabr",
        "noyabr",
        "dekabr",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


@dataclass(frozen=True)
class _Ui:
    """Interface strings of one language."""

    home: str
    news_feed: str
    tags: str
    related: str
    most_read: str
    share: str
    next_page: str
    prev_page: str
    search: str
    search_results: str
    nothing_found: str
    not_found: str
    not_found_text: str
    all_news: str
    rights: str
    contacts: str
    about: str
    advertising: str
    tagline: str
    address: str
    reuse_note: str


_UI = {
    "az": _Ui(
        home="Əsas səhifə",
        news_feed="Xəbər lenti",
        tags="Teqlər",
        related="Digər xəbərlər",
        most_read="Ən çox oxunanlar",
        share="Paylaş",
        next_page="Növbəti səhifə",
        prev_page="Əvvəlki səhifə",
        search="Axtarış",
        search_results="Axtarış nəticələri",
        nothing_found="Heç nə tapılmadı",
        not_found="Səhifə tapılmadı",
        not_found_text="Axtardığınız səhifə mövcud deyil və ya silinib.",
        all_news="Bütün xəbərlər",
        rights="Bütün hüquqlar qorunur",
        contacts="Əlaqə",
        about="Haqqımızda",
        advertising="Reklam",
        tagline="Azərbaycan və dünya xəbərləri",
        address="Bakı, Nümunə prospekti, 1",
        reuse_note="Materiallardan istifadə edərkən Report.az-a istinad mütləqdir.",
    ),
    "ru": _Ui(
        home="Главная",
        news_feed="Лента новостей",
        tags="Теги",
        related="Другие новости",
        most_read="Самые читаемые",
        share="Поделиться",
        next_page="Следующая страница",
        prev_page="Предыдущая страница",
        search="Поиск",
        search_results="Результаты поиска",
        nothing_found="Ничего не найдено",
        not_found="Страница не найдена",
        not_found_text="Запрошенная страница не существует или была удалена.",
        all_news="Все новости",
        rights="Все права защищены",
        contacts="Контакты",
        about="О нас",
        advertising="Реклама",
        tagline="Новости Азербайджана и мира",
        address="Баку, проспект Примерный, 1",
        reuse_note="При использовании материалов ссылка на Report.az обязательна.",
    ),
    "en": _Ui(
        home="Home",
        news_feed="News feed",
        tags="Tags",
        related="Other news",
        most_read="Most read",
        share="Share",
        next_page="Next page",
        prev_page="Previous page",
        search="Search",
        search_results="Search results",
        nothing_found="Nothing found",
        not_found="Page not found",
        not_found_text="The page you requested does not exist or has been removed.",
        all_news="All news",
        rights="All rights reserved",
        contacts="Contacts",
        about="About us",
        advertising="Advertising",
        tagline="News from Azerbaijan and the world",
        address="Baku, 1 Example Avenue",
        reuse_note="Reference to Report.az is required when using materials.",
    ),
}


class Response(NamedTuple):
    """What the site answers to one request; unpacks as a 4-tuple."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Article:
    """One article of the data file (``published`` is parsed, with its +04:00 offset)."""

    lang: str
    category_slug: str
    category: str
    slug: str
    path: str
    story_id: str
    title: str
    published: datetime
    author: str | None
    description: str
    lead: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    structured_data: bool
    template: str = "current"
    shows_date: bool = True  # False: the older template leaves the date line out (a page that is no article)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an article from its JSON object, checking it is self-consistent."""
        article = cls(
            lang=data["lang"],
            category_slug=data["category_slug"],
            category=data["category"],
            slug=data["slug"],
            path=data["path"],
            story_id=data["story_id"],
            title=data["title"],
            published=datetime.fromisoformat(data["published"]),
            author=data.get("author"),
            description=data["description"],
            lead=data["lead"],
            paragraphs=tuple(data["paragraphs"]),
            tags=tuple(data["tags"]),
            structured_data=bool(data["structured_data"]),
            template=data.get("template", "current"),
            shows_date=bool(data.get("shows_date", True)),
        )
        article._check(data.get("text"))
        return article

    def _check(self, text: str | None) -> None:
        # The data file doubles as the tests' ground truth, so refuse a file whose
        # "text" or "path" disagree with the fields the pages are rendered from.
        if self.lang not in LANGUAGES:
            raise ValueError(f"{self.path}: unknown language {self.lang!r}")
        if self.template not in TEMPLATES:
            raise ValueError(f"{self.path}: unknown template {self.template!r}")
        if self.published.utcoffset() is None:
            raise ValueError(f"{self.path}: published time needs a UTC offset")
        if self.path != section_path(self.lang, self.category_slug) + self.slug + "/":
            raise ValueError(f"{self.path}: path does not match lang/category/slug")
        if text is not None and text != self.text:
            raise ValueError(f"{self.path}: 'text' is not the lead and paragraphs")

    @property
    def text(self) -> str:
        """The article body as plain text: the lead, then the paragraphs."""
        return "\n\n".join((self.lead, *self.paragraphs))

    @property
    def image_path(self) -> str:
        """Root-relative URL of the article's photo (one pixel of :data:`PHOTO_RGB`)."""
        return f"/media/{self.slug}.gif"

    @property
    def large_image_path(self) -> str:
        """Root-relative URL of the photo's large variant (the largest ``srcset`` candidate)."""
        return f"/media/{self.slug}-large.gif"


def language_prefix(lang: str) -> str:
    """URL prefix of a language: ``""`` for az (the site's default), else ``/ru``."""
    return "" if lang == "az" else f"/{lang}"


def section_path(lang: str, section: str | None = None) -> str:
    """Root-relative path of a language's home page or of one of its sections."""
    prefix = language_prefix(lang)
    return f"{prefix}/{section}/" if section else f"{prefix}/"


def format_date(moment: datetime, lang: str) -> str:
    """Date as Report.az shows it, e.g. ``08 сентября, 2025`` / ``08 September, 2025``."""
    return f"{moment.day:02d} {_MONTHS[lang][moment.month - 1]}, {moment.year}"


def format_time(moment: datetime) -> str:
    """Time of day as shown next to the date, e.g. ``15:31``."""
    return moment.strftime("%H:%M")


def http_date(moment: datetime) -> str:
    """An HTTP date (``Last-Modified``) for an aware datetime."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _xml(text: str) -> str:
    return escape(text, quote=False)


def _json_ld(data: dict[str, Any]) -> str:
    # "</" inside a <script> would end it early; "<\/" is the same JSON string.
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def _page_number(query: dict[str, list[str]]) -> int | None:
    """The ``?page=N`` argument (1 when absent), or None when it is not a page number."""
    values = query.get("page")
    if not values:
        return 1
    value = values[-1]
    return int(value) if value.isdigit() and int(value) >= 1 else None


ARTICLE_LINK_PLACES = frozenset({"home", "listings", "related", "most_read"})


@dataclass(frozen=True)
class SiteOptions:
    """Optional changes to the site (data file key ``"options"``) that tests use to shape discovery.

    ``robots``: extra lines for robots.txt (``Crawl-delay: 0.5``, ``Disallow: /en/``); ``sitemaps`` and
    ``feeds``: whether the sitemap index and the RSS feeds exist; ``feed_size``: newest items per feed
    (all when None); ``article_links``: where article titles are links (home, listings, related, most_read);
    ``offsite_redirect``: a path, linked from every footer, that redirects to the same path on another host
    name of this server (``localhost`` for ``127.0.0.1`` and back); ``gzip_sitemaps``: the sitemap index and
    the monthly sitemaps are gzip files (``sitemap.xml.gz``, served as application/x-gzip, no
    Content-Encoding), as many CMSs store them.
    """

    robots: tuple[str, ...] = ()
    sitemaps: bool = True
    feeds: bool = True
    feed_size: int | None = None
    article_links: frozenset[str] = ARTICLE_LINK_PLACES
    offsite_redirect: str | None = None
    gzip_sitemaps: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteOptions:
        """Options from the data file's ``"options"`` object (absent keys keep the full site)."""
        return cls(
            robots=tuple(data.get("robots", ())),
            sitemaps=bool(data.get("sitemaps", True)),
            feeds=bool(data.get("feeds", True)),
            feed_size=data.get("feed_size"),
            article_links=frozenset(data.get("article_links", ARTICLE_LINK_PLACES)),
            offsite_redirect=data.get("offsite_redirect"),
            gzip_sitemaps=bool(data.get("gzip_sitemaps", False)),
        )


class NewsSite:
    """The whole site: answers a request target with a rendered :class:`Response`."""

    def __init__(self, site_name: str, articles: list[Article], options: SiteOptions | None = None) -> None:
        self.site_name = site_name
        self.options = options or SiteOptions()
        # Newest first everywhere; ties keep data-file order (sort is stable).
        self.articles = sorted(articles, key=lambda a: a.published, reverse=True)
        self._by_path = {a.path: a for a in self.articles}
        self._by_slug = {a.slug: a for a in self.articles}
        if len(self._by_path) != len(articles) or len(self._by_slug) != len(articles):
            raise ValueError("article paths and slugs must be unique")
        self._by_lang = {lang: [a for a in self.articles if a.lang == lang] for lang in LANGUAGES}
        # What every page shows of the whole site, worked out once: a page costs the same on a site of any size.
        self._by_category: dict[tuple[str, str], list[Article]] = {}
        for article in self.articles:
            self._by_category.setdefault((article.lang, article.category_slug), []).append(article)
        self._most_read_picks = {
            lang: sorted(by_lang, key=lambda a: hashlib.sha1(a.slug.encode()).hexdigest())[:MOST_READ_SIZE]
            for lang, by_lang in self._by_lang.items()
        }
        self._trending_tags = {
            lang: [tag for tag, _ in Counter(tag for a in by_lang for tag in a.tags).most_common(TRENDING_SIZE)]
            for lang, by_lang in self._by_lang.items()
        }
        self._newest_year = max((a.published.year for a in self.articles), default=2025)
        self._categories: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for article in articles:
            self._categories[article.lang].setdefault(article.category_slug, article.category)
        self._stories: dict[str, dict[str, Article]] = {}
        for article in self.articles:
            self._stories.setdefault(article.story_id, {})[article.lang] = article

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewsSite:
        """Build the site from the parsed data file."""
        return cls(
            data.get("site_name", "Report.az"),
            [Article.from_dict(a) for a in data["articles"]],
            SiteOptions.from_dict(data.get("options", {})),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> NewsSite:
        """Load the site from a JSON data file."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    # ----------------------------------------------------------------- routing

    def respond(self, target: str, base_url: str) -> Response:
        """Answer a GET for ``target`` (path and query, e.g. ``/ru/ekonomika/?page=2``).

        ``base_url`` (``http://127.0.0.1:PORT``, no trailing slash) is used for the
        absolute URLs of RSS, sitemaps, canonical and og:url; page links stay
        root-relative.
        """
        base_url = base_url.rstrip("/")
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        query = parse_qs(parts.query)
        response = self._route(path, query, base_url)
        if response is not None:
            return response
        # Like most CMSs, a directory-style URL missing its slash is redirected.
        if not path.endswith("/") and self._route(path + "/", query, base_url) is not None:
            location = base_url + quote(path + "/") + (f"?{parts.query}" if parts.query else "")
            return Response(301, TEXT_TYPE, b"Moved Permanently\n", {"Location": location})
        return self._not_found(path, base_url)

    def _route(self, path: str, query: dict[str, list[str]], base: str) -> Response | None:
        article = self._by_path.get(path)
        if article is not None:
            return self._article_page(article, base)
        if path == self.options.offsite_redirect:
            parts = urlsplit(base)
            other = "localhost" if parts.hostname != "localhost" else "127.0.0.1"
            location = f"{parts.scheme}://{other}:{parts.port}{quote(path)}"
            return Response(302, TEXT_TYPE, b"Found\n", {"Location": location})
        if path == "/robots.txt":
            return Response(200, TEXT_TYPE, self._robots(base).encode(), {})
        if (match := _SITEMAP.fullmatch(path)) and self.options.sitemaps:
            return self._sitemap(match[1], bool(match[2]), base)
        if match := _MEDIA.fullmatch(path):
            if match[1] not in self._by_slug:
                return None
            # Each photo's bytes are its own (its slug in a comment block); all show the same colour.
            return Response(200, GIF_TYPE, solid_gif(PHOTO_RGB, (match[1] + (match[2] or "")).encode()), {})
        if path in _STATIC:
            content_type, body = _STATIC[path]
            return Response(200, content_type, body, {})
        if not path.endswith("/"):
            return None
        return self._section(path, query, base)

    def _section(self, path: str, query: dict[str, list[str]], base: str) -> Response | None:
        segments = [s for s in path.split("/") if s]
        lang = "az"
        if segments and segments[0] in LANGUAGES[1:]:
            lang, segments = segments[0], segments[1:]
        match segments:
            case []:
                return self._html(self._home(lang, base))
            case ["rss"] if self.options.feeds:
                return self._document_with_validators(RSS_TYPE, self._rss(lang, base))
            case ["search"]:
                return self._html(self._search(lang, query, base))
            case ["news-feed"]:
                ui = _UI[lang]
                return self._listing(lang, "news-feed", ui.news_feed, self._by_lang[lang], query, base)
            case [slug] if slug in self._categories[lang]:
                items = self._by_category.get((lang, slug), [])
                return self._listing(lang, slug, self._categories[lang][slug], items, query, base)
        return None

    def _sitemap(self, month: str | None, gzipped: bool, base: str) -> Response | None:
        """The sitemap index (no ``month``) or a month's sitemap, in the form the options choose."""
        if gzipped != self.options.gzip_sitemaps:
            return None
        document = self._sitemap_index(base) if month is None else self._month_sitemap(month, base)
        if document is None:
            return None
        response = self._document_with_validators(XML_TYPE, document)
        if not gzipped:
            return response
        # The file's own bytes are gzip (mtime=0: the same bytes on every request).
        return response._replace(content_type=GZIP_TYPE, body=gzip.compress(response.body, mtime=0))

    def _sitemap_name(self, base: str, month: str | None = None) -> str:
        name = f"{base}/sitemap" + (f"/{month}" if month else "")
        return name + (".xml.gz" if self.options.gzip_sitemaps else ".xml")

    def _document_with_validators(self, content_type: str, document: str) -> Response:
        """Feeds and sitemaps carry an ETag and a Last-Modified (the newest article), as CMSs send them."""
        headers = {"ETag": '"' + hashlib.sha1(document.encode()).hexdigest()[:20] + '"'}
        if self.articles:
            headers["Last-Modified"] = http_date(self.articles[0].published)
        return Response(200, content_type, document.encode(), headers)

    @staticmethod
    def _html(document: str, headers: dict[str, str] | None = None, status: int = 200) -> Response:
        return Response(status, HTML_TYPE, document.encode(), headers or {})

    # ------------------------------------------------------- machine-readable

    def _robots(self, base: str) -> str:
        lines = ["User-agent: *"]
        lines += [f"Disallow: {section_path(lang, 'search')}" for lang in LANGUAGES]
        lines += self.options.robots
        lines += ["", f"Sitemap: {self._sitemap_name(base)}", ""] if self.options.sitemaps else [""]
        return "\n".join(lines)

    def _months(self) -> dict[str, list[Article]]:
        """Articles by month of publication (Baku local time), newest month first."""
        months: dict[str, list[Article]] = {}
        for article in self.articles:
            months.setdefault(article.published.strftime("%Y-%m"), []).append(article)
        return months

    def _sitemap_index(self, base: str) -> str:
        entries = "".join(
            f"  <sitemap>\n    <loc>{_xml(self._sitemap_name(base, month))}</loc>\n"
            f"    <lastmod>{articles[0].published.isoformat()}</lastmod>\n  </sitemap>\n"
            for month, articles in self._months().items()
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_SITEMAP_NS}">\n{entries}</sitemapindex>\n'
        )

    def _month_sitemap(self, month: str, base: str) -> str | None:
        articles = self._months().get(month)
        if articles is None:
            return None
        entries = "".join(
            f"  <url>\n    <loc>{_xml(base + a.path)}</loc>\n"
            f"    <lastmod>{a.published.isoformat()}</lastmod>\n  </url>\n"
            for a in articles
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}">\n{entries}</urlset>\n'

    def _rss(self, lang: str, base: str) -> str:
        articles = self._by_lang[lang][: self.options.feed_size]
        items = "".join(
            "    <item>\n"
            f"      <title>{_xml(a.title)}</title>\n"
            f"      <link>{_xml(base + a.path)}</link>\n"
            f'      <guid isPermaLink="true">{_xml(base + a.path)}</guid>\n'
            f"      <pubDate>{format_datetime(a.published)}</pubDate>\n"
            f"      <category>{_xml(a.category)}</category>\n"
            f"      <description>{_xml(a.description)}</description>\n"
            "    </item>\n"
            for a in articles
        )
        built = format_datetime(articles[0].published) if articles else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n  <channel>\n'
            f"    <title>{_xml(self.site_name)} - {_xml(_UI[lang].news_feed)}</title>\n"
            f"    <link>{_xml(base + section_path(lang))}</link>\n"
            f"    <description>{_xml(_UI[lang].tagline)}</description>\n"
            f"    <language>{lang}</language>\n"
            f"    <lastBuildDate>{built}</lastBuildDate>\n"
            f'    <atom:link href="{escape(base + section_path(lang, "rss"))}" rel="self" '
            'type="application/rss+xml"/>\n'
            f"{items}  </channel>\n</rss>\n"
        )

    # ------------------------------------------------------------ page chrome

    def _document(
        self,
        lang: str,
        title: str,
        main: str,
        *,
        head: str,
        switcher: dict[str, str] | None = None,
    ) -> str:
        """A full HTML page: head, header with menus, main content, sidebar, footer."""
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{lang}">\n<head>\n'
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)} - {escape(self.site_name)}</title>\n"
            f'<link rel="stylesheet" href="{STYLESHEET_PATH}">\n'
            f'<link rel="icon" type="image/gif" href="{LOGO_PATH}">\n{head}'
            "</head>\n<body>\n"
            f"{self._header(lang, switcher or {})}"
            f'<div class="container page-content">\n<main class="main-column">\n{main}</main>\n'
            f"{self._most_read(lang)}</div>\n"
            f"{self._footer(lang)}"
            "</body>\n</html>\n"
        )

    def _head(
        self,
        lang: str,
        title: str,
        description: str,
        canonical: str,
        *,
        og_type: str = "website",
        extra: str = "",
    ) -> str:
        """Meta tags shared by every page (canonical, description, Open Graph, RSS)."""
        rss_url = section_path(lang, "rss")
        feed_link = (
            f'<link rel="alternate" type="application/rss+xml" title="{escape(self.site_name)}" '
            f'href="{escape(rss_url)}">\n'
            if self.options.feeds
            else ""
        )
        return (
            f'<meta name="description" content="{escape(description)}">\n'
            f'<link rel="canonical" href="{escape(canonical)}">\n'
            f"{feed_link}"
            f'<meta property="og:site_name" content="{escape(self.site_name)}">\n'
            f'<meta property="og:type" content="{og_type}">\n'
            f'<meta property="og:title" content="{escape(title)}">\n'
            f'<meta property="og:description" content="{escape(description)}">\n'
            f'<meta property="og:url" content="{escape(canonical)}">\n'
            f"{extra}"
        )

    def _header(self, lang: str, switcher: dict[str, str]) -> str:
        ui = _UI[lang]
        menu = "".join(
            f'<li><a href="{escape(section_path(lang, slug))}">{escape(name)}</a></li>'
            for slug, name in self._categories[lang].items()
        )
        active = ' class="active"'
        languages = "".join(
            f'<a href="{escape(switcher.get(code, section_path(code)))}" hreflang="{code}"'
            f"{active if code == lang else ''}>{code.upper()}</a>"
            for code in LANGUAGES
        )
        return (
            '<header class="site-header">\n<div class="container">\n'
            f'<a class="logo" href="{section_path(lang)}" title="{escape(self.site_name)}">'
            f"{escape(self.site_name)}</a>\n"
            f'<nav class="main-menu"><ul><li><a href="{section_path(lang)}">{escape(ui.home)}</a></li>'
            f'<li><a href="{section_path(lang, "news-feed")}">{escape(ui.news_feed)}</a></li>'
            f"{menu}</ul></nav>\n"
            f'<nav class="lang-switcher">{languages}</nav>\n'
            f'<form class="search-form" action="{section_path(lang, "search")}" method="get">'
            f'<input type="search" name="query" placeholder="{escape(ui.search)}"></form>\n'
            f"</div>\n{self._trending(lang)}</header>\n"
        )

    def _trending(self, lang: str) -> str:
        """The bar of trending tags under the menu (with a date picker, as on report.az)."""
        tags = self._trending_tags[lang]
        newest = self._by_lang[lang][0].published.date().isoformat() if self._by_lang[lang] else ""
        links = "".join(f'<li><a href="{escape(self._tag_url(lang, t))}">{escape(t)}</a></li>' for t in tags)
        return (
            '<div class="trending-tags"><div class="container">'
            f'<form class="date-filter" action="{section_path(lang, "news-feed")}">'
            f'<input type="date" name="date" aria-label="date" value="{newest}"></form>'
            f"<ul>{links}</ul></div></div>\n"
        )

    @staticmethod
    def _tag_url(lang: str, tag: str) -> str:
        # Tags link to the search page, which robots.txt keeps crawlers away from.
        return section_path(lang, "search") + "?query=" + quote(tag)

    def _most_read(self, lang: str) -> str:
        # "Most read" has no real statistics behind it: a fixed pseudo-random pick
        # (by slug hash) keeps it deterministic and different from "latest".
        picks = self._most_read_picks[lang]
        linked = "most_read" in self.options.article_links
        items = "".join(
            f'<li>{self._title(a, linked)}<span class="news-date">{format_date(a.published, lang)}</span></li>'
            for a in picks
        )
        return (
            '<aside class="sidebar"><section class="most-read">'
            f"<h3>{escape(_UI[lang].most_read)}</h3><ol>{items}</ol></section></aside>\n"
        )

    def _partner_link(self) -> str:
        redirect = self.options.offsite_redirect
        return f'<li><a href="{escape(redirect)}">Partner</a></li>' if redirect else ""

    def _footer(self, lang: str) -> str:
        ui = _UI[lang]
        year = self._newest_year
        return (
            '<footer class="site-footer">\n<div class="container">\n'
            f'<ul class="footer-menu"><li><a href="{section_path(lang)}">{escape(ui.about)}</a></li>'
            f'<li><a href="{section_path(lang)}">{escape(ui.advertising)}</a></li>'
            f'<li><a href="{section_path(lang, "rss")}">RSS</a></li>{self._partner_link()}</ul>\n'
            f'<div class="contacts"><strong>{escape(ui.contacts)}:</strong> {escape(ui.address)}, '
            "+994 12 000 00 00, editor@report.example</div>\n"
            f'<p class="reuse-note">{escape(ui.reuse_note)}</p>\n'
            f'<p class="copyright">© 2014-{year} {escape(self.site_name)}. {escape(ui.rights)}.</p>\n'
            "</div>\n</footer>\n"
        )

    # ------------------------------------------------------------------ pages

    def _article_page(self, article: Article, base: str) -> Response:
        if article.template == "legacy":
            return self._legacy_article_page(article)
        lang = article.lang
        canonical = base + article.path
        translations = self._stories[article.story_id]
        alternates = "".join(
            f'<link rel="alternate" hreflang="{code}" href="{escape(base + other.path)}">\n'
            for code, other in sorted(translations.items(), key=lambda item: LANGUAGES.index(item[0]))
            if len(translations) > 1
        )
        extra = (
            f'<meta property="og:image" content="{escape(base + article.image_path)}">\n'
            f'<meta name="keywords" content="{escape(", ".join(article.tags))}">\n'
            f"{alternates}"
        )
        if article.structured_data:
            extra += self._structured_data(article, base)
        head = self._head(lang, article.title, article.description, canonical, og_type="article", extra=extra)
        switcher = {code: other.path for code, other in translations.items()}
        main = self._article_main(article)
        document = self._document(lang, article.title, main, head=head, switcher=switcher)
        headers = {"Last-Modified": http_date(article.published)}
        headers["ETag"] = '"' + hashlib.sha1(document.encode()).hexdigest()[:20] + '"'
        return self._html(document, headers)

    def _legacy_article_page(self, article: Article) -> Response:
        """The older template: no canonical, Open Graph, hreflang or JSON-LD; only what a reader sees."""
        lang, ui = article.lang, _UI[article.lang]
        title = escape(article.title)
        category_url = escape(section_path(lang, article.category_slug))
        paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in article.paragraphs)
        tags = ", ".join(f'<a href="{escape(self._tag_url(lang, t))}">{escape(t)}</a>' for t in article.tags)
        shown = f"{format_date(article.published, lang)} | {format_time(article.published)}"
        dateline = f'<div class="date">{shown}</div>\n' if article.shows_date else ""
        main = (
            '<div id="content" class="content-old">\n'
            f'<div class="breadcrumbs"><a href="{section_path(lang)}">{escape(ui.home)}</a> » '
            f'<a href="{category_url}">{escape(article.category)}</a></div>\n'
            f"<h1>{title}</h1>\n"
            f"{dateline}"
            f'<div class="text">\n<p><b>{escape(article.lead)}</b></p>\n{paragraphs}</div>\n'
            f'<div class="tags">{escape(ui.tags)} {tags}</div>\n'
            "</div>\n"
            f"{self._related(article)}"
        )
        head = f'<meta name="description" content="{escape(article.description)}">\n'
        document = self._document(lang, article.title, main, head=head)
        return self._html(document, {"Last-Modified": http_date(article.published)})

    def _structured_data(self, article: Article, base: str) -> str:
        """article:* meta tags and a JSON-LD NewsArticle (only for some articles)."""
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": base + article.path},
            "headline": article.title,
            "description": article.description,
            "image": [base + article.image_path],
            "datePublished": article.published.isoformat(),
            "dateModified": article.published.isoformat(),
            "articleSection": article.category,
            "keywords": ", ".join(article.tags),
            "inLanguage": article.lang,
            "publisher": {"@type": "Organization", "name": self.site_name},
        }
        if article.author:
            data["author"] = {"@type": "Person", "name": article.author}
        tags = "".join(f'<meta property="article:tag" content="{escape(t)}">\n' for t in article.tags)
        return (
            f'<meta property="article:published_time" content="{article.published.isoformat()}">\n'
            f'<meta property="article:section" content="{escape(article.category)}">\n{tags}'
            f'<script type="application/ld+json">\n{_json_ld(data)}\n</script>\n'
        )

    def _article_main(self, article: Article) -> str:
        ui = _UI[article.lang]
        title = escape(article.title)
        category_url = escape(section_path(article.lang, article.category_slug))
        author = f'<span class="news-author">{escape(article.author)}</span>' if article.author else ""
        paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in article.paragraphs)
        tags = "".join(f'<a href="{escape(self._tag_url(article.lang, t))}">{escape(t)}</a>' for t in article.tags)
        return (
            '<article class="news-article">\n'
            f'<h1 class="news-title">{title}</h1>\n'
            '<div class="news-meta">'
            f'<a class="news-category" href="{category_url}">{escape(article.category)}</a>'
            '<ul class="news-datetime">'
            f'<li class="news-date">{format_date(article.published, article.lang)}</li>'
            f'<li class="news-time">{format_time(article.published)}</li></ul>{author}</div>\n'
            f'<figure class="news-image"><img src="{escape(article.image_path)}" alt="{title}" '
            f'srcset="{escape(article.image_path)} 800w, {escape(article.large_image_path)} 1600w" sizes="800px" '
            f'width="800" height="450"><figcaption>{title}</figcaption></figure>\n'
            f'<div class="news-lead"><strong>{escape(article.lead)}</strong></div>\n'
            f'<div class="news-text">\n{paragraphs}</div>\n'
            f'<div class="news-tags"><span class="news-tags-title">{escape(ui.tags)}</span>{tags}</div>\n'
            f"{self._share_buttons(article)}"
            "</article>\n"
            f"{self._related(article)}"
        )

    @staticmethod
    def _share_buttons(article: Article) -> str:
        # Share links point at the public site, like the real ones would.
        url = quote(f"https://report.az{article.path}", safe="")
        text = quote(article.title, safe="")
        links = (
            ("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
            ("twitter", "Twitter", f"https://twitter.com/intent/tweet?url={url}&text={text}"),
            ("whatsapp", "WhatsApp", f"https://api.whatsapp.com/send?text={text}%20{url}"),
            ("telegram", "Telegram", f"https://t.me/share/url?url={url}&text={text}"),
        )
        buttons = "".join(
            f'<a class="share-{name}" href="{escape(href)}" rel="nofollow noopener" target="_blank">{label}</a>'
            for name, label, href in links
        )
        return f'<div class="share-buttons"><span>{escape(_UI[article.lang].share)}</span>{buttons}</div>\n'

    def _related(self, article: Article) -> str:
        others = list(islice((a for a in self._by_lang[article.lang] if a is not article), RELATED_SIZE))
        return (
            f'<section class="related-news">\n<h2>{escape(_UI[article.lang].related)}</h2>\n'
            f"<ul>\n{''.join(self._news_item(a, 'related') for a in others)}</ul>\n</section>\n"
        )

    def _title(self, article: Article, linked: bool, css: str = "") -> str:
        """An article's title in a list: a link, or plain text where the options hide article links."""
        css_class = f' class="{css}"' if css else ""
        if linked:
            return f'<a{css_class} href="{escape(article.path)}">{escape(article.title)}</a>'
        return f"<span{css_class}>{escape(article.title)}</span>"

    def _news_item(self, article: Article, place: str | None = None) -> str:
        """One entry of a list of articles: title (a link unless ``place`` hides them), date and time."""
        linked = place is None or place in self.options.article_links
        return (
            f'<li class="news-item">{self._title(article, linked, "news-item-title")}'
            f'<span class="news-item-date">{format_date(article.published, article.lang)}</span> '
            f'<span class="news-item-time">{format_time(article.published)}</span></li>\n'
        )

    def _home(self, lang: str, base: str) -> str:
        ui = _UI[lang]
        items = "".join(self._news_item(a, "home") for a in self._by_lang[lang][:HOME_SIZE])
        main = (
            f'<section class="latest-news">\n<h1>{escape(ui.tagline)}</h1>\n'
            f'<ul class="news-list">\n{items}</ul>\n'
            f'<a class="all-news" href="{section_path(lang, "news-feed")}">{escape(ui.all_news)}</a>\n'
            "</section>\n"
        )
        head = self._head(lang, ui.tagline, ui.tagline, base + section_path(lang))
        switcher = {code: section_path(code) for code in LANGUAGES}
        return self._document(lang, ui.tagline, main, head=head, switcher=switcher)

    def _listing(
        self,
        lang: str,
        section: str,
        heading: str,
        articles: list[Article],
        query: dict[str, list[str]],
        base: str,
    ) -> Response | None:
        """A paginated list (news feed or category), PAGE_SIZE per page, newest first."""
        page = _page_number(query)
        pages = max(1, -(-len(articles) // PAGE_SIZE))
        if page is None or page > pages:
            return None
        ui = _UI[lang]
        path = section_path(lang, section)
        shown = articles[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        links = []
        if page > 1:
            prev = path if page == 2 else f"?page={page - 1}"
            links.append(f'<a rel="prev" class="pagination-prev" href="{escape(prev)}">{escape(ui.prev_page)}</a>')
        if page < pages:
            links.append(f'<a rel="next" class="pagination-next" href="?page={page + 1}">{escape(ui.next_page)}</a>')
        main = (
            f'<section class="news-listing">\n<h1>{escape(heading)}</h1>\n<ul class="news-list">\n'
            f"{''.join(self._news_item(a, 'listings') for a in shown)}</ul>\n"
            f'<nav class="pagination">{"".join(links)}</nav>\n</section>\n'
        )
        canonical = base + path + (f"?page={page}" if page > 1 else "")
        head = self._head(lang, heading, f"{heading} - {ui.tagline}", canonical)
        return self._html(self._document(lang, heading, main, head=head))

    def _search(self, lang: str, query: dict[str, list[str]], base: str) -> str:
        ui = _UI[lang]
        needle = (query.get("query") or [""])[-1].strip()
        found = [
            a for a in self._by_lang[lang] if needle and (needle.casefold() in a.title.casefold() or needle in a.tags)
        ]
        items = "".join(self._news_item(a) for a in found) or f"<li>{escape(ui.nothing_found)}</li>\n"
        main = (
            f'<section class="search-results">\n<h1>{escape(ui.search_results)}: {escape(needle)}</h1>\n'
            f'<ul class="news-list">\n{items}</ul>\n</section>\n'
        )
        head = self._head(lang, ui.search, ui.search, base + section_path(lang, "search")) + (
            '<meta name="robots" content="noindex, follow">\n'
        )
        return self._document(lang, ui.search, main, head=head)

    def _not_found(self, path: str, base: str) -> Response:
        first = path.strip("/").split("/", 1)[0]
        lang = first if first in LANGUAGES[1:] else "az"
        ui = _UI[lang]
        main = f'<section class="not-found">\n<h1>404</h1>\n<p>{escape(ui.not_found_text)}</p>\n</section>\n'
        head = self._head(lang, ui.not_found, ui.not_found, base + quote(path))
        return self._html(self._document(lang, ui.not_found, main, head=head), status=404)
