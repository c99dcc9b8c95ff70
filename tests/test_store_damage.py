"""Store errors say what is true: a damaged row is one damaged row (the thread stays readable,
the request is not blamed), a read-only file or folder is reported as read-only, and a file the
store called damaged is not written to again.

Real SQLite files, damaged with SQL and byte edits; read-only cases run in a child process as an
unprivileged user when the tests run as root (root ignores file permissions).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chatkit.types import AttachmentCreateParams, FileAttachment

from chatkit_jupyter import ChatKitWidget, FileAttachmentStore, SQLiteStore, StoreError
from chatkit_jupyter.bridge import _protocol as p

from .conftest import Client, ScriptedServer, message, thread, user_message


async def three_messages(path: Path) -> None:
    async with SQLiteStore(path) as store:
        await store.save_thread(thread("thr_a", title="Plans"), {})
        await store.save_thread(thread("thr_b", title="Other"), {})
        for i in range(3):
            await store.add_thread_item("thr_a", message(f"msg_{i}", text=f"text {i}"), {})


def damage(path: Path, sql: str, *args: Any) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, args)
    conn.close()


ITEM = "UPDATE items SET data = {} WHERE id = 'msg_1'"
ITEM_DAMAGE = {
    "not json": (ITEM.format("?"), "{not json"),
    "truncated": (ITEM.format("substr(data, 1, 30)"),),
    "empty": (ITEM.format("?"), ""),
    "a number": (ITEM.format("?"), 42),
    "a blob": (ITEM.format("?"), b"\x00\xff\xfe"),
    "not utf-8": (ITEM.format("CAST(X'7B22FF227D' AS TEXT)"),),
    "a json array": (ITEM.format("?"), "[]"),
    "json null": (ITEM.format("?"), "null"),
    "unknown item type": (ITEM.format("?"), '{"type": "nope", "id": "msg_1"}'),
    "a field missing": (ITEM.format("json_remove(data, '$.created_at')"),),
    "a field of the wrong type": (ITEM.format("json_set(data, '$.content', 5)"),),
    "nested 100000 deep": (ITEM.format("?"), "[" * 100_000 + "]" * 100_000),
    "a widget variant that is not a widget": (
        "UPDATE items SET variant = 'dynamic_widget', data = '[]' WHERE id = 'msg_1'",
    ),
    "a widget variant without a widget": (
        "UPDATE items SET variant = 'dynamic_widget' WHERE id = 'msg_1'",
    ),
}


@pytest.fixture
def chat(fake_comm: Any, tmp_path: Path) -> Any:
    def make(store: SQLiteStore) -> tuple[ChatKitWidget, Client]:
        widget = ChatKitWidget(ScriptedServer(store))
        return widget, Client(widget, fake_comm())

    return make


async def ask(widget: ChatKitWidget, client: Client, body: dict[str, Any]) -> Any:
    rid = client.request(json.dumps(body))
    await widget.wait_idle()
    head, data = client.body(rid)
    assert head["status"] == 200, head
    return json.loads(data)


@pytest.mark.parametrize("change", ITEM_DAMAGE.values(), ids=ITEM_DAMAGE.keys())
async def test_one_damaged_item_leaves_the_thread_readable(
    chat: Any, tmp_path: Path, change: tuple[Any, ...]
) -> None:
    path = tmp_path / "chatkit.db"
    await three_messages(path)
    damage(path, *change)
    with SQLiteStore(path) as store:
        widget, client = chat(store)
        listed = await ask(
            widget, client, {"type": "items.list", "params": {"thread_id": "thr_a", "order": "asc"}}
        )
        texts = [item["content"][0]["text"] for item in listed["data"]]
        assert [item["id"] for item in listed["data"]] == ["msg_0", "msg_1", "msg_2"]
        assert texts[0] == "text 0"
        assert texts[2] == "text 2"
        assert "could not be read" in texts[1]
        assert "damaged" in texts[1]
        full = await ask(
            widget, client, {"type": "threads.get_by_id", "params": {"thread_id": "thr_a"}}
        )
        assert len(full["items"]["data"]) == 3
        one = await store.load_item("thr_a", "msg_1", {})
        assert "could not be read" in one.content[0].text  # type: ignore[union-attr]
        assert [line.split(":")[0] for line in store.damaged_rows] == ["item 'msg_1'"]
        # The thread takes new messages, and deleting it still works.
        text, _ = await client.text(user_message("more", "thr_a"))
        assert text == "Hello, world"
        await store.delete_thread("thr_a", {})
        with pytest.raises(Exception, match="not found"):
            await store.load_thread("thr_a", {})
        widget.close()


THREAD = "UPDATE threads SET data = {} WHERE id = 'thr_a'"
THREAD_DAMAGE = {
    "not json": (THREAD.format("?"), "{"),
    "a number": (THREAD.format("?"), 7),
    "a blob": (THREAD.format("?"), b"\xff"),
    "not utf-8": (THREAD.format("CAST(X'FF' AS TEXT)"),),
    "no created_at": (THREAD.format("json_remove(data, '$.created_at')"),),
    "a status of the wrong type": (THREAD.format("json_set(data, '$.status', 5)"),),
}


@pytest.mark.parametrize("change", THREAD_DAMAGE.values(), ids=THREAD_DAMAGE.keys())
async def test_a_damaged_thread_record_leaves_its_messages_and_the_list_readable(
    chat: Any, tmp_path: Path, change: tuple[Any, ...]
) -> None:
    path = tmp_path / "chatkit.db"
    await three_messages(path)
    damage(path, *change)
    with SQLiteStore(path) as store:
        widget, client = chat(store)
        listed = await ask(widget, client, {"type": "threads.list", "params": {}})
        titles = {t["id"]: t["title"] for t in listed["data"]}
        assert titles == {"thr_a": "(damaged thread record)", "thr_b": "Other"}
        full = await ask(
            widget, client, {"type": "threads.get_by_id", "params": {"thread_id": "thr_a"}}
        )
        assert [i["content"][0]["text"] for i in full["items"]["data"]] == [
            "text 0",
            "text 1",
            "text 2",
        ]
        assert [line.split(":")[0] for line in store.damaged_rows] == ["thread 'thr_a'"]
        text, _ = await client.text(user_message("more", "thr_a"))
        assert text == "Hello, world"
        widget.close()


async def test_a_damaged_attachment_record_is_the_stores_error_not_the_requests(
    chat: Any, tmp_path: Path
) -> None:
    path = tmp_path / "chatkit.db"
    async with SQLiteStore(path) as store:
        await store.save_attachment(
            FileAttachment(id="atc_1", name="a.txt", mime_type="text/plain"), {}
        )
    damage(path, "UPDATE attachments SET data = '{' WHERE id = 'atc_1'")
    with SQLiteStore(path) as store:
        with pytest.raises(StoreError, match=r"record of attachment 'atc_1'.*damaged"):
            await store.load_attachment("atc_1", {})
        widget, client = chat(store)
        widget.server.attachment_store = FileAttachmentStore(tmp_path / "files", store=store)
        upload = client.request(b"abc", url=f"{p.UPLOAD_URL}/atc_1")
        await widget.wait_idle()
        head, _ = client.body(upload)
        assert (head["kind"], head["status"]) == (p.ERROR, 503)
        assert "record of attachment 'atc_1'" in head["message"]
        assert not head["message"].startswith(("Invalid '", "Malformed ChatKit request"))
        rid = client.request(
            json.dumps({"type": "attachments.delete", "params": {"attachment_id": "atc_1"}})
        )
        await widget.wait_idle()
        assert client.body(rid)[0]["kind"] == p.RESPONSE  # deleting needs no readable record
        text, _ = await client.text(user_message("still there?"))
        assert text == "Hello, world"
        widget.close()


# -- a damaged file: said once, never written again ----------------------------------------------


def digest(path: Path) -> list[str]:
    return [
        hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else "-"
        for f in (path, Path(f"{path}-wal"))
    ]


async def test_after_calling_a_file_damaged_the_store_never_writes_to_it(tmp_path: Path) -> None:
    path = tmp_path / "chatkit.db"
    async with SQLiteStore(path) as store:
        await store.save_thread(thread("thr_a"), None)
        for i in range(400):
            await store.add_thread_item("thr_a", message(f"msg_{i}", text="y" * 500), None)
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    # Only the last pages (the items' leaves): the threads' pages stay intact, so a write of a
    # thread would still succeed if the store did not hold to what it said.
    start = len(data) - page_size * 20
    assert start > page_size * 20
    data[start:] = b"\xa5" * (len(data) - start)
    path.write_bytes(bytes(data))

    store = SQLiteStore(path)
    try:
        with pytest.raises(StoreError, match="will not write to it"):
            await store.load_thread_items("thr_a", None, 1000, "asc", None)
        before = digest(path)
        writes = [
            store.save_thread(thread("thr_new"), None),
            store.add_thread_item("thr_a", message("msg_new"), None),
            store.save_item("thr_a", message("msg_0"), None),
            store.delete_thread_item("thr_a", "msg_1", None),
            store.delete_thread("thr_a", None),
            store.save_attachment(FileAttachment(id="a", name="a", mime_type="text/plain"), None),
            store.delete_attachment("a", None),
        ]
        for write in writes:
            with pytest.raises(StoreError, match="will not write to it"):
                await write
        assert digest(path) == before
    finally:
        store.close()
    assert path.read_bytes() == bytes(data)


# -- read-only files and folders -----------------------------------------------------------------


async def _try(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        store = SQLiteStore(path)
    except StoreError as e:
        out["open"] = str(e)
        return out
    try:
        page = await store.load_threads(10, None, "asc", {})
        out["read"] = [t.id for t in page.data]
        try:
            await store.save_thread(thread("thr_new"), {})
            out["write"] = "ok"
        except StoreError as e:
            out["write"] = str(e)
    finally:
        store.close()
    return out


def as_unprivileged(path: Path, attempt: Any = _try) -> dict[str, Any]:
    """Run ``attempt(path)`` (by default: open, read and write the store at ``path``) in a
    forked child that file permissions apply to (as root, the child becomes ``nobody``; it
    cannot exec an interpreter under /root, so it forks instead of starting one)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            result = json.dumps(asyncio.run(attempt(path))).encode()
            os.write(write, result)
            code = 0
        except BaseException as e:
            os.write(write, json.dumps({"child": repr(e)}).encode())
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    out = dict(json.loads(data))
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out


