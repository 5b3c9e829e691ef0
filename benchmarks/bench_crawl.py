"""newsarchive against its peers on one generated site, in one run; then the latency sweep.

    python benchmarks/bench_crawl.py [--articles 2000] [--cache DIR] [--only NAME,...] [--no-sweep] [--rounds N]

The site is the fault tests' generated Report.az-style site (``tests/big_site.py``: a fifth of the articles in
the older template that declares nothing), with articles as long as the seed article and the newest 50 of each
language in its RSS feeds, served by
``newsarchive.demo.server`` from its own process. Each tool runs as a subprocess against it, one after the other:

- ``newsarchive``: ``crawl BASE/ BASE/sitemap.xml --delay 0 --concurrency 16`` (no profile: generic discovery
  and article recognition), with WARCs rotating at 2 MB so the run also shows the longest gap between two
  records written across rotations; ``newsarchive --no-requisites``: the same without page requisites (pages
  only, as trafilatura and news-please fetch); ``newsarchive --no-extract``: the same, archive only;
- ``no-op Scrapy``: ``benchmarks/noop_crawl.py``, the same discovery and start points, nothing kept;
- ``wget``: Debian's ``wget --mirror --warc-file`` (archive only, no sitemaps);
- ``trafilatura``: its CLI from its own venv, ``--sitemap BASE/ --list`` then ``-i urls.txt --json
  --with-metadata``. Adapter: courlan rejects ``IP:PORT`` URLs, so the site is named ``bench.test:PORT``, which
  ``benchmarks/adapters/trafilatura/sitecustomize.py`` resolves to 127.0.0.1 (and SSRF protection is off in a
  copy of its settings file, with ``SLEEP_TIME = 0`` as newsarchive runs with ``--delay 0``); the one-step
  ``--sitemap`` mode never ends, so it runs as the two steps above;
- ``news-please``: from its own venv with a config of the site (SitemapCrawler, JSON file storage). Adapter:
  its ``allowed_domains`` keeps the port, which Scrapy's OffsiteMiddleware never matches, so
  ``benchmarks/adapters/newsplease/sitecustomize.py`` strips it.

The peers' venvs live under the cache directory (``benchmarks/.cache``, gitignored), made on first use.
For each tool: wall seconds, pages (requests the server answered), pages/s, articles/s (what it extracted),
CPU seconds (the whole process tree) and peak RSS (of its largest process; with its workers summed, for
newsarchive); newsarchive's ratio to each. Then newsarchive's CPU ms per page by stage: analysis (its workers),
WARC write and index (timed again offline on the crawl's own records), fetch (the rest of the crawl process:
Scrapy, discovery, scheduling), and the extraction-only bound (articles / analysis CPU over the cores). And for
newsarchive's crawls, the CPU of the crawl, of the site's server and of the whole machine (``/proc/stat``) in two
phases, told apart by the server's request log: while the articles are fetched (from the first article's request
to the last one's answer), and after (the listing chains that remain, the requisites).

With ``--rounds N`` the tools run N times, one after the other in each round, and the ratios of newsarchive's
articles/s to each peer's are given per round with their median: on a shared host the machine's own speed moves
between runs a few minutes apart (the same crawl took 31 and 47 CPU seconds), and a ratio taken within one round
compares runs made under the same conditions. The stages, the longest gap and the phases are those of the first
round.

The latency sweep serves each response after 200 ms and crawls with ``--concurrency`` 1, 4 and 16; pages/s is
the server's steady rate (the requests between the first and the last tenth of the crawl's, over the time between
them), next to 0.8 x N / latency.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from big_site import write_big_site  # noqa: E402

# Articles as long as the seed Report.az article (about 2,500 characters of text), not the tests' short ones.
PARAGRAPHS, SENTENCES = 6, 5
# Items per RSS feed, as news sites keep theirs (report.az's hold the newest few dozen). A feed of every article
# would be one page of 3 MB at 20,000 articles: the memory of one huge page, not of the crawl's length.
FEED_SIZE = 50
PEERS = {"trafilatura": ["trafilatura", "lxml_html_clean"], "news-please": ["news-please"]}
CORES = len(os.sched_getaffinity(0))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Sample:
    """CPU seconds so far, at a moment of a run: of the tool's process tree, of the site's server, of the machine."""

    at: float  # time.time(), the clock of the server's request log
    tree: float
    server: float
    machine: float


@dataclass
class Run:
    """What one tool did."""

    name: str
    wall: float = 0.0
    pages: int = 0
    articles: int | None = None
    cpu: float = 0.0
    peak_rss: int = 0  # bytes, the largest process
    peak_tree_rss: int = 0  # bytes, the process tree at its largest
    cpu_by_pid: dict[int, float] = field(default_factory=dict)
    root_pid: int = 0
    timeline: list[Sample] = field(default_factory=list)
    served_from: int = 0  # the server's request log line of its first request
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def articles_per_s(self) -> float | None:
        return self.articles / self.wall if self.articles is not None and self.wall else None


# ---------------------------------------------------------------- processes


def _stat(pid: int) -> tuple[int, float, int] | None:
    """ppid, CPU seconds (own) and RSS bytes of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[21]) * PAGE_SIZE


