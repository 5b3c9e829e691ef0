"""newsarchive's Scrapy settings (``scrapy.cfg`` points here); ``crawl()`` layers its options on top.

The one place of every ``NEWSARCHIVE_*`` default: components read a setting without restating its default.
"""

from newsarchive.archive.content import MAX_DECODED_SIZE
from newsarchive.archive.layout import DEFAULT_WARC_MAX_SIZE, DEFAULT_WARC_PREFIX
from newsarchive.workers import default_workers

BOT_NAME = "newsarchive"
# The spider module only: walking the package would import every module (sharedqueue needs scrapy-redis).
SPIDER_MODULES = ["newsarchive.spiders.news"]

ROBOTSTXT_OBEY = True
# Scrapy's default parser (Protego), which also tells the robots.txt Sitemap lines (spiders/politeness.py).
ROBOTSTXT_PARSER = "newsarchive.spiders.politeness.RobotsTxtParser"
# Sites see who crawls and how to reach the operator: crawl() appends NEWSARCHIVE_CONTACT when set.
USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"

# Politeness: a news site is crawled every few minutes for months; be a guest it never notices.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# The delay is kept as asked, not drawn between 0.5 and 1.5 times it: a crawler that names itself has no rhythm to
# hide, and a drawn delay only ever lengthens the spacing (a shorter draw is overtaken by the response time), so
# fewer requests were in flight than --concurrency says (12 of 16 at 200 ms a response).
DOWNLOAD_DELAY_JITTER = 0.0
# Requests waiting to be fetched are kept on disk, in the archive, for this run only (spiders/frontier.py).
SCHEDULER = "newsarchive.spiders.frontier.DiskQueueScheduler"
# ...each with its newest NEWSARCHIVE_QUEUE_MEMORY requests in memory (spiders/frontier.py).
SCHEDULER_DISK_QUEUE = "newsarchive.spiders.frontier.BufferedLifoDiskQueue"
NEWSARCHIVE_QUEUE_MEMORY = 16
# Requests seen, as 8 bytes each (spiders/frontier.py).
DUPEFILTER_CLASS = "newsarchive.spiders.frontier.CompactDupeFilter"
RETRY_ENABLED = True
RETRY_TIMES = 2
# Retries wait: the server's Retry-After (up to NEWSARCHIVE_RETRY_AFTER_MAX s), else 1 s, 2 s, 4 s...;
# and each retry doubles the host's delay, from 1 s up to 8 s (a dead host must not stall cron for hours)
# (spiders/retry.py).
NEWSARCHIVE_RETRY_BACKOFF = 1.0
NEWSARCHIVE_RETRY_BACKOFF_MAX = 8.0
NEWSARCHIVE_RETRY_AFTER_MAX = 60.0
# Download errors name the URL and the reason on one line (spiders/logs.py).
LOG_FORMATTER = "newsarchive.spiders.logs.ReasonLogFormatter"
# A robots.txt Crawl-delay above this many seconds is capped (a typo must not stall a crawl for hours).
NEWSARCHIVE_MAX_CRAWL_DELAY = 60.0
DOWNLOAD_TIMEOUT = 30
# A body past the cap is archived truncated, up to the cap, and not parsed (spiders/truncation.py).
# The cap holds for the decompressed body too (HttpCompressionMiddleware stops inflating past it);
# reindex and verify decode stored bodies under the same cap.
DOWNLOAD_MAXSIZE = MAX_DECODED_SIZE
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
# A body cut short by the server is archived with WARC-Truncated, not dropped (spiders/truncation.py).
DOWNLOAD_FAIL_ON_DATALOSS = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Nor Scrapy's remote control: a cron crawl opens no endpoint that runs code sent to it, and leaves no job file
# behind in the home directory when it is killed.
REMOTE_CONTROL_ENABLED = False
REDIRECT_MAX_TIMES = 10

# Archive every response head exactly as received (reason phrase, header case and order, Transfer-Encoding).
DOWNLOAD_HANDLERS = {
    "http": "newsarchive.spiders.handler.RawHeadDownloadHandler",
    "https": "newsarchive.spiders.handler.RawHeadDownloadHandler",
}
# Ask for the identity coding, as Heritrix and wget do: a page that did not change then has the same payload
# digest on every fetch (a revisit), whatever compression level or CDN node served it. A server that
# compresses anyway is archived as sent, and Scrapy's HttpCompressionMiddleware still decodes it for parsing.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "identity",
}

