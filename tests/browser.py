"""A headless Chromium driven over the DevTools protocol on a pipe, with the standard library
only: open a page, collect console errors and network requests, measure overflow, take a
screenshot and print to PDF."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find() -> str | None:
    """The browser to use: ``PARRULES_CHROMIUM``, else the first found on PATH."""
    return os.environ.get("PARRULES_CHROMIUM") or next(
        (path for name in CANDIDATES if (path := shutil.which(name))), None
    )


class Browser:
    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="parrules-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # the protocol pipe is the child's descriptors 3 and 4
            read, write = os.dup(to_child_r), os.dup(from_child_w)  # out of the way of 3, 4
            os.dup2(read, 3, inheritable=True)
            os.dup2(write, 4, inheritable=True)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--font-render-hinting=none",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE
            if os.environ.get("PARRULES_CHROMIUM_LOG")
            else subprocess.DEVNULL,
            preexec_fn=fds,
            close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> int:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        return self._id

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from the browser")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed the pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        while True:
            message = self._read(timeout)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(index)
        while True:
            message = self._read(timeout)
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            self.events.append(message)

    def close(self) -> None:
        with suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self.profile, ignore_errors=True)


@contextmanager
def browser(executable: str) -> Iterator[Browser]:
    b = Browser(executable)
    try:
        yield b
    finally:
        b.close()


class Page:
    """A tab showing one file, with what it logged and fetched."""

    def __init__(self, b: Browser, path: Path, width: int = 1280, height: int = 800) -> None:
        self.b = b
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        b.wait_for("Page.loadEventFired", self.session)
        self.evaluate("document.fonts.ready.then(() => true)")

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.b.call(method, params, self.session)

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and log entries of level error."""
        self.evaluate("1")  # let pending events arrive
        found = []
        for event in self.b.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text", ""))
        return found

    def requests(self) -> list[str]:
        """Every URL the page asked for, but its own file and the data inside it."""
        return [
            e["params"]["request"]["url"]
            for e in self.b.events
            if e.get("sessionId") == self.session
            and e.get("method") == "Network.requestWillBeSent"
            and e["params"]["type"] != "Document"
            and not e["params"]["request"]["url"].startswith("data:")
        ]

    def overflow(
        self, media: str = "screen", width: int = 1280, wide: int | None = None
    ) -> list[str]:
        """The elements whose box reaches past the viewport's width (``wide``: the width
        allowed inside ``.wide`` sections, printed on landscape pages)."""
        self.call("Emulation.setEmulatedMedia", {"media": media})
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        )
        limit = wide or width
        found: list[str] = self.evaluate(
            f"""(() => {{
              const out = [];
              const root = document.documentElement;
              if (root.scrollWidth > {width}) out.push('page scrolls: ' + root.scrollWidth);
              for (const el of document.querySelectorAll('body *')) {{
                const r = el.getBoundingClientRect();
                const limit = el.closest('.wide') ? {limit} : {width};
                if (r.width && r.right > limit + 0.5)
                  out.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40) + ' ' + r.right);
                const clips = getComputedStyle(el).overflowX !== 'visible';
                if (clips && el.scrollWidth > el.clientWidth + 1) out.push('clipped ' + el.tagName);
              }}
              return out.slice(0, 20);
            }})()"""
        )
        return found

    def screenshot(self, path: Path) -> None:
        self.call("Emulation.setEmulatedMedia", {"media": "screen"})
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        )
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def pdf(self, path: Path) -> None:
        self.call("Emulation.setEmulatedMedia", {"media": "print"})
        data = self.call(
            "Page.printToPDF",
            {"preferCSSPageSize": True, "printBackground": True},
        )["data"]
        path.write_bytes(base64.b64decode(data))