@pytest.fixture
def shared(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # pytest's own temporary folders are private to their owner; the child may not be.
    base = tmp_path_factory.mktemp("readonly")
    for folder in (base, *base.parents):
        if folder == Path("/"):
            break
        if os.geteuid() == 0 and not folder.stat().st_mode & stat.S_IXOTH:
            folder.chmod(folder.stat().st_mode | stat.S_IXOTH)
    base.chmod(0o777)
    yield base
    for folder in base.rglob("*"):
        if folder.is_dir():
            folder.chmod(0o777)


async def made(folder: Path) -> Path:
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    path = folder / "chatkit.db"
    async with SQLiteStore(path) as store:
        await store.save_thread(thread("thr_a"), None)
    for f in folder.iterdir():
        f.chmod(0o666)
    return path


NOT_TRUE = ("damaged", "not a chatkit-jupyter database", "not an SQLite file")


async def test_a_read_only_file_is_readable_and_writes_say_read_only(shared: Path) -> None:
    path = await made(shared / "a")
    path.chmod(0o444)
    before = path.read_bytes()
    out = as_unprivileged(path)
    assert out["read"] == ["thr_a"]
    assert "is read-only" in out["write"]
    assert "chmod u+w" in out["write"]
    assert not any(words in out["write"] for words in NOT_TRUE)
    assert path.read_bytes() == before


@pytest.mark.parametrize("file_mode", [0o666, 0o444], ids=["file writable", "file read-only"])
async def test_a_store_in_a_read_only_folder_says_read_only_folder(
    shared: Path, file_mode: int
) -> None:
    path = await made(shared / "b")
    path.chmod(file_mode)
    path.parent.chmod(0o555)
    before = path.read_bytes()
    out = as_unprivileged(path)
    assert "read-only folder" in out["open"], out
    assert "Make the folder writable" in out["open"]
    assert not any(words in out["open"] for words in NOT_TRUE)
    assert path.read_bytes() == before


async def test_a_new_store_in_a_read_only_folder_says_read_only_folder(shared: Path) -> None:
    folder = shared / "c"
    folder.mkdir()
    folder.chmod(0o555)
    out = as_unprivileged(folder / "chatkit.db")
    assert "read-only folder" in out["open"], out
    assert not (folder / "chatkit.db").exists()


async def _upload(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with SQLiteStore(":memory:") as store:
        files = FileAttachmentStore(folder, store=store)
        created = await files.create_attachment(
            AttachmentCreateParams(name="a.txt", size=3, mime_type="text/plain"), {}
        )

        async def chunks() -> AsyncIterator[bytes]:
            yield b"abc"

        try:
            await files.write_upload(created.id, chunks(), {})
            out["upload"] = "ok"
        except StoreError as e:
            out["upload"] = str(e)
    return out


@pytest.mark.parametrize("made_before", [True, False], ids=["user folder", "attachments folder"])
def test_a_read_only_attachments_folder_says_read_only(shared: Path, made_before: bool) -> None:
    folder = shared / "files"
    folder.mkdir()
    if made_before:
        (folder / "default").mkdir()
        (folder / "default").chmod(0o555)
    folder.chmod(0o555)
    out = as_unprivileged(folder, _upload)
    assert "is read-only for this kernel" in out["upload"], out
    assert "FileAttachmentStore" in out["upload"]
    assert list(folder.rglob("*.part")) == []


async def _open_only(path: Path) -> dict[str, Any]:
    try:
        SQLiteStore(path).close()
    except StoreError as e:
        return {"open": str(e)}
    return {"open": "ok"}


def test_a_store_whose_folder_cannot_be_made_says_read_only(shared: Path) -> None:
    parent = shared / "d"
    parent.mkdir()
    parent.chmod(0o555)
    out = as_unprivileged(parent / "new" / "chatkit.db", _open_only)
    assert "its parent is read-only" in out["open"], out
