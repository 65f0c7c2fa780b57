"""A headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: JSON messages ending in NUL on file descriptors 3 and 4), standard library only.

What `--dump-dom` cannot do: send the `Authorization` header every page needs (so the pages stay behind
their token, as in production), set a phone-sized viewport, measure the rendered layout with JavaScript,
and take a full-page screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.service.test_details_page_browser import FLAGS, chromium


class CdpError(RuntimeError):
    """Chromium answered a command with an error, or went quiet."""


class Browser:
    """One Chromium process with one page; `with Browser(profile, headers) as b: b.open(url, width)`."""

    def __init__(self, profile: Path, headers: dict[str, str] | None = None, timeout: float = 60.0):
        self.timeout, self._next, self._buffer, self._events = timeout, 0, b"", []
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:   # in the child: the pipe's ends at the descriptors Chromium reads and writes
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.process = subprocess.Popen([chromium(), *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
                                         "--hide-scrollbars", "about:blank"],
                                        pass_fds=(3, 4), preexec_fn=wire,  # noqa: PLW1509 — a test, no threads forking
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable")
        if headers:
            self.call("Network.setExtraHTTPHeaders", {"headers": headers})

    # -- the protocol -----------------------------------------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        return self._next

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_chrome], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise CdpError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise CdpError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        while True:
            message = self._read()
            if message.get("id") == wanted:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command to the page."""
        return self._call(method, params, self._session)

    def _wait_event(self, method: str) -> dict[str, Any]:
        for i, event in enumerate(self._events):
            if event.get("method") == method:
                return self._events.pop(i)
        while True:
            message = self._read()
            if message.get("method") == method:
                return message
            self._events.append(message)

    # -- what the tests do ---------------------------------------------------------------------------------------
    def open(self, url: str, width: int, height: int = 900) -> int:
        """Load `url` in a viewport `width` px wide (a phone's when narrow); the HTTP status of the page."""
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": width < 700})
        self._events.clear()
        self.call("Page.navigate", {"url": url})
        self._wait_event("Page.loadEventFired")
        responses = [e["params"]["response"] for e in self._events
                     if e.get("method") == "Network.responseReceived" and e["params"].get("type") == "Document"]
        return int(responses[-1]["status"]) if responses else 0

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path, max_height: int = 4000) -> Path:
        """The whole page (up to `max_height` px) as a PNG at `path`."""
        width, height = self.evaluate("[document.documentElement.clientWidth, document.documentElement.scrollHeight]")
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": {"x": 0, "y": 0, "width": width,
                                                             "height": min(height, max_height), "scale": 1}})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        try:
            self._send("Browser.close", None, None)
            self.process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(10)
        finally:
            os.close(self._to_chrome)
            os.close(self._from_chrome)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