def _machine_cpu() -> float:
    """CPU seconds the machine has been busy since boot (every core; idle and I/O wait left out)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _children(pid: int) -> set[int]:
    """The child processes of every thread of ``pid``."""
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children.update(int(child) for child in task.read_text().split())
        except OSError:
            continue
    return children


class TreeSampler(threading.Thread):
    """Samples a process tree every 100 ms: peak summed RSS, each process's last seen CPU, and a timeline of the
    tree's, the server's and the machine's CPU. The tree is walked through each process's children, not the whole
    of /proc: the sampler shares the cores it measures."""

    def __init__(self, root: int, server: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.server = server
        self.timeline: list[Sample] = []
        self.peak_tree = 0
        self.peak_one = 0
        self.cpu: dict[int, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.1):
            tree, frontier = set(), {self.root}
            while frontier:
                tree |= frontier
                frontier = set().union(*(_children(pid) for pid in frontier)) - tree
            stats = {pid: s for pid in tree if (s := _stat(pid))}
            rss = [stat[2] for stat in stats.values()]
            self.peak_tree = max(self.peak_tree, sum(rss))
            self.peak_one = max([self.peak_one, *rss])
            for pid, stat in stats.items():
                self.cpu[pid] = stat[1]
            server = _stat(self.server)
            self.timeline.append(
                Sample(time.time(), sum(self.cpu.values()), server[1] if server else 0.0, _machine_cpu())
            )

    def stop(self) -> None:
        self._done.set()
        self.join()


def measure(name: str, command: list[str], server: Server, **popen: object) -> Run:
    """Run ``command`` to its end; wall, CPU of its tree, peak RSS, and the requests the server answered."""
    before = os.times()
    served = server.served()
    started = time.perf_counter()
    process = subprocess.Popen(command, **popen)  # type: ignore[call-overload]
    sampler = TreeSampler(process.pid, server.process.pid)
    sampler.start()
    _, status, _ = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    after = os.times()
    if process.returncode != 0:
        print(f"  {name}: exit code {process.returncode}", file=sys.stderr)
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Run(
        name=name,
        wall=wall,
        pages=server.served() - served,
        cpu=cpu,
        # Not ru_maxrss: it counts the forked benchmark process before the exec.
        peak_rss=sampler.peak_one,
        peak_tree_rss=sampler.peak_tree,
        cpu_by_pid=sampler.cpu,
        root_pid=process.pid,
        timeline=sampler.timeline,
        served_from=served,
    )


@dataclass
class Server:
    """The demo server in its own process, with its request log."""

    process: subprocess.Popen[str]
    url: str
    log: Path

    def served(self) -> int:
        with open(self.log, "rb") as lines:
            return sum(1 for _ in lines)

    def starts(self, since: int = 0) -> list[float]:
        return sorted(request["started"] for request in self.requests(since))

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The requests answered from the ``since``-th on (path, start and end time, status...)."""
        with open(self.log, encoding="utf-8") as lines:
            return [json.loads(line) for n, line in enumerate(lines) if n >= since]


@contextmanager
def serve(data: Path, work: Path, delay_ms: float = 0.0) -> Iterator[Server]:
    log = work / f"requests-{delay_ms:g}.jsonl"
    log.touch()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive.demo.server", "--data", str(data), "--request-log", str(log),
         "--delay-ms", str(delay_ms)],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        yield Server(process, url, log)
    finally:
        process.terminate()
        process.wait()


def venv(cache: Path, peer: str) -> Path:
    """The peer's own venv under the cache (made on first use); its bin directory."""
    home = cache / f"venv-{peer}"
    if not (home / "ok").exists():
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        subprocess.run([str(home / "bin" / "pip"), "install", "-q", *PEERS[peer]], check=True)
        (home / "ok").touch()
    return home / "bin"


