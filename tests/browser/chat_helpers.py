"""Helpers shared by the widget gallery and XSS browser tests and bench/bench_lite.py.

Everything here acts on a playwright page showing a lite-rendered ChatKitWidget, the way the tests
in test_chat.py do: through the composer and what is on screen.
"""

from __future__ import annotations

import pathlib
import struct
import zlib
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import REPO

WIDGET_FIXTURES = REPO / "tests" / "fixtures" / "widgets"
"""chatkit-python's Widget Builder fixtures (`.widget` + the `.json` they render to), vendored."""


def widget_fixture_dir() -> pathlib.Path:
    """The folder of Widget Builder fixtures; fails when it is missing rather than skip."""
    if not (WIDGET_FIXTURES / "basic_root.widget").is_file():
        raise FileNotFoundError(
            f"The widget fixtures are missing from {WIDGET_FIXTURES}; restore them with "
            "`git checkout -- tests/fixtures/widgets`."
        )
    return WIDGET_FIXTURES


class PageErrors:
    """Console messages of type error and uncaught exceptions ("pageerror") of one page."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def _on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.messages.append(f"console.error: {msg.text} @ {msg.location}")

    def since(self, mark: int) -> list[str]:
        return self.messages[mark:]


def reveal(page: Any, item: Any) -> None:
    """Scrolls the chat with the mouse wheel, as a person would, until `item` is in view.

    (Not scrollIntoView: the lite renderer keeps following the stream unless the user scrolls.)
    """
    scroller = page.locator(".ckl-scroll").first
    view = scroller.bounding_box()
    assert view, "the chat is not on screen"
    top, bottom = view["y"], view["y"] + view["height"]
    page.mouse.move(view["x"] + view["width"] / 2, top + view["height"] / 2)
    for _ in range(200):
        box = item.bounding_box()
        assert box, "the item is not on screen"
        seen = min(box["height"], view["height"] * 0.8)
        if box["y"] >= top - 1 and box["y"] + seen <= bottom + 1:
            return
        before = scroller.evaluate("e => e.scrollTop")
        page.mouse.wheel(0, box["y"] - (top + 24))
        try:
            page.wait_for_function(
                "([e, top]) => e.scrollTop !== top",
                arg=[scroller.element_handle(), before],
                timeout=2_000,
            )
        except PlaywrightTimeoutError:  # at the end of the scroll range: as far as it goes
            assert box["y"] < bottom, "item out of reach below"
            assert box["y"] + box["height"] > top, "item out of reach above"
            return
    raise AssertionError("could not scroll the item into view")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG with a lighter disc in the middle (an avatar stand-in), made by hand."""
    cx, cy, r2 = width / 2, height / 2, (min(width, height) / 3) ** 2
    light = tuple(min(255, c + 90) for c in rgb)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= r2
            rows.extend(light if inside else rgb)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


# Colour contrast of text against what is painted behind it, measured in the page. Colours are
# resolved by painting them on a canvas, so color-mix()/oklch() results compare like rgb().
CONTRAST_JS = """
(el) => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  const rgba = (css) => {
    g.clearRect(0, 0, 1, 1);
    g.fillStyle = "rgba(0,0,0,0)";
    g.fillStyle = css;
    g.fillRect(0, 0, 1, 1);
    const d = g.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
  };
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const bg = rgba(getComputedStyle(node).backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] >= 1) break;
  }
  let bg = [255, 255, 255, 1];
  for (const layer of layers.reverse()) bg = over(layer, bg);
  const fg = over(rgba(getComputedStyle(el).color), bg);
  const lum = (c) => {
    const [r, g2, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g2 + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return { ratio: (hi + 0.05) / (lo + 0.05), fg, bg, bgLum: lum(bg) };
}
"""
