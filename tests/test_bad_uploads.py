"""Bad uploads: pieces out of order, stalled uploads, leftovers of a dead kernel, file names that
hide what a file is, and size limits. Each is refused with a 400 that says what to do, nothing
is stored, and the next upload and the next message still work.

Everything runs through a real ``ChatKitWidget`` (fake comm, real bridge) on a real SQLite file
and a real folder of attachment files.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from chatkit.types import AttachmentCreateParams

from chatkit_jupyter import AttachmentError, ChatKitWidget, FileAttachmentStore, SQLiteStore
from chatkit_jupyter.bridge import _protocol as p

from .conftest import Client, ScriptedServer, user_message

PIECE = b"0123456789" * 100  # 1000 bytes


class Chat:
    def __init__(self, widget: ChatKitWidget, client: Client, files: FileAttachmentStore) -> None:
        self.widget = widget
        self.client = client
        self.files = files
        self.uploads = 0

    async def create(self, name: str = "data.bin", size: int = 3 * len(PIECE), **extra: Any) -> Any:
        """``attachments.create``; the kernel's answer (head, parsed body or None)."""
        params = {"name": name, "size": size, "mime_type": "application/octet-stream", **extra}
        rid = self.client.request(json.dumps({"type": "attachments.create", "params": params}))
        await self.widget.wait_idle()
        head, body = self.client.body(rid)
        return head, json.loads(body) if body else None

    def start(self, attachment_id: str) -> str:
        self.uploads += 1
        rid = f"v1:up{self.uploads}"
        self.widget.comm.receive(
            {
                "kind": p.REQUEST,
                "id": rid,
                "view": "v1",
                "url": f"{p.UPLOAD_URL}/{attachment_id}",
                "chunked": True,
            },
            [b""],
        )
        return rid

    def piece(self, rid: str, seq: Any, last: bool = False, data: bytes = PIECE, **kw: Any) -> None:
        content = {"kind": p.UPLOAD_CHUNK, "id": rid, "seq": seq, "last": last, **kw}
        if seq is ...:
            del content["seq"]
        self.widget.comm.receive(content, [data])

    async def upload(self, seqs: list[Any], name: str = "data.bin") -> tuple[dict[str, Any], str]:
        _, created = await self.create(name, size=len(seqs) * len(PIECE))
        rid = self.start(created["id"])
        for i, seq in enumerate(seqs):
            self.piece(rid, seq, last=i == len(seqs) - 1)
        await self.widget.wait_idle()
        return self.client.body(rid)[0], created["id"]

    def parts(self) -> list[Path]:
        return sorted(self.files.directory.rglob(".upload-*"))

    def stored(self) -> list[Path]:
        return sorted(f for f in self.files.directory.rglob("*") if f.is_file())

    async def still_works(self) -> None:
        head, attachment_id = await self.upload([0, 1, 2], name="good.bin")
        assert head["status"] == 200, head
        assert await self.files.read_bytes(attachment_id, {}) == PIECE * 3
        text, _ = await self.client.text(user_message("still there?"))
        assert text == "Hello, world"


@pytest.fixture
def chat(fake_comm: Any, tmp_path: Path) -> Any:
    store = SQLiteStore(tmp_path / "chatkit.db")
    server = ScriptedServer(store)
    files = FileAttachmentStore(tmp_path / "files", store=store)
    server.attachment_store = files
    widget = ChatKitWidget(server)
    yield Chat(widget, Client(widget, fake_comm()), files)
    widget.close()
    store.close()


# -- piece numbers -------------------------------------------------------------------------------

SEQS = {
    "out of order": [0, 2, 1],
    "starts at 1": [1, 2, 3],
    "repeated": [0, 0, 1],
    "backwards": [2, 1, 0],
    "negative first": [-1, 0, 1],
    "negative later": [0, -1, 1],
    "huge first": [2**70, 0, 1],
    "huge later": [0, 1, 2**70],
    "2**63": [0, 2**63, 2],
    "a string": ["0", "1", "2"],
    "null": [None, None, None],
    "missing": [..., ..., ...],
    "True for 1": [0, True, 2],
    "False for 0": [False, 1, 2],
    "a float": [0, 1.0, 2],
    "a fraction": [0, 0.5, 1],
    "a list": [[0], [1], [2]],
    "a dict": [{"n": 0}, 1, 2],
}


