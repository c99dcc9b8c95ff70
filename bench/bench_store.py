"""Benchmark SQLiteStore against a plain in-memory dict store.

Run: ``python bench/bench_store.py [--items 10000] [--threads 1000] [--memory]``

Measures, through the public ``chatkit.store.Store`` interface and one call at a time (the way
ChatKit's server uses a store):

- saving N items into one thread (``add_thread_item``),
- loading a page of 50 items from the start, the middle and the end (``load_thread_items``),
- saving M threads and listing all of them in one call (``load_threads``).

The baseline is ``DictStore`` below: a minimal store that keeps the models in dicts and lists,
with no copying, no serialization and no thread hand-off, i.e. the floor for this interface.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chatkit.store import NotFoundError, Store
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    Attachment,
    Page,
    ThreadItem,
    ThreadMetadata,
)

# Run from a checkout without installing; an installed or PYTHONPATH copy wins.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from chatkit_jupyter import SQLiteStore

PAGE = 50
REPEAT = 200


class DictStore(Store[Any]):
    """The baseline: threads and items in dicts, items of a thread in insertion order."""

    def __init__(self) -> None:
        self.threads: dict[str, ThreadMetadata] = {}
        self.items: dict[str, list[ThreadItem]] = {}
        self.positions: dict[str, dict[str, int]] = {}
        self.attachments: dict[str, Attachment] = {}

    async def load_thread(self, thread_id: str, context: Any) -> ThreadMetadata:
        try:
            return self.threads[thread_id]
        except KeyError:
            raise NotFoundError(thread_id) from None

    async def save_thread(self, thread: ThreadMetadata, context: Any) -> None:
        self.threads[thread.id] = thread

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: Any
    ) -> Page[ThreadMetadata]:
        threads = sorted(self.threads.values(), key=lambda t: t.created_at, reverse=order == "desc")
        start = 0
        if after is not None:
            start = next(i for i, t in enumerate(threads) if t.id == after) + 1
        chunk = threads[start : start + limit]
        has_more = start + limit < len(threads)
        return Page(data=chunk, has_more=has_more, after=chunk[-1].id if has_more else None)

    async def delete_thread(self, thread_id: str, context: Any) -> None:
        self.threads.pop(thread_id, None)
        self.items.pop(thread_id, None)
        self.positions.pop(thread_id, None)

    async def load_thread_items(
        self, thread_id: str, after: str | None, limit: int, order: str, context: Any
    ) -> Page[ThreadItem]:
        items = self.items.get(thread_id, [])
        if order == "desc":
            items = items[::-1]
        start = 0
        if after is not None:
            position = self.positions[thread_id][after]
            start = len(items) - position if order == "desc" else position + 1
        chunk = items[start : start + limit]
        has_more = start + limit < len(items)
        return Page(data=chunk, has_more=has_more, after=chunk[-1].id if has_more else None)

    async def add_thread_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        positions = self.positions.setdefault(thread_id, {})
        items = self.items.setdefault(thread_id, [])
        if item.id in positions:
            items[positions[item.id]] = item
        else:
            positions[item.id] = len(items)
            items.append(item)

    async def save_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        await self.add_thread_item(thread_id, item, context)

    async def load_item(self, thread_id: str, item_id: str, context: Any) -> ThreadItem:
        try:
            return self.items[thread_id][self.positions[thread_id][item_id]]
        except KeyError:
            raise NotFoundError(item_id) from None

    async def delete_thread_item(self, thread_id: str, item_id: str, context: Any) -> None:
        raise NotImplementedError  # not benchmarked

    async def save_attachment(self, attachment: Attachment, context: Any) -> None:
        self.attachments[attachment.id] = attachment

    async def load_attachment(self, attachment_id: str, context: Any) -> Attachment:
        return self.attachments[attachment_id]

    async def delete_attachment(self, attachment_id: str, context: Any) -> None:
        self.attachments.pop(attachment_id, None)


def make_item(i: int, at: datetime) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=f"msg_{i:06d}",
        thread_id="thr_bench",
        created_at=at + timedelta(milliseconds=i),
        content=[AssistantMessageContent(text=f"Answer number {i}. " + "lorem ipsum " * 30)],
    )


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def run(store: Store[Any], items: int, threads: int) -> dict[str, float]:
    at = datetime(2025, 1, 1)
    prepared = [make_item(i, at) for i in range(items)]
    results: dict[str, float] = {}
    await store.save_thread(ThreadMetadata(id="thr_bench", created_at=at), None)

    async def save_items() -> None:
        for item in prepared:
            await store.add_thread_item("thr_bench", item, None)

    results[f"save {items:,} items (total)"] = await timed(save_items)

    cursors = {
        "start": None,
        "middle": prepared[items // 2 - 1].id,
        "end": prepared[items - PAGE - 1].id,
    }
    for where, after in cursors.items():

        async def load_page(after: str | None = after) -> None:
            page = await store.load_thread_items("thr_bench", after, PAGE, "asc", None)
            assert len(page.data) == PAGE

        results[f"load 50 items, {where} (per call)"] = await timed(load_page, REPEAT)

    thread_models = [
        ThreadMetadata(id=f"thr_{i:05d}", created_at=at + timedelta(seconds=i), title=f"Chat {i}")
        for i in range(threads)
    ]

    async def save_threads() -> None:
        for thread in thread_models:
            await store.save_thread(thread, None)

    results[f"save {threads:,} threads (total)"] = await timed(save_threads)

    async def list_threads() -> None:
        page = await store.load_threads(threads + 1, None, "desc", None)
        assert len(page.data) == threads + 1  # + thr_bench

    results[f"list {threads:,} threads (per call)"] = await timed(list_threads, 20)
    return results


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:8.2f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds * 1e6:8.1f} us"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1_000)
    parser.add_argument("--memory", action="store_true", help="SQLite ':memory:' instead of a file")
    args = parser.parse_args()

    baseline = await run(DictStore(), args.items, args.threads)
    with tempfile.TemporaryDirectory() as folder:
        target = ":memory:" if args.memory else str(Path(folder) / "bench.db")
        store = SQLiteStore(target)
        try:
            measured = await run(store, args.items, args.threads)
        finally:
            store.close()

    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()}, SQLite on {'memory' if args.memory else 'a file (WAL)'}"
    )
    name_width = max(len(name) for name in baseline)
    header = f"{'operation':<{name_width}}  {'dict store':>11}  {'SQLiteStore':>11}  {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, base in baseline.items():
        ours = measured[name]
        print(f"{name:<{name_width}}  {fmt(base):>11}  {fmt(ours):>11}  {ours / base:6.1f}x")
    per_item = measured[f"save {args.items:,} items (total)"] / args.items
    print(f"\nSQLiteStore: {per_item * 1e6:.0f} us per saved item (one transaction each).")


if __name__ == "__main__":
    asyncio.run(main())
