"""SQLiteStore under real conditions: other processes, kills, a busy loop, old and foreign files."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chatkit.store import NotFoundError

import chatkit_jupyter.store._sqlite as store_module
from chatkit_jupyter.store._sqlite import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    SQLiteStore,
    StoreError,
    default_store,
)

from .conftest import T0, message, thread

# Children load store/_sqlite.py by path, inside a stand-in package so its import of
# _migrations works: nothing else of chatkit_jupyter runs, so they start fast and do not depend
# on the widget's front-end bundle being built.
CHILD_PRELUDE = """
import asyncio, importlib, os, sys, types
from datetime import datetime
from chatkit.types import AssistantMessageContent, AssistantMessageItem, ThreadMetadata
package = types.ModuleType("ckj_store")
package.__path__ = [os.path.dirname(sys.argv[1])]
sys.modules["ckj_store"] = package
store_module = importlib.import_module("ckj_store._sqlite")
path = sys.argv[2]

def item(item_id, thread_id):
    return AssistantMessageItem(
        id=item_id, thread_id=thread_id, created_at=datetime.now(),
        content=[AssistantMessageContent(text="x" * 200)],
    )
"""

WRITER = (
    CHILD_PRELUDE
    + """
tag, count = sys.argv[3], int(sys.argv[4])

async def main():
    store = store_module.SQLiteStore(path)
    await store.save_thread(ThreadMetadata(id="thr_shared", created_at=datetime.now()), None)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        await store.add_thread_item("thr_shared", item(f"msg_{tag}_{i:04d}", "thr_shared"), None)
    store.close()
    print("done", flush=True)

asyncio.run(main())
"""
)

ENDLESS_WRITER = (
    CHILD_PRELUDE
    + """
async def main():
    store = store_module.SQLiteStore(path)
    await store.save_thread(ThreadMetadata(id="thr_kill", created_at=datetime.now()), None)
    i = 0
    while True:
        await store.add_thread_item("thr_kill", item(f"msg_{i:06d}", "thr_kill"), None)
        # Printed only after the commit returned: every printed id must survive the kill.
        print(f"msg_{i:06d}", flush=True)
        i += 1

