"""A Chromium page driven over the DevTools protocol, for benchmarks of websocket traffic.

Playwright enables the DevTools ``Network`` domain on every page it controls, and Chromium then
copies each websocket frame, base64-encoded, out of the page to Playwright's driver and on to
the Python client: 10 MB of kernel messages cost the page (and two more processes) as much
again. Users have no such observer. ``CdpPage`` launches Chromium itself and uses only the
``Page``, ``Runtime`` and ``Input`` domains, so websocket frames stay in the page.

It offers the few Playwright ``Page`` methods the benches use (``evaluate``, ``goto``,
``wait_for_timeout``, ``screenshot``) and ``type_enter``, which types into a text box and
presses Enter through real input events.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket  # websocket-client, a dependency of jupyter_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CdpPage:
    """One page of a headless Chromium started for it; ``close()`` ends the browser."""

    def __init__(self, chromium: str, args: list[str], profile: Path, size=(1400, 1100)) -> None:
        port = _free_port()
        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                *args,
                f"--remote-debugging-port={port}",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium ({chromium}) did not start")
            time.sleep(0.1)
        # Chromium refuses DevTools websockets that send an Origin it was not told to allow.
        self._ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], suppress_origin=True, timeout=600
        )
        self._id = 0
        self.send("Page.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One DevTools command; its result (events that arrive meanwhile are dropped)."""
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message["result"])

    def add_init_script(self, source: str) -> None:
        """Run ``source`` in every document before its own scripts."""
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def evaluate(self, fn: str, arg: Any = None) -> Any:
        """Call the JavaScript function ``fn`` with ``arg`` (JSON) and return its awaited value."""
        result = self.send(
            "Runtime.evaluate",
            {
                "expression": f"({fn})({json.dumps(arg)})",
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or str(details))
        return result["result"].get("value")

    def wait_for(self, fn: str, timeout: float, what: str) -> None:
        """Poll ``fn`` until it returns true."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(fn):
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.2)

    def type_enter(self, selector_fn: str, arg: Any, text: str) -> None:
        """Focus the text box ``selector_fn(arg)`` returns, type ``text`` and press Enter."""
        found = self.evaluate(
            f"(arg) => {{ const el = ({selector_fn})(arg); if (!el) return false;"
            " el.focus(); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));"
            " return true; }",
            arg,
        )
        if not found:
            raise RuntimeError(f"no text box for {arg!r}")
        self.send("Input.insertText", {"text": text})
        enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **enter})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **enter})

    def wait_for_timeout(self, ms: float) -> None:
        time.sleep(ms / 1000)

    def screenshot(self, path: str) -> None:
        data = self.send("Page.captureScreenshot")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if getattr(self, "_ws", None) is not None:
                self._ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
