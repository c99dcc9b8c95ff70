"""Threads and attachments, for real: SQLite under .chatkit/, a kernel restart, files over the comm."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Lab, notebook, open_notebook, run_all_cells, send

pytestmark = pytest.mark.browser


def run_cell(page: Any, index: int) -> Any:
    cell = notebook(page).locator(".jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    return cell.locator(".jp-OutputArea-output")


def test_history_lists_earlier_threads_after_a_kernel_restart(lab: Lab, page: Any) -> None:
    name = lab.write_notebook(
        "persist.ipynb",
        ["%load_ext chatkit_jupyter", '%chatkit --renderer lite --placeholder "Persist me"'],
    )
    open_notebook(page, lab, name)
    run_all_cells(page)
    send(page, "Persist me", "remember the blue whale")
    log = page.get_by_role("log").first
    expect(log).to_contain_text("OPENAI_API_KEY", timeout=60_000)
    assert (lab.root / ".chatkit" / "chatkit.db").exists()

    # Kernel > Restart Kernel and Run All Cells…, confirmed in Jupyter's dialog.
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("Restart Kernel and Run All Cells")).click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm Kernel Restart").click()
    # The old output goes away and a fresh chat comes up from the new kernel.
    expect(page.get_by_role("log").first).not_to_contain_text("blue whale", timeout=60_000)
    expect(page.get_by_role("textbox", name="Persist me")).to_be_visible(timeout=60_000)

    page.get_by_role("button", name="History", exact=True).first.click()
    history = page.get_by_role("region", name="History").first
    expect(history).to_contain_text("remember the blue whale", timeout=30_000)
    history.get_by_text("remember the blue whale").first.click()
    expect(page.get_by_role("log").first).to_contain_text("OPENAI_API_KEY", timeout=30_000)


ATTACH_SETUP = """
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore

server = NotebookServer(store=SQLiteStore(".chatkit/attach.db"))
w = ChatKitWidget(server, renderer="lite", options={"composer": {
    "placeholder": "Message with files",
    "attachments": {"enabled": True, "maxSize": 25 * 2**20, "maxCount": 4,
                    "accept": {"image/png": [".png"], "application/octet-stream": [".bin"]}},
}})
w
"""

ATTACH_REPORT = """
import hashlib
threads = await server.store.load_threads(10, None, "desc", {})
items = await server.store.load_thread_items(threads.data[0].id, None, 50, "asc", {})
for a in [a for i in items.data if i.type == "user_message" for a in i.attachments]:
    data = await server.attachment_store.read_bytes(a.id, {})
    print(a.name, len(data), hashlib.sha256(data).hexdigest())
"""


def _png(width: int = 24, height: int = 24) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes([200, 40, 40]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_attachments_travel_through_the_comm(lab: Lab, page: Any, tmp_path: pathlib.Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 2**20))
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    image = tmp_path / "red.png"
    image.write_bytes(_png())
    too_big = tmp_path / "huge.bin"
    with too_big.open("wb") as f:
        f.truncate(26 * 2**20)
    refused = tmp_path / "notes.exe"
    refused.write_bytes(b"MZ")

    name = lab.write_notebook("attach.ipynb", [ATTACH_SETUP, ATTACH_REPORT])
    open_notebook(page, lab, name)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run Selected Cell", exact=False).first.click()
    expect(page.get_by_role("textbox", name="Message with files")).to_be_visible(timeout=60_000)

    def attach(path: pathlib.Path) -> None:
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Add files").click()
        chooser.value.set_files(str(path))

    # Over the limit or of a refused type: a clear message, nothing uploaded.
    attach(too_big)
    expect(page.get_by_text(re.compile(r"huge\.bin is too large"))).to_be_visible(timeout=10_000)
    attach(refused)
    expect(page.get_by_text(re.compile(r"notes\.exe is not an accepted file type"))).to_be_visible(
        timeout=10_000
    )

    attach(big)
    attach(image)
    expect(page.get_by_label(re.compile("Uploading"))).to_have_count(0, timeout=120_000)
    send(page, "Message with files", "two files for you")
    log = page.get_by_role("log").first
    expect(log).to_contain_text("two files for you", timeout=30_000)
    expect(log.get_by_role("img", name=re.compile("red.png"))).to_be_visible(timeout=30_000)
    expect(log).to_contain_text("big.bin")

    out = run_cell(page, 1)
    expect(out).to_contain_text(f"big.bin {20 * 2**20} {digest}", timeout=60_000)
    expect(out).to_contain_text("red.png")
    expect(out).not_to_contain_text("huge.bin")