# A host that cannot be reached is given up after this many connection failures in a row (a name that does not
# resolve: at once), and names under .invalid fail without a query (spiders/reachability.py).
NEWSARCHIVE_HOST_FAILURES = 3
TWISTED_DNS_RESOLVER = "newsarchive.spiders.reachability.ReservedNameResolver"
# After the first SIGINT/SIGTERM, downloads still in flight this many seconds later are not waited for.
NEWSARCHIVE_STOP_GRACE = 3.0
# The live status line on a terminal (the CLI turns it on; spiders/progress.py), redrawn every this many seconds.
NEWSARCHIVE_PROGRESS = False
NEWSARCHIVE_PROGRESS_INTERVAL = 1.0

EXTENSIONS = {
    "newsarchive.spiders.capture.WarcCapture": 0,
    "newsarchive.spiders.outcome.StartUrlErrors": 0,
    "newsarchive.spiders.progress.LiveStatus": 0,
    # After Scrapy's AutoThrottle (0): it raises a slot's delay back to the Crawl-delay after AutoThrottle's
    # adjustment of it.
    "newsarchive.spiders.politeness.RobotsCrawlDelay": 10,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsarchive.spiders.politeness.RobotsTxt": 100,
    # After robots.txt (100): a request robots.txt forbids is not counted against --max-pages.
    "newsarchive.spiders.politeness.PageBudget": 120,
    # --max-articles: article requests in flight plus articles archived stay within the budget.
    "newsarchive.spiders.budget.ArticleRequestBudget": 125,
    "newsarchive.spiders.conditional.ConditionalRequests": 130,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # Scrapy's retries, each doubling the host's delay, after a wait (Retry-After or the backoff).
    "newsarchive.spiders.retry.BackoffRetryMiddleware": 550,
    # Just outside the retries (its process_exception runs first): a dead host is not retried.
    "newsarchive.spiders.reachability.UnreachableHosts": 560,
    # Stops downloads at the size cap; drops truncated responses before any middleware but DownloaderStats
    # (850) sees them (redirects, retries, decompression, validators).
    "newsarchive.spiders.truncation.TruncatedBodies": 800,
    # Just outside RedirectMiddleware (600): logs why a redirect is not followed.
    "newsarchive.spiders.safety.RedirectRefusalLog": 650,
    # Distributed crawls only (crawl --redis): innermost, a request waits for its host's shared slot.
    "newsarchive.spiders.distributed.SharedHostSlots": 990,
}
SPIDER_MIDDLEWARES = {
    # Distributed crawls only: outermost, tells the shared scheduler when a response is fully processed.
    "newsarchive.spiders.distributed.ProcessedRequests": 10,
    # Every middleware wraps each page's output once more, and these two do nothing here: no depth limit
    # (discovery bounds the crawl) and every request's meta is built afresh (never copied from a response).
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# A page's output (its requests, its article) is processed one at a time: the pipelines are synchronous, so
# more gives no parallelism, and Scrapy starts this many tasks for every response.
CONCURRENT_ITEMS = 1
# A distributed worker whose heartbeat is this many seconds old is taken for dead; its requests go back.
NEWSARCHIVE_REDIS_WORKER_TTL = 30.0
ITEM_PIPELINES = {
    # --max-articles: the hard cap, before the index.
    "newsarchive.spiders.budget.ArticleBudgetPipeline": 200,
    "newsarchive.spiders.pipelines.ArticleIndexPipeline": 300,
}

# Page analysis (parsing, links, article extraction) runs in this many worker processes (workers.py);
# 0 runs it on one thread of the crawl's own process.
NEWSARCHIVE_EXTRACT_WORKERS = default_workers()
# False (crawl --no-extract): archive only, WARCs and CDXJ; pages are parsed for links, articles are not
# extracted (`newsarchive reindex` does it later).
NEWSARCHIVE_EXTRACT = True
NEWSARCHIVE_WARC_MAX_SIZE = DEFAULT_WARC_MAX_SIZE
NEWSARCHIVE_WARC_PREFIX = DEFAULT_WARC_PREFIX
# Who runs the crawl, named in each WARC's warcinfo (--operator, $NEWSARCHIVE_OPERATOR, or the profile's operator).
NEWSARCHIVE_OPERATOR = ""
# What else each WARC's warcinfo says of the crawl (crawl() sets them: spiders/capture.py).
NEWSARCHIVE_COLLECTION = ""
NEWSARCHIVE_PROFILE_NAME = ""
NEWSARCHIVE_SEEDS: list[str] = []
NEWSARCHIVE_DESCRIPTION = ""
# How URLs are compared (the profile's trailing_slash policy; crawl() sets it): the seen-set and versions.
NEWSARCHIVE_TRAILING_SLASH = "keep"
# Page requisites (stylesheets, images, fonts, icons) of article and home pages are archived (--no-requisites).
NEWSARCHIVE_REQUISITES = True

LOG_LEVEL = "WARNING"
