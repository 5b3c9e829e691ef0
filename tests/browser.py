"""A headless Chromium (Debian's ``chromium``) driven over the DevTools protocol on a pipe, for replay tests.

No driver package: Chromium started with ``--remote-debugging-pipe`` reads NUL-terminated JSON commands on its
file descriptor 3 and writes replies and events on 4 (:class:`Chromium`). It runs with the flags the machine
needs (no sandbox as root, no GPU, no background networking) in a fresh profile, and with every host name
unresolvable (``--host-resolver-rules``): pages can reach 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import signal
import time
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    # Only literal loopback addresses connect: every name (a CDN, a font service) fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
]  # fmt: skip
REPLY_TIMEOUT = 60.0


class BrowserError(RuntimeError):
    """Chromium is missing, exited, or answered a command with an error."""


def chromium_executable() -> str:
    """``chromium`` from PATH (Debian's package; ``.ci/run`` installs it)."""
    found = os.environ.get("NEWSARCHIVE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise BrowserError("chromium is not installed: apt-get install -y chromium (.ci/run does)")
    return found


class Chromium:
    """One headless Chromium process and one page in it (a flattened DevTools session)."""

    def __init__(self, profile_dir: Path, log_path: Path, window: tuple[int, int] = (1280, 1400)) -> None:
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        arguments = [chromium_executable(), *FLAGS, f"--user-data-dir={profile_dir}",
                     f"--window-size={window[0]},{window[1]}", "about:blank"]  # fmt: skip
        log = self._log.fileno()
        actions = [(os.POSIX_SPAWN_DUP2, commands_read, 3), (os.POSIX_SPAWN_DUP2, replies_write, 4),
                   (os.POSIX_SPAWN_DUP2, log, 1), (os.POSIX_SPAWN_DUP2, log, 2)]  # fmt: skip
        self.pid = os.posix_spawn(arguments[0], arguments, dict(os.environ), file_actions=actions, setsid=True)
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command (to the page's session once attached) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._replies], [], [], REPLY_TIMEOUT)
            chunk = os.read(self._replies, 1 << 20) if ready else b""
            if not chunk:
                raise BrowserError("chromium stopped answering (see its log)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def frames(self) -> list[dict[str, Any]]:
        """Every frame of the page (``id``, ``url``), depth first."""
        found: list[dict[str, Any]] = []

        def walk(node: dict[str, Any]) -> None:
            found.append(node["frame"])
            for child in node.get("childFrames", ()):
                walk(child)

        walk(self.send("Page.getFrameTree")["frameTree"])
        return found

    def evaluate(self, expression: str, frame_id: str | None = None) -> Any:
        """The value of a JavaScript expression, in the page or in one of its frames."""
        params: dict[str, Any] = {"expression": expression, "returnByValue": True}
        if frame_id is not None:
            params["contextId"] = self.send("Page.createIsolatedWorld", frameId=frame_id)["executionContextId"]
        result = self.send("Runtime.evaluate", **params)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> bytes:
        """A PNG of the page as shown, written to ``path``."""
        png = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return png

    def wait_for(self, condition: Any, timeout: float, what: str) -> Any:
        """Poll ``condition()`` until it returns something truthy, or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := condition():
                return value
            time.sleep(0.25)
        raise BrowserError(f"gave up after {timeout:.0f} s waiting for {what}")

    def close(self) -> None:
        """Stop Chromium (its whole process group) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)
        for fd in (self._commands, self._replies):
            os.close(fd)
        self._log.close()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