@pytest.mark.parametrize("seqs", SEQS.values(), ids=SEQS.keys())
async def test_pieces_out_of_order_are_refused_and_nothing_is_stored(
    chat: Chat, seqs: list[Any]
) -> None:
    head, attachment_id = await chat.upload(seqs)
    assert (head["kind"], head["status"]) == (p.ERROR, 400)
    assert "Attach it again" in head["message"]
    assert chat.stored() == []
    assert chat.parts() == []
    with pytest.raises(AttachmentError, match="did not finish"):
        await chat.files.read_bytes(attachment_id, {})
    await chat.still_works()


async def test_a_piece_after_the_last_one_changes_nothing(chat: Chat) -> None:
    _, created = await chat.create(size=len(PIECE))
    rid = chat.start(created["id"])
    chat.piece(rid, 0, last=True)
    chat.piece(rid, 1, data=b"tail")
    await chat.widget.wait_idle()
    assert chat.client.body(rid)[0]["status"] == 200
    assert await chat.files.read_bytes(created["id"], {}) == PIECE
    await chat.still_works()


# -- stalled uploads -----------------------------------------------------------------------------


@pytest.mark.parametrize("pieces", [0, 1, 2], ids=["no piece", "one piece", "two pieces"])
async def test_an_upload_that_stalls_is_dropped_and_its_file_removed(
    chat: Chat, pieces: int
) -> None:
    chat.files.upload_timeout = 0.2
    _, created = await chat.create()
    rid = chat.start(created["id"])
    for seq in range(pieces):
        chat.piece(rid, seq)
    started = time.monotonic()
    await asyncio.wait_for(chat.widget.wait_idle(), 5)
    assert time.monotonic() - started < 2
    head = chat.client.body(rid)[0]
    assert (head["kind"], head["status"]) == (p.ERROR, 400)
    assert "no data for 0.2 s" in head["message"]
    assert "upload_timeout" in head["message"]
    assert chat.parts() == []
    assert chat.widget.pending_requests == 0
    chat.piece(rid, pieces, last=True)  # the rest arrives too late: dropped
    await chat.widget.wait_idle()
    assert chat.stored() == []
    await chat.still_works()


def test_the_default_upload_timeout_is_a_minute(tmp_path: Path) -> None:
    with SQLiteStore(":memory:") as store:
        assert FileAttachmentStore(tmp_path, store=store).upload_timeout == 60


# -- leftovers of a dead kernel ------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_unfinished_uploads_of_a_dead_kernel_are_removed_at_start(tmp_path: Path) -> None:
    from chatkit_jupyter.store._attachments import _HOST_TAG

    folder = tmp_path / "files"
    (folder / "default").mkdir(parents=True)
    (folder / "u-bob.h").mkdir()
    dead = _dead_pid()
    old = time.time() - 2 * 3600
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        leftovers = [
            folder / "default" / ".upload-abc123.part",  # written before names carried a pid
            folder / "default" / f".upload-{_HOST_TAG}-{dead}-x1.part",
            folder / "u-bob.h" / f".upload-{_HOST_TAG}-{dead}-x2.part",
            folder / "default" / f".upload-{_HOST_TAG}-{alive.pid}-old.part",
            folder / "default" / f".upload-0badc0de-{alive.pid}-old.part",
        ]
        kept = [
            folder / "default" / f".upload-{_HOST_TAG}-{alive.pid}-live.part",  # another kernel
            folder / "default" / f".upload-0badc0de-{dead}-live.part",  # another machine
            folder / "default" / f".upload-{_HOST_TAG}-{os.getpid()}-ours.part",
            folder / "default" / "atc_1",  # a finished upload
            folder / "default" / "notes.part",
        ]
        for path in leftovers + kept:
            path.write_bytes(b"partial")
        for path in leftovers[-2:]:
            os.utime(path, (old, old))
        with SQLiteStore(tmp_path / "chatkit.db") as store:
            FileAttachmentStore(folder, store=store)
        assert [p.name for p in leftovers if p.exists()] == []
        assert [p.name for p in kept if not p.exists()] == []
    finally:
        alive.kill()
        alive.wait()


