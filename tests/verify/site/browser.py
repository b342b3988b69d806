"""A headless Chromium driven over the DevTools protocol on a pipe (standard library only).

``Browser`` starts ``chromium --headless --remote-debugging-pipe`` and talks to it through file
descriptors 3 (commands in) and 4 (replies and events out), each message JSON ended by a NUL byte.
``load`` opens a page at a given viewport width, waits for its load event, and collects what the
page logged: console messages, uncaught exceptions and failed requests. ``evaluate`` runs an
expression in the page, ``screenshot`` returns a PNG of the whole page.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

__all__ = ["Browser", "BrowserError", "Loaded", "find_chromium"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Seconds one protocol call may take before the browser is taken for hung (a safeguard against a
# stuck test, not a measurement).
TIMEOUT = 60.0


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The path of a Chromium-family browser, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Loaded:
    """What a page did while loading: its console errors and warnings, exceptions, failures."""

    url: str
    console: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    exceptions: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return (
            [text for level, text in self.console if level == "error"]
            + self.exceptions
            + self.failed_requests
        )


class Browser:
    """One headless browser with one page (tab) attached."""

    def __init__(self, executable: str | None = None):
        executable = executable or find_chromium()
        if executable is None:
            raise BrowserError("no Chromium found on PATH")
        self._profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
        # The browser reads commands from its fd 3 and writes to its fd 4. The child's ends are
        # first moved above 9 (close-on-exec), so that placing them at 3 and 4 cannot overwrite
        # one with the other; only the copies at 3 and 4 outlive the exec.
        read_end, self._to_browser = os.pipe()
        self._from_browser, write_end = os.pipe()
        child_in = fcntl.fcntl(read_end, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(write_end, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(read_end)
        os.close(write_end)
        command = [
            executable,
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            f"--user-data-dir={self._profile}",
            "about:blank",
        ]

        def place_pipes():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=False,  # keeps 3 and 4; Python's own descriptors are close-on-exec
                preexec_fn=place_pipes,
            )
        finally:
            os.close(child_in)
            os.close(child_out)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    # -- protocol ----------------------------------------------------------------------------

    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self._to_browser, data)
            data = data[written:]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("the browser did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError("the browser closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def call(self, method: str, params: dict | None = None) -> dict:
        """A protocol command on the page's session."""
        return self._call(method, params, self._session)

    def _wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for n, event in enumerate(self._events):
                if event.get("method") == method:
                    return self._events.pop(n)
            self._events.append(self._receive(deadline))

    # -- pages -------------------------------------------------------------------------------

    def load(self, url: str, width: int = 1280, height: int = 900, mobile: bool = False) -> Loaded:
        """Open ``url`` at a ``width`` x ``height`` viewport and wait for its load event."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        self._events.clear()
        self.call("Page.navigate", {"url": url})
        self._wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        loaded = Loaded(url)
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                loaded.console.append((params["type"], text))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                loaded.exceptions.append(
                    details.get("exception", {}).get("description", details.get("text", ""))
                )
            elif method == "Log.entryAdded":
                entry = params["entry"]
                loaded.console.append(
                    (entry["level"], f"{entry.get('text')} {entry.get('url', '')}")
                )
            elif method == "Network.loadingFailed":
                loaded.failed_requests.append(f"{params.get('errorText')} ({params.get('type')})")
        self._events.clear()
        return loaded

    def evaluate(self, expression: str):
        """The value of a JavaScript ``expression`` in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the whole page at the current viewport width."""
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        return base64.b64decode(data["data"])

    def close(self) -> None:
        try:
            self._call("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