def version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


# ---------------------------------------------------------------- the tools


def _crawl_code(
    base: str, archive: Path, extract: bool, concurrency: int, max_pages: int | None, requisites: bool
) -> str:
    return (
        "import sys\n"
        "from newsarchive.spiders.crawl import crawl\n"
        f"summary = crawl([{base + '/'!r}, {base + '/sitemap.xml'!r}], {str(archive)!r}, delay=0, "
        f"concurrency={concurrency}, max_pages={max_pages!r}, no_extract={not extract!r}, log_level='ERROR', "
        f"requisites={requisites!r}, "
        "extra={'NEWSARCHIVE_WARC_MAX_SIZE': 2_000_000})\n"
        "print(summary.articles)\n"
        "sys.exit(summary.exit_code)\n"
    )


def run_newsarchive(
    server: Server,
    work: Path,
    *,
    extract: bool = True,
    requisites: bool = True,
    concurrency: int = 16,
    max_pages: int | None = None,
) -> Run:
    name = "newsarchive" + ("" if extract else " --no-extract") + ("" if requisites else " --no-requisites")
    archive = work / name.replace(" ", "")
    shutil.rmtree(archive, ignore_errors=True)
    code = _crawl_code(server.url, archive, extract, concurrency, max_pages, requisites)
    out = work / f"{archive.name}.out"
    with open(out, "w") as stdout:
        run = measure(name, [sys.executable, "-c", code], server, stdout=stdout, cwd=REPO)
    lines = out.read_text().split()
    run.articles = int(lines[-1]) if extract and lines else None
    run.extra["archive"] = archive
    return run


def run_noop(server: Server, work: Path) -> Run:
    return measure("no-op Scrapy", [sys.executable, str(REPO / "benchmarks" / "noop_crawl.py"), server.url], server,
                   stdout=subprocess.DEVNULL, cwd=REPO)  # fmt: skip


def run_wget(server: Server, work: Path) -> Run:
    target = work / "wget"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    command = ["wget", "--mirror", "--no-verbose", "--quiet", "--warc-file", str(target / "site"), "-P", str(target),
               "--header", "Accept-Encoding: identity", server.url + "/"]  # fmt: skip
    return measure("wget --mirror", command, server, cwd=target)


