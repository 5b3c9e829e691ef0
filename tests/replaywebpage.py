"""ReplayWeb.page for the browser test: the npm package ``replaywebpage``, whose tarball carries the built
``ui.js`` and ``sw.js``. :func:`replaywebpage_dir` unpacks them (``npm pack``: the tarball alone, none of its
dependencies) into ``.cache/replaywebpage/`` the first time. Standard library only, so ``.ci/run`` runs
``python3 tests/replaywebpage.py`` before any venv exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

REPLAYWEBPAGE_VERSION = "2.5.3"
REPLAYWEBPAGE_FILES = ("ui.js", "sw.js")


def replaywebpage_dir() -> Path:
    """A folder holding ReplayWeb.page's ``ui.js`` and ``sw.js`` (``$NEWSARCHIVE_REPLAYWEBPAGE`` or the cache),
    unpacked from the npm registry's tarball the first time."""
    target = Path(os.environ.get("NEWSARCHIVE_REPLAYWEBPAGE") or REPO_ROOT / ".cache" / "replaywebpage")
    version_file = target / "VERSION"
    if version_file.exists() and version_file.read_text().strip() == REPLAYWEBPAGE_VERSION:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch ReplayWeb.page (the replaywebpage package)")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([npm, "pack", f"replaywebpage@{REPLAYWEBPAGE_VERSION}", "--pack-destination", scratch],
                       check=True, capture_output=True, timeout=300)  # fmt: skip
        [tarball] = Path(scratch).glob("replaywebpage-*.tgz")
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for name in REPLAYWEBPAGE_FILES:
                member = archive.extractfile(f"package/{name}")
                assert member is not None
                (target / name).write_bytes(member.read())
    version_file.write_text(REPLAYWEBPAGE_VERSION + "\n")
    return target


if __name__ == "__main__":
    print(replaywebpage_dir())
