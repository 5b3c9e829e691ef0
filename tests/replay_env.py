"""pywb in an environment of its own, for the replay tests.

pywb pins ``redis==2.10.6`` and ``fakeredis<1.0`` (its replay app imports fakeredis, which breaks on redis-py 4+),
while the distributed crawl needs scrapy-redis on redis-py 4.2+; and pywb's ``brotlipy`` shadows the ``brotli``
module Scrapy decodes with. So pywb cannot share the crawler's environment: the first replay test of a checkout
builds ``.venv-pywb`` beside ``.venv`` (a minute, once; PyPI needed) and later runs reuse it.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT

PYWB_REQUIREMENT = "pywb>=2.8"
PYWB_VENV = REPO_ROOT / ".venv-pywb"


def wayback_executable() -> Path:
    """The ``wayback`` command of the pywb environment, built when missing (serialised by a lock file)."""
    wayback = PYWB_VENV / "bin" / "wayback"
    with open(REPO_ROOT / ".venv-pywb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not wayback.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(PYWB_VENV)], check=True)
            result = subprocess.run(
                [str(PYWB_VENV / "bin" / "pip"), "install", "-q", PYWB_REQUIREMENT],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0 or not wayback.exists():
                raise RuntimeError(f"could not install {PYWB_REQUIREMENT} into {PYWB_VENV}: {result.stderr[-2000:]}")
    return wayback