def test_a_new_store_in_a_folder_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    with SQLiteStore(":memory:") as store:
        FileAttachmentStore(tmp_path / "nowhere", store=store)
    assert not (tmp_path / "nowhere").exists()


async def test_an_upload_in_progress_names_this_process(chat: Chat) -> None:
    _, created = await chat.create()
    rid = chat.start(created["id"])
    chat.piece(rid, 0)
    for _ in range(100):
        if chat.parts():
            break
        await asyncio.sleep(0.01)
    (part,) = chat.parts()
    assert f"-{os.getpid()}-" in part.name
    chat.client.cancel(rid)
    await chat.widget.wait_idle()
    assert chat.parts() == []


# -- file names ----------------------------------------------------------------------------------

REFUSED_NAMES = {
    "RLO": "invoice\u202egnp.exe",
    "LRO": "a\u202db.txt",
    "RLE": "a\u202bb.txt",
    "LRE": "a\u202ab.txt",
    "PDF": "a\u202cb.txt",
    "RLI": "a\u2067b.txt",
    "LRI": "a\u2066b.txt",
    "FSI": "a\u2068b.txt",
    "PDI": "a\u2069b.txt",
    "RLM": "a\u200fb.txt",
    "LRM": "a\u200eb.txt",
    "ALM": "a\u061cb.txt",
    "DEL": "a\x7fb.txt",
    "C1 PAD": "a\x80b.txt",
    "C1 NEL": "a\x85b.txt",
    "C1 CSI": "a\x9b31mb.txt",
    "C1 APC": "a\x9fb.txt",
    "NUL": "a\x00b.txt",
    "newline": "a\nb.txt",
    "carriage return": "a\rb.txt",
    "tab": "a\tb.txt",
    "escape": "a\x1b[31mb.txt",
    "line separator": "a\u2028b.txt",
    "paragraph separator": "a\u2029b.txt",
}


@pytest.mark.parametrize("name", REFUSED_NAMES.values(), ids=REFUSED_NAMES.keys())
async def test_names_that_hide_what_a_file_is_are_refused(chat: Chat, name: str) -> None:
    head, body = await chat.create(name)
    assert (head["kind"], head["status"], body) == (p.ERROR, 400, None)
    assert (
        f"U+{ord(next(c for c in name if not c.isalnum() and c not in '.[')):04X}"
        in (head["message"])
    )
    assert "rename the file" in head["message"]
    for char in "\u202e\u202d\u2067\x85\x9b\x7f":
        assert char not in head["message"]  # the message itself shows them escaped
    with pytest.raises(AttachmentError):
        chat.files.check(AttachmentCreateParams(name=name, size=1, mime_type="text/plain"))
    await chat.still_works()


ACCEPTED_NAMES = {
    "accents": "résumé.pdf",
    "chinese": "数据.csv",
    "arabic": "تقرير.pdf",
    "hebrew": "דוח.txt",
    "emoji with joiners": "👨\u200d👩\u200d👧.png",
    "spaces": "my file (1).txt",
    "non-breaking space": "a\u00a0b.txt",
    "dots": "archive.tar.gz",
}


@pytest.mark.parametrize("name", ACCEPTED_NAMES.values(), ids=ACCEPTED_NAMES.keys())
async def test_ordinary_names_in_any_script_are_accepted(chat: Chat, name: str) -> None:
    head, body = await chat.create(name)
    assert head["status"] == 200, head
    assert body["name"] == name


# -- size limits ---------------------------------------------------------------------------------


async def test_an_upload_to_a_huge_id_is_not_echoed_back_whole(chat: Chat) -> None:
    rid = chat.start("x" * 100_000)
    chat.piece(rid, 0, last=True)
    await chat.widget.wait_idle()
    head, _ = chat.client.body(rid)
    assert (head["kind"], head["status"]) == (p.ERROR, 400)
    assert head["message"] == (
        f"No attachment {'x' * 100_000!r:.80} is waiting for an upload (it may have been "
        "removed). Attach the file again."
    )
    await chat.still_works()


def test_the_default_size_limit_is_chatkits(tmp_path: Path) -> None:
    with SQLiteStore(":memory:") as store:
        files = FileAttachmentStore(tmp_path, store=store)
        assert files.max_size == 100 * 1024 * 1024
        files.apply_composer_options({"enabled": True, "maxCount": 3})
        assert files.max_size == 100 * 1024 * 1024


