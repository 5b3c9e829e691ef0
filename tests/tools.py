"""Reference tools whose dependencies conflict with the crawler's, each in a venv of its own under ``.venv-tools/``.

pywb needs ``brotlipy``, whose ``brotli`` module shadows Google's ``brotli`` that Scrapy decodes ``br`` with, so
it is never installed into the crawler's environment: :func:`tool` makes ``.venv-tools/NAME`` (once; later runs
reuse it) with ``pip install REQUIREMENT`` and returns the path of one of its commands.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent.parent / ".venv-tools"
PYWB = "pywb>=2.8"


def tool(name: str, requirement: str, command: str) -> Path:
    """The path of ``command`` in the venv ``.venv-tools/NAME``, made with ``requirement`` when missing."""
    venv = TOOLS_DIR / name
    executable = venv / "bin" / command
    TOOLS_DIR.mkdir(exist_ok=True)
    with open(TOOLS_DIR / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        ready = venv / ".installed"
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", requirement], check=True)
            ready.write_text(requirement + "\n")
    return executable


def wayback() -> Path:
    """pywb's ``wayback`` command, from its own venv."""
    return tool("pywb", PYWB, "wayback")


def warcio() -> Path:
    """warcio's command from pywb's venv, where its ``br`` decoding works (brotlipy)."""
    return tool("pywb", PYWB, "warcio")


if __name__ == "__main__":
    print(wayback())
