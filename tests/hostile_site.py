"""Run ``tests/hostile_server.py`` as a subprocess for a test, with its request log."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER = Path(__file__).resolve().parent / "hostile_server.py"


@dataclass
class HostileSite:
    """The hostile site (``url``), its off-scope listener (``offsite_url``) and their request log."""

    url: str
    offsite_url: str
    log_path: Path

    def requests(self) -> list[dict[str, Any]]:
        """Every request either listener received so far (complete lines only)."""
        text = self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""
        return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]

    def requests_for(self, path: str) -> list[dict[str, Any]]:
        """Requests the site received for exactly ``path`` (query string included)."""
        return [r for r in self.requests() if r["server"] == "site" and r["path"] == path]


@contextmanager
def run_hostile_site(log_path: Path) -> Iterator[HostileSite]:
    """Start the server, yield it once it printed both URLs, kill it afterwards."""
    process = subprocess.Popen([sys.executable, str(SERVER), "--log", str(log_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url, offsite_url = process.stdout.readline().strip(), process.stdout.readline().strip()
        if not (url.startswith("http://127.0.0.1:") and offsite_url.startswith("http://127.0.0.2:")):
            raise RuntimeError(f"hostile server did not start (exit code {process.poll()})")
        yield HostileSite(url, offsite_url, log_path)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