SIZES = {
    "over the default": 100 * 1024 * 1024 + 1,
    "a terabyte": 2**40,
    "2**53 - 1": 2**53 - 1,
}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_a_declared_size_over_the_limit_names_it_and_how_to_raise_it(
    chat: Chat, size: int
) -> None:
    head, body = await chat.create(size=size)
    assert (head["status"], body) == (400, None)
    assert "100.0 MB limit" in head["message"]
    assert "maxSize" in head["message"]
    assert "max_size=" in head["message"]
    await chat.still_works()


@pytest.mark.parametrize("size", [-1, -(2**40), 2**70, -(2**70), 1.5, "ten", None, [1], {"n": 1}])
async def test_a_declared_size_that_is_no_size_is_refused(chat: Chat, size: Any) -> None:
    head, body = await chat.create(size=size)
    assert (head["kind"], head["status"], body) == (p.ERROR, 400, None)
    assert "size" in head["message"]
    await chat.still_works()


async def test_per_type_limits_as_chatkit_takes_them(chat: Chat) -> None:
    chat.widget.options = {
        "composer": {"attachments": {"enabled": True, "maxSize": {"image/*": 100, "*": 2000}}}
    }
    image = await chat.create("a.png", size=101, mime_type="image/png")
    assert image[0]["status"] == 400
    assert "100 B limit" in image[0]["message"]
    assert (await chat.create("a.png", size=100, mime_type="image/png"))[0]["status"] == 200
    assert (await chat.create("a.txt", size=2000, mime_type="text/plain"))[0]["status"] == 200
    text = await chat.create("a.txt", size=2001, mime_type="text/plain")
    assert "2.0 KB limit" in text[0]["message"]
    chat.files.set_limits(max_size={"image/png": 10})
    assert chat.files.size_limit("image/png") == 10
    assert chat.files.size_limit("text/plain") == 100 * 1024 * 1024


LIMITS = {
    "maxSize a str": ({"maxSize": "10MB"}, "maxSize must be a number of bytes"),
    "maxSize negative": ({"maxSize": -1}, "maxSize must be a number of bytes"),
    "maxSize NaN": ({"maxSize": float("nan")}, "maxSize must be a number of bytes"),
    "maxSize True": ({"maxSize": True}, "maxSize must be a number of bytes"),
    "a per-type str": ({"maxSize": {"image/*": "big"}}, "maxSize must be a number of bytes"),
    "maxCount a fraction": ({"maxCount": 1.5}, "maxCount must be a whole number of files"),
    "maxCount a str": ({"maxCount": "3"}, "maxCount must be a whole number of files"),
}


@pytest.mark.parametrize(("limits", "message"), LIMITS.values(), ids=LIMITS.keys())
async def test_attachment_limits_that_are_no_numbers_are_refused_in_the_options(
    chat: Chat, limits: dict[str, Any], message: str
) -> None:
    # Before, they were taken, and every upload then failed with a 500 (a TypeError).
    options = {"composer": {"attachments": {"enabled": True, **limits}}}
    with pytest.raises(ValueError, match=message):
        ChatKitWidget(chat.widget.server, options=options)
    with pytest.raises(Exception, match=message):
        chat.widget.options = options
    assert chat.files.max_size == 100 * 1024 * 1024
    await chat.still_works()


async def test_attachment_limits_as_numbers_are_taken(chat: Chat) -> None:
    chat.widget.options = {
        "composer": {"attachments": {"enabled": True, "maxSize": 2e3, "maxCount": 2.0}}
    }
    assert (chat.files.max_size, chat.files.max_count) == (2e3, 2.0)
    head, _ = await chat.create(size=2001)
    assert "2.0 KB limit" in head["message"]


@pytest.mark.parametrize("mime_type", ["text/" + "x" * 300, "text/plain\x00", "image/png\u202e"])
async def test_a_type_that_is_no_mime_type_is_refused_briefly(chat: Chat, mime_type: str) -> None:
    head, body = await chat.create("a.txt", mime_type=mime_type)
    assert (head["kind"], head["status"], body) == (p.ERROR, 400, None)
    assert "is not a MIME type" in head["message"]
    assert len(head["message"]) < 300
    await chat.still_works()