def run_trafilatura(server: Server, work: Path, cache: Path) -> Run:
    bin_dir = venv(cache, "trafilatura")
    port = server.url.rsplit(":", 1)[1]
    named = f"http://bench.test:{port}"
    env = dict(os.environ, PYTHONPATH=str(REPO / "benchmarks" / "adapters" / "trafilatura"))
    packaged = next((bin_dir.parent / "lib").glob("python*/site-packages/trafilatura/settings.cfg"))
    settings = work / "trafilatura-settings.cfg"
    # As newsarchive runs with --delay 0: no 5 s pause between two requests to the host.
    text = packaged.read_text().replace("SSRF_PROTECTION = on", "SSRF_PROTECTION = off")
    settings.write_text(text.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0"))
    urls, output = work / "trafilatura-urls.txt", work / "trafilatura.jsonl"
    command = f"{bin_dir / 'trafilatura'} --config-file {settings}"
    script = f"{command} --sitemap {named}/ --list > {urls} && {command} -i {urls} --json --with-metadata > {output}"
    run = measure("trafilatura CLI", ["sh", "-c", script], server, env=env, cwd=work)
    run.articles = sum(1 for line in output.read_text().splitlines() if line.startswith("{"))
    run.extra["urls"] = sum(1 for _ in urls.read_text().splitlines())
    return run


def run_newsplease(server: Server, work: Path, cache: Path) -> Run:
    bin_dir = venv(cache, "news-please")
    config = work / "newsplease-config"
    shutil.rmtree(config, ignore_errors=True)
    config.mkdir()
    data = work / "newsplease-data"
    shutil.rmtree(data, ignore_errors=True)
    packaged = next((bin_dir.parent / "lib").glob("python*/site-packages/newsplease/config/config.cfg"))
    text = packaged.read_text()
    text = text.replace("working_path = ~/news-please-repo/", f"working_path = {data}/")
    text = text.replace("'newsplease.pipeline.pipelines.HtmlFileStorage':200,", "")
    (config / "config.cfg").write_text(text)
    sitelist = {"base_urls": [{"url": server.url + "/", "crawler": "SitemapCrawler"}]}
    (config / "sitelist.hjson").write_text(json.dumps(sitelist))
    env = dict(os.environ, PYTHONPATH=str(REPO / "benchmarks" / "adapters" / "newsplease"))
    with open(work / "newsplease.log", "w") as log:
        run = measure("news-please", [str(bin_dir / "news-please"), "-c", str(config) + "/", "-no-confirm"],
                      server, env=env, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                      stderr=log)  # fmt: skip
    run.articles = sum(1 for _ in data.rglob("*.json"))
    return run


# ---------------------------------------------------------------- newsarchive's stages


# The stages are timed again offline on at most this many of the crawl's responses (an even spread), and scaled.
STAGE_SAMPLE = 4000


def stage_costs(run: Run, work: Path) -> dict[str, float]:
    """CPU ms per page by stage, from the crawl's own records; and the extraction-only bound."""
    from warcio.archiveiterator import ArchiveIterator

    from newsarchive.archive.articles import ArticleIndex
    from newsarchive.archive.records import HttpExchange, RecordLocation
    from newsarchive.archive.writer import WarcWriter
    from newsarchive.discover.pages import analyse_page
    from newsarchive.extract import ExtractionHints

    archive: Path = run.extra["archive"]  # type: ignore[assignment]
    exchanges: list[HttpExchange] = []
    responses = run.pages  # about one response record a request
    stride = max(1, -(-responses // STAGE_SAMPLE))
    seen = 0
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                seen += 1
                if seen % stride:
                    continue
                headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in record.http_headers.headers]
                exchanges.append(
                    HttpExchange(
                        url=record.rec_headers.get_header("WARC-Target-URI"), method="GET", request_headers=[],
                        protocol="HTTP/1.1", status=int(record.http_headers.get_statuscode()), reason="OK",
                        response_headers=headers, body=record.content_stream().read(),
                        date=_now(),
                    )
                )  # fmt: skip
    scratch = Path(tempfile.mkdtemp(dir=work))
    started = time.process_time()
    with WarcWriter(scratch / "warc", warcinfo={"software": "bench"}, indexes=scratch / "indexes") as writer:
        for exchange in exchanges:
            writer.write_exchange(exchange)
    write = time.process_time() - started
    started = time.process_time()
    hints = ExtractionHints()
    articles = []
    for exchange in exchanges:
        content_type = dict(exchange.response_headers).get(b"Content-Type", b"")
        if exchange.status == 200 and b"html" in content_type:
            article = analyse_page(exchange.body, exchange.url, content_type, hints, known_article_url=True).article
            if article is not None:
                articles.append(article)
    analysis_offline = time.process_time() - started
    index = ArticleIndex(scratch / "indexes", _now())
    location = RecordLocation("bench.warc.gz", 0, 1, "<urn:uuid:bench>", date=_now())
    started = time.process_time()
    for article in articles:
        index.add(article, location, _now(), None)
    index.close()
    index_cpu = time.process_time() - started
    shutil.rmtree(scratch)
    scale = seen / max(len(exchanges), 1)
    write, analysis_offline, index_cpu = write * scale, analysis_offline * scale, index_cpu * scale
    pages = max(run.pages, 1)
    workers = sum(cpu for pid, cpu in run.cpu_by_pid.items() if pid != run.root_pid)
    crawl_process = run.cpu_by_pid.get(run.root_pid, run.cpu - workers)
    analysis = workers
    fetch = crawl_process - write - index_cpu
    bound = (run.articles or 0) / (analysis / CORES) if analysis else 0.0
    return {
        "fetch": 1000 * fetch / pages,
        "warc write": 1000 * write / pages,
        "analysis": 1000 * analysis / pages,
        "index": 1000 * index_cpu / pages,
        "analysis offline (1 process)": 1000 * analysis_offline / pages,
        "bound": bound,
    }


def cpu_by_phase(run: Run, server: Server, article_paths: set[str]) -> dict[str, dict[str, float]]:
    """Percent of one core used by the crawl's tree, the server and the machine, while the articles are fetched
    (from the first article's request to the last one's answer) and after, to the crawl's end (what is left
    then: the listing chains, the requisites); each phase's seconds."""
    requests = server.requests(run.served_from)
    times = [(r["started"], r["ended"]) for r in requests if r["path"] in article_paths]
    if not times or len(run.timeline) < 2:
        return {}
    first, last = min(t[0] for t in times), max(t[1] for t in times)
    end = max(r["ended"] for r in requests)

    def at(moment: float) -> Sample:
        return min(run.timeline, key=lambda sample: abs(sample.at - moment))

    phases = {}
    for name, (start, stop) in {"articles": (first, last), "after": (last, end)}.items():
        a, b = at(start), at(stop)
        seconds = b.at - a.at
        if seconds > 0:
            phases[name] = {
                "seconds": stop - start,
                "crawl": 100 * (b.tree - a.tree) / seconds,
                "server": 100 * (b.server - a.server) / seconds,
                "machine": 100 * (b.machine - a.machine) / seconds,
            }
    return phases


def print_phases(run: Run, phases: dict[str, dict[str, float]]) -> None:
    labels = {"articles": "while the articles were fetched", "after": "after the last article"}
    for name, phase in phases.items():
        print(f"{run.name} CPU {labels[name]} ({phase['seconds']:.1f} s): crawl {phase['crawl']:.0f}%, "
              f"site's server {phase['server']:.0f}%, machine {phase['machine']:.0f}% of one core")  # fmt: skip


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def longest_gap(archive: Path) -> float:
    """The longest time between two records written, over every WARC of the crawl (rotations included)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.timeutils import iso_date_to_datetime

    dates = []
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    dates.append(iso_date_to_datetime(record.rec_headers.get_header("WARC-Date")).timestamp())
    dates.sort()
    return max((b - a for a, b in itertools.pairwise(dates)), default=0.0)


# ---------------------------------------------------------------- output


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f}"


def print_round_ratios(rounds: list[list[Run]]) -> None:
    """newsarchive's articles/s over each peer's, with and without page requisites, per round and their median."""
    peers = [run.name for run in rounds[0] if run.articles and not run.name.startswith("newsarchive")]
    for ours in ("newsarchive", "newsarchive --no-requisites"):
        for peer in peers:
            ratios = []
            for runs in rounds:
                by_name = {run.name: run for run in runs}
                mine, theirs = by_name.get(ours), by_name.get(peer)
                if mine and theirs and mine.articles_per_s and theirs.articles_per_s:
                    ratios.append(mine.articles_per_s / theirs.articles_per_s)
            if ratios:
                print(f"{ours} / {peer} articles/s by round: " + ", ".join(f"{r:.2f}x" for r in ratios)
                      + f"; median {statistics.median(ratios):.2f}x")  # fmt: skip


def print_table(runs: list[Run]) -> None:
    """The runs, with newsarchive's ratios to each: pages/s and articles/s of the full crawl, and articles/s of
    the crawl without page requisites (pages only, as trafilatura and news-please fetch)."""
    ours = next((r for r in runs if r.name == "newsarchive"), None)
    bare = next((r for r in runs if r.name == "newsarchive --no-requisites"), None)

    def ratio(mine: float | None, theirs: float | None) -> str:
        return f"{mine / theirs:.2f}x" if mine and theirs else "-"

    print(f"{'tool':<30}{'wall s':>8}{'pages':>7}{'pages/s':>9}{'art.':>6}{'art./s':>8}{'CPU s':>7}"
          f"{'RSS MB':>8}{'tree MB':>8}{'ours/it pages/s':>16}{'art./s':>8}{'no-req art./s':>14}")  # fmt: skip
    for run in runs:
        articles = "-" if run.articles is None else str(run.articles)
        per_s = "-" if run.articles_per_s is None else f"{run.articles_per_s:.1f}"
        print(f"{run.name:<30}{run.wall:>8.1f}{run.pages:>7}{run.pages_per_s:>9.1f}{articles:>6}{per_s:>8}"
              f"{run.cpu:>7.1f}{_mb(run.peak_rss):>8}{_mb(run.peak_tree_rss):>8}"
              f"{ratio(ours and ours.pages_per_s, run.pages_per_s):>16}"
              f"{ratio(ours and ours.articles_per_s, run.articles_per_s):>8}"
              f"{ratio(bare and bare.articles_per_s, run.articles_per_s):>14}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--cache", type=Path, default=REPO / "benchmarks" / ".cache")
    parser.add_argument(
        "--only", help="comma-separated: newsarchive,no-requisites,no-extract,noop,wget,trafilatura,news-please,sweep"
    )
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--rounds", type=int, default=1, help="run the tools this many times, in turn")
    arguments = parser.parse_args()
    only = set(arguments.only.split(",")) if arguments.only else None
    cache: Path = arguments.cache
    cache.mkdir(parents=True, exist_ok=True)
    data = cache / f"site-{arguments.articles}-{PARAGRAPHS}x{SENTENCES}-feeds{FEED_SIZE}.json"
    if not data.exists():
        write_big_site(data, arguments.articles, PARAGRAPHS, SENTENCES, FEED_SIZE)
    work = Path(tempfile.mkdtemp(prefix="bench-crawl-", dir=cache))
    print(f"{arguments.articles} articles, {CORES} cores, load average {os.getloadavg()[0]:.2f} at the start; "
          f"python {sys.version.split()[0]}, {version(['wget', '--version'])}")  # fmt: skip

    def wanted(key: str) -> bool:
        return only is None or key in only

    article_paths = {article["path"] for article in json.loads(data.read_text(encoding="utf-8"))["articles"]}
    rounds: list[list[Run]] = []
    phases: dict[str, dict[str, dict[str, float]]] = {}
    stages = None
    gap = None
    with serve(data, work) as server:
        for number in range(max(1, arguments.rounds)):
            first = number == 0
            runs: list[Run] = []
            rounds.append(runs)
            if wanted("newsarchive"):
                runs.append(run_newsarchive(server, work))
                if first:
                    phases[runs[-1].name] = cpu_by_phase(runs[-1], server, article_paths)
                    stages = stage_costs(runs[-1], work)
                    gap = longest_gap(runs[-1].extra["archive"])  # type: ignore[arg-type]
            if wanted("no-requisites"):
                runs.append(run_newsarchive(server, work, requisites=False))
                if first:
                    phases[runs[-1].name] = cpu_by_phase(runs[-1], server, article_paths)
            if wanted("no-extract"):
                runs.append(run_newsarchive(server, work, extract=False))
            if wanted("noop"):
                runs.append(run_noop(server, work))
            if wanted("wget"):
                runs.append(run_wget(server, work))
            if wanted("trafilatura"):
                runs.append(run_trafilatura(server, work, cache))
            if wanted("news-please"):
                runs.append(run_newsplease(server, work, cache))
            if arguments.rounds > 1:
                print(f"round {number + 1}:")
            print_table(runs)
    if len(rounds) > 1:
        print_round_ratios(rounds)
    runs = rounds[0]
    no_extract = next((r for r in runs if r.name == "newsarchive --no-extract"), None)
    noop = next((r for r in runs if r.name == "no-op Scrapy"), None)
    if no_extract and noop:
        print(f"--no-extract / no-op Scrapy pages/s: {no_extract.pages_per_s / noop.pages_per_s:.2f}")
    if stages is not None:
        ours = runs[0]
        bound = stages.pop("bound")
        print("newsarchive CPU ms per page: " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
        print(f"CPU while crawling: {100 * ours.cpu / ours.wall:.0f}% of one core; extraction-only bound "
              f"{bound:.1f} articles/s on {CORES} cores; achieved/bound {(ours.articles_per_s or 0) / bound:.2f}"
              if bound else "")  # fmt: skip
        print(f"longest gap between two records written (WARCs rotating at 2 MB): {gap:.3f} s")
    for run in runs:
        print_phases(run, phases.get(run.name, {}))
    if not arguments.no_sweep and (only is None or "sweep" in only):
        sweep(data, work, arguments.latency_ms)
    print(f"load average {os.getloadavg()[0]:.2f} at the end; work files in {work}")
    return 0


def steady_rate(starts: list[float]) -> float:
    """Requests per second once the crawl is under way: between the first and the last tenth of its requests
    (the first ones wait for robots.txt and the sitemaps, the last ones for the crawl to drain)."""
    if len(starts) < 10:
        return (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else 0.0
    first, last = len(starts) // 10, len(starts) - 1 - len(starts) // 10
    return (last - first) / (starts[last] - starts[first])


def sweep(data: Path, work: Path, latency_ms: float) -> None:
    """Pages/s with the server answering after ``latency_ms``, at --concurrency 1, 4, 16."""
    print(f"latency sweep: every response after {latency_ms:g} ms")
    print(f"{'--concurrency':>14}{'pages':>7}{'pages/s':>9}{'0.8 x N / latency':>19}")
    with serve(data, work, latency_ms) as server:
        for concurrency in (1, 4, 16):
            served = server.served()
            run = run_newsarchive(server, work, concurrency=concurrency, max_pages=min(60 * concurrency, 600))
            rate = steady_rate(server.starts(served))
            target = 0.8 * concurrency / (latency_ms / 1000)
            print(f"{concurrency:>14}{run.pages:>7}{rate:>9.1f}{target:>19.1f}")


if __name__ == "__main__":
    sys.exit(main())