asyncio.run(main())
"""
)


def child(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(store_module.__file__), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chatkit.db"


@pytest.fixture
def opened(db_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(db_path)
    yield store
    store.close()


async def all_ids(store: SQLiteStore, thread_id: str) -> list[str]:
    page = await store.load_thread_items(thread_id, None, 1_000_000, "asc", None)
    assert not page.has_more
    return [item.id for item in page.data]


async def test_a_thread_is_stored_without_its_items(opened: SQLiteStore, db_path: Path) -> None:
    # ChatKit hands save_thread a whole Thread at times; only its metadata belongs in the row.
    from chatkit.types import Page, Thread

    full = Thread(id="thr_a", created_at=T0, title="t", items=Page(data=[message("msg_1")]))
    await opened.save_thread(full, None)
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        (data,) = conn.execute("SELECT data FROM threads WHERE id = 'thr_a'").fetchone()
    assert "items" not in json.loads(data)
    assert json.loads(data)["title"] == "t"


async def test_a_thread_delete_that_fails_halfway_deletes_nothing(
    opened: SQLiteStore, db_path: Path
) -> None:
    # Deleting a thread is one transaction: when its last statement fails, the items and
    # attachments already deleted come back, so no thread is ever left without them.
    from chatkit.types import FileAttachment

    told: list[list[str]] = []
    opened.on_attachments_deleted(lambda user, ids: told.append(ids))
    await opened.save_thread(thread("thr_a"), None)
    await opened.add_thread_item("thr_a", message("msg_1", "thr_a"), None)
    upload = FileAttachment(id="atc_1", name="a.csv", mime_type="text/csv", thread_id="thr_a")
    await opened.save_attachment(upload, None)
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute(
            "CREATE TRIGGER keep BEFORE DELETE ON threads "
            "BEGIN SELECT RAISE(ABORT, 'kept by the test'); END"
        )
        conn.commit()

    with pytest.raises((sqlite3.DatabaseError, StoreError), match="kept by the test"):
        await opened.delete_thread("thr_a", None)

    assert (await opened.load_thread("thr_a", None)).id == "thr_a"
    assert await all_ids(opened, "thr_a") == ["msg_1"]
    assert (await opened.load_attachment("atc_1", None)).id == "atc_1"
    assert told == []


# -- WAL, busy timeout, concurrency -------------------------------------------------------------


async def test_wal_mode_busy_timeout_and_schema_version(opened: SQLiteStore, db_path: Path) -> None:
    info = await opened.info()
    assert info["journal_mode"] == "wal"
    assert info["busy_timeout_ms"] == 10_000
    assert info["schema_version"] == SCHEMA_VERSION
    # WAL is a property of the file, and the file says it is ours.
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert other.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        other.close()


async def test_a_write_waits_for_another_connections_lock(
    opened: SQLiteStore, db_path: Path
) -> None:
    await opened.save_thread(thread("thr_a"), None)
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE threads SET data = data")
    write = asyncio.create_task(opened.add_thread_item("thr_a", message("msg_1"), None))
    # While the lock is held the write waits (it does not fail with "database is locked").
    done, _ = await asyncio.wait({write}, timeout=0.3)
    assert not done
    # In WAL mode a writer does not block readers (here: another store on the same file).
    async with SQLiteStore(db_path) as reader:
        assert (await reader.load_thread("thr_a", None)).id == "thr_a"
    other.execute("COMMIT")
    other.close()
    await write
    assert await all_ids(opened, "thr_a") == ["msg_1"]


async def test_waiting_too_long_for_a_lock_is_a_clear_error(db_path: Path) -> None:
    store = SQLiteStore(db_path, timeout=0.05)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked") as caught:
            await store.save_thread(thread("thr_a"), None)
        assert str(db_path) in str(caught.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The failed write left nothing half-done behind, and the store still works.
    await store.save_thread(thread("thr_a"), None)
    store.close()


async def test_a_full_disk_says_so_and_what_to_do_and_loses_nothing(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    await store.save_thread(thread("thr_a"), None)
    await store.add_thread_item("thr_a", message("msg_1"), None)
    # SQLite's own limit on this connection: it fails as a full disk does (SQLITE_FULL).
    pages = await store._run(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    await store._run(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}").fetchone())
    with pytest.raises(StoreError) as caught:
        await store.add_thread_item("thr_a", message("msg_2", text="x" * 100_000), None)
    assert str(caught.value) == (
        f"{db_path} cannot grow: the disk is full (or the database is at its size limit). "
        "What was saved before is kept; free some disk space, then try again."
    )
    assert await all_ids(store, "thr_a") == ["msg_1"]
    await store._run(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823").fetchone())
    await store.add_thread_item("thr_a", message("msg_2"), None)
    assert await all_ids(store, "thr_a") == ["msg_1", "msg_2"]
    store.close()


def test_two_processes_writing_500_items_each_lose_nothing(db_path: Path) -> None:
    # Both open the same new file at the same time, so they also race to create the schema.
    writers = [child(WRITER, str(db_path), tag, "500") for tag in ("a", "b")]
    try:
        for proc in writers:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n", proc.communicate()[1]
        for proc in writers:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        # Not communicate(): it reads the pipes past what readline() already buffered.
        outputs = [(proc.stdout.read(), proc.stderr.read()) for proc in writers]  # type: ignore[union-attr]
        for proc in writers:
            proc.wait(timeout=120)
    finally:
        for proc in writers:
            if proc.poll() is None:
                proc.kill()
    for proc, (out, err) in zip(writers, outputs, strict=True):
        assert "locked" not in err
        assert proc.returncode == 0, err
        assert out == "done\n"

    async def check() -> None:
        async with SQLiteStore(db_path) as store:
            ids = await all_ids(store, "thr_shared")
        assert len(ids) == 1000
        assert set(ids) == {f"msg_{tag}_{i:04d}" for tag in "ab" for i in range(500)}
        for tag in "ab":
            # Each writer's own items stay in the order it wrote them.
            mine = [i for i in ids if i.startswith(f"msg_{tag}_")]
            assert mine == sorted(mine)

    asyncio.run(check())


def test_a_killed_writer_loses_nothing_it_committed(db_path: Path) -> None:
    proc = child(ENDLESS_WRITER, str(db_path))
    assert proc.stdout is not None
    committed: list[str] = []
    try:
        while len(committed) < 300:
            line = proc.stdout.readline()
            assert line, proc.communicate()[1]
            committed.append(line.strip())
        # The writer is in the middle of its next write; kill it without any chance to clean up.
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # Lines printed before the kill, including those readline() has buffered already.
        rest = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    committed += rest.split()

    async def check() -> None:
        async with SQLiteStore(db_path) as store:
            ids = await all_ids(store, "thr_kill")
        # Everything it reported is there, in order; at most the write in flight adds one more.
        assert ids[: len(committed)] == committed
        assert len(ids) - len(committed) in (0, 1)

    asyncio.run(check())
    check_db = sqlite3.connect(db_path)
    try:
        assert check_db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        check_db.close()


async def test_the_event_loop_keeps_running_during_a_10000_item_load(opened: SQLiteStore) -> None:
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    await opened.save_thread(thread("thr_big"), None)
    text = "lorem ipsum " * 40
    for i in range(10_000):
        await opened.add_thread_item("thr_big", message(f"msg_{i:05d}", "thr_big", text=text), None)
    page = await opened.load_thread_items("thr_big", None, 10_000, "asc", None)
    total = time.perf_counter() - started
    stop.set()
    await ticking

    assert len(page.data) == 10_000
    assert page.data[-1].id == "msg_09999"
    # Had SQLite run on the loop, these awaits would never yield and the ticker would see one
    # gap as long as the whole load. Off the loop, the longest gap is a garbage-collection pause.
    assert len(gaps) > 100, (total, len(gaps))
    # The loop ticks on normally almost all the time ...
    assert statistics.median(gaps) < 0.01, statistics.median(gaps)
    # ... and even its longest pause (a GC pass, or the GIL held by a busy neighbour process on
    # this 2-core machine) is a small part of the load, not the whole of it.
    assert max(gaps) < total / 3, (max(gaps), total)


# -- schema versions ----------------------------------------------------------------------------


class NextVersionStore(SQLiteStore):
    """A future release with one more migration."""

    migrations = (
        *SQLiteStore.migrations,
        (
            "ALTER TABLE items ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX items_pinned ON items (user_id, pinned)",
        ),
    )


async def test_an_older_file_is_migrated_forward_and_keeps_its_data(db_path: Path) -> None:
    async with SQLiteStore(db_path) as old:
        await old.save_thread(thread("thr_a"), None)
        await old.add_thread_item("thr_a", message("msg_1"), None)

    async with NextVersionStore(db_path) as new:
        assert (await new.info())["schema_version"] == SCHEMA_VERSION + 1
        assert await all_ids(new, "thr_a") == ["msg_1"]
        await new.add_thread_item("thr_a", message("msg_2"), None)
    check = sqlite3.connect(db_path)
    try:
        columns = [row[1] for row in check.execute("PRAGMA table_info(items)")]
        assert "pinned" in columns
    finally:
        check.close()


async def test_a_file_from_a_newer_release_is_refused_untouched(db_path: Path) -> None:
    async with NextVersionStore(db_path) as new:
        await new.save_thread(thread("thr_a"), None)
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="newer chatkit-jupyter") as caught:
        SQLiteStore(db_path)
    assert str(db_path) in str(caught.value)
    assert db_path.read_bytes() == before


# -- files that are not ours --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"hello",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
        b"SQLite format 3\x00" + b"\xff" * 5000,
        b"# notes\n" * 2000,
    ],
    ids=["text", "png", "fake-header", "markdown"],
)
def test_a_file_that_is_not_a_database_is_refused_untouched(db_path: Path, content: bytes) -> None:
    db_path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        SQLiteStore(db_path)
    message = str(caught.value)
    assert str(db_path) in message
    assert "untouched" in message
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == str(db_path)
    assert db_path.read_bytes() == content
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_another_programs_sqlite_database_is_refused_untouched(db_path: Path) -> None:
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    other.execute("INSERT INTO customers (name) VALUES ('Ada')")
    other.commit()
    other.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="another program") as caught:
        SQLiteStore(db_path)
    assert "customers" in str(caught.value)
    assert str(db_path) in str(caught.value)
    assert db_path.read_bytes() == before


async def test_a_damaged_database_gives_a_clear_error_and_is_not_rewritten(db_path: Path) -> None:
    async with SQLiteStore(db_path) as store:
        await store.save_thread(thread("thr_a"), None)
        for i in range(400):
            await store.add_thread_item("thr_a", message(f"msg_{i}", text="y" * 500), None)
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    assert len(data) > page_size * 20
    # Scribble over the data pages but keep page 1 (header and schema) intact.
    data[page_size * 3 :] = b"\xa5" * (len(data) - page_size * 3)
    db_path.write_bytes(bytes(data))

    # Page 1 (header and schema) is intact, so the file opens; reading the items fails.
    damaged = SQLiteStore(db_path)
    try:
        with pytest.raises(StoreError, match="damaged") as caught:
            await all_ids(damaged, "thr_a")
    finally:
        damaged.close()
    assert str(db_path) in str(caught.value)
    assert db_path.read_bytes() == bytes(data)


def test_an_unopenable_path_names_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(StoreError) as caught:
        SQLiteStore(folder)
    assert str(folder) in str(caught.value)


def test_a_store_dropped_without_close_releases_its_thread_and_file(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    worker = store._worker._thread  # the store's one thread
    asyncio.run(store.save_thread(thread("thr_a"), None))
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists()
    del store
    gc.collect()
    worker.join(timeout=30)
    assert not worker.is_alive()
    # The last connection to close checkpoints the log and removes it.
    assert not wal.exists()


def test_a_finalizer_that_runs_inside_an_executor_submit_does_not_deadlock(db_path: Path) -> None:
    # GC can run a dropped store's finalizer in the middle of any allocation, e.g. inside
    # ThreadPoolExecutor.submit, which holds a lock shared by every executor; the finalizer must
    # not need that lock (it did once, and the whole test run hung).
    import concurrent.futures.thread as executor_module

    store = SQLiteStore(db_path)
    worker = store._worker._thread
    finished = threading.Event()

    def finalize_while_submitting() -> None:
        with executor_module._global_shutdown_lock:
            store._finalizer()
        finished.set()

    threading.Thread(target=finalize_while_submitting, daemon=True).start()
    assert finished.wait(10), "the finalizer deadlocked"
    worker.join(timeout=10)
    assert not worker.is_alive()


# -- where the database goes --------------------------------------------------------------------


async def test_default_store_lives_in_dot_chatkit_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with default_store() as store:
        await store.save_thread(thread("thr_a"), None)
        assert Path(store.path) == tmp_path / ".chatkit" / "chatkit.db"
    assert (tmp_path / ".chatkit" / "chatkit.db").is_file()
    async with default_store() as again:
        assert (await again.load_thread("thr_a", None)).id == "thr_a"

    elsewhere = tmp_path / "elsewhere" / "deeper"
    async with default_store(elsewhere) as other:
        assert Path(other.path) == elsewhere / "chatkit.db"
        with pytest.raises(NotFoundError):
            await other.load_thread("thr_a", None)


async def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.db"
    async with SQLiteStore(str(path)) as store:
        await store.save_thread(thread("thr_a"), None)
    assert path.is_file()


async def test_closing_lets_queued_operations_finish(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    await store.save_thread(thread("thr_a"), None)
    writes = [
        asyncio.create_task(store.add_thread_item("thr_a", message(f"msg_{i}"), None))
        for i in range(50)
    ]
    await asyncio.sleep(0)  # one loop turn: every write has been handed to the worker
    await store.aclose()
    await asyncio.gather(*writes)
    with pytest.raises(StoreError, match="closed"):
        await store.add_thread_item("thr_a", message("msg_late"), None)
    async with SQLiteStore(db_path) as reopened:
        assert len(await all_ids(reopened, "thr_a")) == 50
