"""A real scrapyd on 127.0.0.1: the project deploys with ``scrapyd-deploy`` from ``scrapy.cfg``, a scheduled job
crawls the fixture site into an archive given as a spider argument, and the archive exports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixture_site import run_site
from helpers import REPO_ROOT, run_cli
from redis_server import free_port

PROJECT_FILES = ("newsarchive", "pyproject.toml", "setup.py", "scrapy.cfg", "README.md")


def _api(base: str, endpoint: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """scrapyd on a free port of 127.0.0.1, its state in a temporary directory; yields its base URL."""
    directory = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (directory / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {directory / 'eggs'}\nlogs_dir = {directory / 'logs'}\ndbs_dir = {directory / 'dbs'}\n"
        "items_dir =\nmax_proc = 2\npoll_interval = 0.5\n"
    )
    scrapyd = Path(sys.executable).with_name("scrapyd")
    process = subprocess.Popen([str(scrapyd)], cwd=directory, stdout=subprocess.DEVNULL,
                               stderr=open(directory / "scrapyd.err", "wb"))  # noqa: SIM115  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scrapyd did not start: {(directory / 'scrapyd.err').read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def deployed(scrapyd: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The project deployed with ``scrapyd-deploy``, from a copy of the checkout whose ``[deploy]`` url is this
    scrapyd's (the checkout's scrapy.cfg names localhost:6800)."""
    project = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    config = project / "scrapy.cfg"
    config.write_text(config.read_text().replace("http://localhost:6800/", scrapyd + "/"))
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    result = subprocess.run([str(deploy)], cwd=project, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["status"] == "ok"
    return scrapyd


def test_a_scheduled_scrapyd_job_archives_the_site_and_the_archive_exports(deployed, tmp_path):
    archive = tmp_path / "archive"
    with run_site(tmp_path / "requests.jsonl") as site:
        arguments = {"project": "newsarchive", "spider": "news", "archive": str(archive), "target": site.url + "/",
                     "setting": "DOWNLOAD_DELAY=0"}  # fmt: skip
        job = _api(deployed, "schedule.json", arguments)["jobid"]
        deadline = time.monotonic() + 300
        while not any(entry["id"] == job for entry in _api(deployed, "listjobs.json?project=newsarchive")["finished"]):
            assert time.monotonic() < deadline, "the scrapyd job did not finish"
            time.sleep(0.2)
        exported = run_cli("export", "--archive", str(archive))
        assert exported.returncode == 0, exported.stderr
        urls = sorted(json.loads(line)["url"] for line in exported.stdout.splitlines())
        assert urls == sorted(article["url"] for article in site.articles)
    runs = [json.loads(line) for line in (archive / "runs.jsonl").read_text().splitlines()]
    assert [run["exit_code"] for run in runs] == [0]
