"""SQLiteStore semantics: ordering, pagination, upserts, deletes, users, ids, round trips."""

from __future__ import annotations

import asyncio
import json
import typing
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from chatkit.server import ChatKitServer, StreamingResult
from chatkit.store import NotFoundError
from chatkit.types import Annotation as SourceAnnotation
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    ClientToolCallItem,
    ClosedStatus,
    CustomSummary,
    CustomTask,
    DurationSummary,
    EndOfTurnItem,
    FileAttachment,
    FileSource,
    FileTask,
    GeneratedImage,
    GeneratedImageItem,
    HiddenContextItem,
    ImageAttachment,
    ImageTask,
    InferenceOptions,
    LockedStatus,
    Page,
    SDKHiddenContextItem,
    SearchTask,
    StructuredInputAnswer,
    StructuredInputFreeform,
    StructuredInputItem,
    StructuredInputMultipleChoice,
    StructuredInputMultipleChoiceOption,
    TaskItem,
    ThoughtTask,
    Thread,
    ThreadItem,
    ThreadItemDoneEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    ToolChoice,
    URLSource,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
    Workflow,
    WorkflowItem,
)
from chatkit.types import EntitySource as EntitySourceModel
from chatkit.widgets import DynamicWidgetRoot, WidgetTemplate
from pydantic import TypeAdapter

from chatkit_jupyter.store import DEFAULT_USER, SQLiteStore, StoreError, user_id_of

from .conftest import ALICE, BOB, T0, Ctx, message, thread


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every store test runs against a file, a private in-memory database and a shared-cache URI.
    if "db" in metafunc.fixturenames:
        metafunc.parametrize("db", ["file", "memory", "shared-uri"], indirect=True)


async def all_pages(load: Any, limit: int) -> tuple[list[str], list[bool]]:
    """Follow ``after`` cursors to the end; return the ids and each page's ``has_more``."""
    ids: list[str] = []
    flags: list[bool] = []
    after: str | None = None
    while True:
        page = await load(after, limit)
        ids += [entry.id for entry in page.data]
        flags.append(page.has_more)
        if not page.has_more:
            return ids, flags
        assert page.after == page.data[-1].id
        after = page.after


# -- threads ------------------------------------------------------------------------------------


async def test_thread_round_trips_and_saving_again_updates_it(db: SQLiteStore) -> None:
    original = thread(
        "thr_a",
        title="First",
        metadata={"k": [1, 2]},
        allowed_image_domains=["example.com"],
    )
    await db.save_thread(original, ALICE)
    assert (await db.load_thread("thr_a", ALICE)).model_dump() == original.model_dump()

    changed = original.model_copy(
        update={
            "title": "Renamed",
            "metadata": {"k": "v", "nested": {"x": None}},
            "status": LockedStatus(reason="read only"),
        }
    )
    await db.save_thread(changed, ALICE)
    loaded = await db.load_thread("thr_a", ALICE)
    assert loaded.model_dump() == changed.model_dump()
    assert isinstance(loaded.status, LockedStatus)
    await db.save_thread(changed.model_copy(update={"status": ClosedStatus()}), ALICE)
    assert isinstance((await db.load_thread("thr_a", ALICE)).status, ClosedStatus)
    page = await db.load_threads(10, None, "desc", ALICE)
    assert [t.id for t in page.data] == ["thr_a"]


async def test_a_thread_with_items_is_saved_as_metadata_only(db: SQLiteStore) -> None:
    full = Thread(id="thr_a", created_at=T0, title="t", items=Page(data=[message("msg_1")]))
    await db.save_thread(full, ALICE)
    loaded = await db.load_thread("thr_a", ALICE)
    assert type(loaded) is ThreadMetadata
    assert loaded.model_dump() == ThreadMetadata(id="thr_a", created_at=T0, title="t").model_dump()
    assert (await db.load_thread_items("thr_a", None, 10, "asc", ALICE)).data == []


async def test_missing_things_raise_not_found(db: SQLiteStore) -> None:
    await db.save_thread(thread("thr_a"), ALICE)
    await db.add_thread_item("thr_a", message("msg_1"), ALICE)
    with pytest.raises(NotFoundError):
        await db.load_thread("thr_missing", ALICE)
    with pytest.raises(NotFoundError):
        await db.load_item("thr_a", "msg_missing", ALICE)
    with pytest.raises(NotFoundError):
        await db.load_item("thr_other", "msg_1", ALICE)  # the item is in another thread
    with pytest.raises(NotFoundError):
        await db.load_attachment("atc_missing", ALICE)
    with pytest.raises(NotFoundError):
        await db.load_threads(10, "thr_missing", "asc", ALICE)
    with pytest.raises(NotFoundError):
        await db.load_thread_items("thr_a", "msg_missing", 10, "asc", ALICE)


async def test_threads_are_ordered_and_paginated(db: SQLiteStore) -> None:
    # Two threads share a created_at: insertion order breaks the tie, in both directions.
    times = [T0 + timedelta(minutes=m) for m in (5, 1, 3, 3, 0, 4, 2)]
    for i, at in enumerate(times):
        await db.save_thread(thread(f"thr_{i}", at), ALICE)
    expected = [f"thr_{i}" for i in sorted(range(len(times)), key=lambda i: (times[i], i))]
    assert expected.index("thr_2") + 1 == expected.index("thr_3")

    async def load_asc(after: str | None, limit: int) -> Page[ThreadMetadata]:
        return await db.load_threads(limit, after, "asc", ALICE)

    async def load_desc(after: str | None, limit: int) -> Page[ThreadMetadata]:
        return await db.load_threads(limit, after, "desc", ALICE)

    assert await all_pages(load_asc, 3) == (expected, [True, True, False])
    assert await all_pages(load_desc, 3) == (expected[::-1], [True, True, False])
    assert await all_pages(load_asc, 7) == (expected, [False])
    assert await all_pages(load_asc, 100) == (expected, [False])
    middle = await db.load_threads(2, expected[2], "asc", ALICE)
    assert [t.id for t in middle.data] == expected[3:5]
    assert middle.has_more is True
    assert middle.after == expected[4]
    last = await db.load_threads(2, expected[-1], "asc", ALICE)
    assert (last.data, last.has_more, last.after) == ([], False, None)


async def test_items_are_ordered_and_paginated(db: SQLiteStore) -> None:
    await db.save_thread(thread("thr_a"), ALICE)
    times = [T0 + timedelta(seconds=s) for s in (0, 0, 0, 1, 1, 2, 3, 3, 3, 4)]
    for i, at in enumerate(times):
        await db.add_thread_item("thr_a", message(f"msg_{i}", at=at), ALICE)
    expected = [f"msg_{i}" for i in range(len(times))]

    async def load_asc(after: str | None, limit: int) -> Page[ThreadItem]:
        return await db.load_thread_items("thr_a", after, limit, "asc", ALICE)

    async def load_desc(after: str | None, limit: int) -> Page[ThreadItem]:
        return await db.load_thread_items("thr_a", after, limit, "desc", ALICE)

    assert await all_pages(load_asc, 4) == (expected, [True, True, False])
    assert await all_pages(load_desc, 4) == (expected[::-1], [True, True, False])
    assert await all_pages(load_asc, 5) == (expected, [True, False])
    assert await all_pages(load_asc, 10) == (expected, [False])
    after_two = await db.load_thread_items("thr_a", "msg_2", 3, "desc", ALICE)
    assert [i.id for i in after_two.data] == ["msg_1", "msg_0"]
    assert after_two.has_more is False
    assert after_two.after is None


async def test_items_of_other_threads_are_not_listed(db: SQLiteStore) -> None:
    for name in ("thr_a", "thr_b"):
        await db.save_thread(thread(name), ALICE)
        for i in range(3):
            await db.add_thread_item(name, message(f"{name}_msg_{i}", thread_id=name), ALICE)
    page = await db.load_thread_items("thr_b", None, 10, "asc", ALICE)
    assert [i.id for i in page.data] == ["thr_b_msg_0", "thr_b_msg_1", "thr_b_msg_2"]


async def test_bad_order_is_refused(db: SQLiteStore) -> None:
    with pytest.raises(ValueError, match="asc"):
        await db.load_threads(10, None, "newest", ALICE)
    with pytest.raises(ValueError, match="asc"):
        await db.load_thread_items("thr_a", None, 10, "sideways", ALICE)


# -- items --------------------------------------------------------------------------------------


async def test_save_item_upserts_in_place(db: SQLiteStore) -> None:
    await db.save_thread(thread("thr_a"), ALICE)
    for i in range(3):
        await db.add_thread_item("thr_a", message(f"msg_{i}", text=f"v{i}"), ALICE)

    await db.save_item("thr_a", message("msg_1", text="edited"), ALICE)
    await db.save_item("thr_a", message("msg_new", at=T0 + timedelta(seconds=1)), ALICE)
    # ChatKit may report an item done twice; that must update, not duplicate or fail.
    await db.add_thread_item("thr_a", message("msg_0", text="again"), ALICE)

    page = await db.load_thread_items("thr_a", None, 10, "asc", ALICE)
    assert [i.id for i in page.data] == ["msg_0", "msg_1", "msg_2", "msg_new"]
    texts = [i.content[0].text for i in page.data if isinstance(i, AssistantMessageItem)]
    assert texts == ["again", "edited", "v2", "hi"]
    loaded = await db.load_item("thr_a", "msg_1", ALICE)
    assert loaded.model_dump() == message("msg_1", text="edited").model_dump()


async def test_save_item_can_change_the_item_type(db: SQLiteStore) -> None:
    await db.save_thread(thread("thr_a"), ALICE)
    await db.add_thread_item("thr_a", message("itm_1"), ALICE)
    replacement = EndOfTurnItem(id="itm_1", thread_id="thr_a", created_at=T0)
    await db.save_item("thr_a", replacement, ALICE)
    assert isinstance(await db.load_item("thr_a", "itm_1", ALICE), EndOfTurnItem)


async def test_deleting_one_item_leaves_the_rest(db: SQLiteStore) -> None:
    await db.save_thread(thread("thr_a"), ALICE)
    for i in range(4):
        await db.add_thread_item("thr_a", message(f"msg_{i}"), ALICE)
    await db.delete_thread_item("thr_a", "msg_1", ALICE)
    await db.delete_thread_item("thr_a", "msg_missing", ALICE)  # a no-op, not an error
    page = await db.load_thread_items("thr_a", None, 10, "asc", ALICE)
    assert [i.id for i in page.data] == ["msg_0", "msg_2", "msg_3"]
    with pytest.raises(NotFoundError):
        await db.load_item("thr_a", "msg_1", ALICE)
    assert (await db.load_thread("thr_a", ALICE)).id == "thr_a"


def file_attachment(attachment_id: str, thread_id: str | None = None) -> FileAttachment:
    return FileAttachment(
        id=attachment_id,
        name=f"{attachment_id}.csv",
        mime_type="text/csv",
        thread_id=thread_id,
        metadata={"size": 3, "sha256": "abc"},
    )


async def test_deleting_a_thread_removes_its_items_and_attachments(db: SQLiteStore) -> None:
    told: list[tuple[str, list[str]]] = []
    db.on_attachments_deleted(lambda user, ids: told.append((user, ids)))
    for name in ("thr_a", "thr_b"):
        await db.save_thread(thread(name), ALICE)
        await db.add_thread_item(name, message(f"{name}_msg", thread_id=name), ALICE)
    # atc_1 knows its thread; atc_2 is only listed by the message (a custom server may not set
    # thread_id); atc_3 waits in the composer; atc_4 belongs to the other thread.
    await db.save_attachment(file_attachment("atc_1", "thr_a"), ALICE)
    await db.save_attachment(file_attachment("atc_2"), ALICE)
    await db.save_attachment(file_attachment("atc_3"), ALICE)
    await db.save_attachment(file_attachment("atc_4", "thr_b"), ALICE)
    await db.add_thread_item(
        "thr_a",
        UserMessageItem(
            id="msg_user",
            thread_id="thr_a",
            created_at=T0,
            content=[UserMessageTextContent(text="see files")],
            attachments=[file_attachment("atc_1", "thr_a"), file_attachment("atc_2")],
            inference_options=InferenceOptions(),
        ),
        ALICE,
    )

    await db.delete_thread("thr_a", ALICE)

    with pytest.raises(NotFoundError):
        await db.load_thread("thr_a", ALICE)
    assert (await db.load_thread_items("thr_a", None, 10, "asc", ALICE)).data == []
    for gone in ("atc_1", "atc_2"):
        with pytest.raises(NotFoundError):
            await db.load_attachment(gone, ALICE)
    assert (await db.load_attachment("atc_3", ALICE)).id == "atc_3"
    assert (await db.load_attachment("atc_4", ALICE)).id == "atc_4"
    assert [i.id for i in (await db.load_thread_items("thr_b", None, 10, "asc", ALICE)).data] == [
        "thr_b_msg"
    ]
    assert told == [("alice", ["atc_1", "atc_2"])]


async def test_deleting_an_attachment_tells_listeners(db: SQLiteStore) -> None:
    told: list[tuple[str, list[str]]] = []
    db.on_attachments_deleted(lambda user, ids: told.append((user, ids)))
    await db.save_attachment(file_attachment("atc_1"), ALICE)
    await db.delete_attachment("atc_1", ALICE)
    with pytest.raises(NotFoundError):
        await db.load_attachment("atc_1", ALICE)
    assert told == [("alice", ["atc_1"])]


async def test_attachment_metadata_is_kept(db: SQLiteStore) -> None:
    # ChatKit serializes responses with context={"exclude_metadata": True}; the store must not.
    attachment = ImageAttachment(
        id="atc_1",
        name="plot.png",
        mime_type="image/png",
        preview_url="data:image/png;base64,iVBORw0KGgo=",  # type: ignore[arg-type]
        metadata={"size": 10, "sha256": "00ff", "uploaded": True},
    )
    await db.save_attachment(attachment, ALICE)
    loaded = await db.load_attachment("atc_1", ALICE)
    assert loaded.model_dump() == attachment.model_dump()
    assert loaded.metadata == {"size": 10, "sha256": "00ff", "uploaded": True}
    updated = attachment.model_copy(update={"thread_id": "thr_a", "metadata": {"size": 11}})
    await db.save_attachment(updated, ALICE)
    assert (await db.load_attachment("atc_1", ALICE)).model_dump() == updated.model_dump()


async def test_unsent_attachments_are_counted(db: SQLiteStore) -> None:
    await db.save_attachment(file_attachment("atc_1"), ALICE)
    await db.save_attachment(file_attachment("atc_2"), ALICE)
    await db.save_attachment(file_attachment("atc_3", "thr_a"), ALICE)
    await db.save_attachment(file_attachment("atc_4"), BOB)
    assert await db.count_unsent_attachments(ALICE, timedelta(hours=1)) == 2
    # Sending the message gives the attachment a thread.
    await db.save_attachment(file_attachment("atc_1", "thr_a"), ALICE)
    assert await db.count_unsent_attachments(ALICE, timedelta(hours=1)) == 1
    assert await db.count_unsent_attachments(ALICE, timedelta(seconds=-60)) == 0


# -- users --------------------------------------------------------------------------------------


def test_user_id_of_reads_attribute_mapping_or_default() -> None:
    assert user_id_of(Ctx("alice")) == "alice"
    assert user_id_of({"user_id": "bob"}) == "bob"
    assert user_id_of({"user_id": 7}) == "7"
    assert user_id_of({"other": 1}) == DEFAULT_USER
    assert user_id_of(None) == DEFAULT_USER
    assert user_id_of(object()) == DEFAULT_USER


async def test_users_never_see_each_other(db: SQLiteStore) -> None:
    await db.save_thread(thread("thr_a", title="alice's"), ALICE)
    await db.add_thread_item("thr_a", message("msg_1"), ALICE)
    await db.save_attachment(file_attachment("atc_1", "thr_a"), ALICE)

    for other in (BOB, {"user_id": "bob"}, None, Ctx("Alice")):
        with pytest.raises(NotFoundError):
            await db.load_thread("thr_a", other)
        with pytest.raises(NotFoundError):
            await db.load_item("thr_a", "msg_1", other)
        with pytest.raises(NotFoundError):
            await db.load_attachment("atc_1", other)
        assert (await db.load_threads(10, None, "desc", other)).data == []
        assert (await db.load_thread_items("thr_a", None, 10, "asc", other)).data == []
        # Writes and deletes by another user touch only that user's rows.
        await db.delete_thread("thr_a", other)
        await db.delete_thread_item("thr_a", "msg_1", other)
        await db.delete_attachment("atc_1", other)

    await db.save_thread(thread("thr_a", title="bob's"), BOB)
    await db.save_item("thr_a", message("msg_1", text="bob"), BOB)
    assert (await db.load_thread("thr_a", ALICE)).title == "alice's"
    assert (await db.load_thread("thr_a", BOB)).title == "bob's"
    alice_item = await db.load_item("thr_a", "msg_1", ALICE)
    assert isinstance(alice_item, AssistantMessageItem)
    assert alice_item.content[0].text == "hi"
    assert (await db.load_attachment("atc_1", ALICE)).id == "atc_1"

    await db.save_thread(thread("thr_default"), None)
    assert [t.id for t in (await db.load_threads(10, None, "asc", None)).data] == ["thr_default"]
    assert [t.id for t in (await db.load_threads(10, None, "asc", ALICE)).data] == ["thr_a"]


# -- ids ----------------------------------------------------------------------------------------


async def test_default_ids_keep_chatkits_prefixes(db: SQLiteStore) -> None:
    meta = thread("thr_a")
    assert db.generate_thread_id(None).startswith("thr_")
    prefixes = {
        "message": "msg_",
        "tool_call": "tc_",
        "task": "tsk_",
        "workflow": "wf_",
        "sdk_hidden_context": "shcx_",
    }
    for item_type, prefix in prefixes.items():
        generated = db.generate_item_id(item_type, meta, None)  # type: ignore[arg-type]
        assert generated.startswith(prefix), generated
    assert len({db.generate_item_id("message", meta, None) for _ in range(100)}) == 100


class NumberedStore(SQLiteStore):
    """A subclass with its own id scheme, as a user might write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = 0

    def generate_thread_id(self, context: Any) -> str:
        self.count += 1
        return f"conversation/{self.count} é"

    def generate_item_id(self, item_type: Any, thread: ThreadMetadata, context: Any) -> str:
        self.count += 1
        return f"{thread.id}#{item_type}-{self.count}"


class EchoServer(ChatKitServer[Any]):
    """Answers every message with one assistant message."""

    async def respond(
        self, thread: ThreadMetadata, input_user_message: Any, context: Any
    ) -> AsyncIterator[ThreadStreamEvent]:
        yield ThreadItemDoneEvent(
            item=AssistantMessageItem(
                id=self.store.generate_item_id("message", thread, context),
                thread_id=thread.id,
                created_at=datetime.now(),
                content=[AssistantMessageContent(text="echo")],
            )
        )


async def test_a_subclass_id_scheme_is_honoured_through_the_server() -> None:
    store = NumberedStore(":memory:")
    server = EchoServer(store)
    body = {
        "type": "threads.create",
        "params": {
            "input": {
                "content": [{"type": "input_text", "text": "hello"}],
                "attachments": [],
                "inference_options": {},
            }
        },
    }
    result = await server.process(json.dumps(body).encode(), ALICE)
    assert isinstance(result, StreamingResult)
    [chunk async for chunk in result]

    threads = await store.load_threads(10, None, "desc", ALICE)
    assert [t.id for t in threads.data] == ["conversation/1 é"]
    items = await store.load_thread_items("conversation/1 é", None, 10, "asc", ALICE)
    assert [i.id for i in items.data] == [
        "conversation/1 é#message-2",
        "conversation/1 é#message-3",
    ]
    assert [i.type for i in items.data] == ["user_message", "assistant_message"]
    store.close()


# -- every item type round-trips ----------------------------------------------------------------


CARD_TEMPLATE = WidgetTemplate(
    {
        "version": "1.0",
        "name": "card",
        "template": (
            '{"type":"Card","size":"md","children":[{"type":"Text","value":{{ title | tojson }},'
            '"weight":"semibold"},{"type":"Row","gap":2,"children":[{"type":"Badge",'
            '"label":"new","color":"info"},{"type":"Button","label":"Open",'
            '"onClickAction":{"type":"open","payload":{"id":7}}}]}],"customProp":"kept"}'
        ),
        "jsonSchema": {},
    }
)


def every_item(thread_id: str) -> list[Any]:
    at = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2)))
    base: dict[str, Any] = {"thread_id": thread_id, "created_at": at}
    attachments: list[FileAttachment | ImageAttachment] = [
        FileAttachment(id="atc_f", name="data.csv", mime_type="text/csv", metadata={"size": 3}),
        ImageAttachment(
            id="atc_i",
            name="p.png",
            mime_type="image/png",
            preview_url="data:image/png;base64,AAAA",  # type: ignore[arg-type]
            thread_id=thread_id,
        ),
    ]
    url, file = (
        URLSource(title="Docs", url="https://example.com", attribution="ex", group="g"),
        FileSource(title="File", filename="notes.md", description="d"),
    )
    sources: list[URLSource | FileSource | EntitySourceModel] = [
        url,
        file,
        EntitySourceModel(title="Ent", id="e1", data={"k": 1}, interactive=True),
    ]
    return [
        UserMessageItem(
            id="msg_user",
            content=[
                UserMessageTextContent(text="look at "),
                UserMessageTagContent(id="tag1", text="@df", data={"rows": 3}, group="vars"),
            ],
            attachments=attachments,
            quoted_text="quoted",
            inference_options=InferenceOptions(tool_choice=ToolChoice(id="t"), model="gpt"),
            **base,
        ),
        AssistantMessageItem(
            id="msg_assistant",
            content=[
                AssistantMessageContent(
                    text="answer",
                    annotations=[
                        SourceAnnotation(source=source, index=i) for i, source in enumerate(sources)
                    ],
                )
            ],
            **base,
        ),
        ClientToolCallItem(
            id="tc_1",
            status="completed",
            call_id="call_1",
            name="get_df",
            arguments={"name": "df", "n": [1, 2.5, None]},
            output={"rows": [[1, "a"]]},
            **base,
        ),
        WidgetItem(
            id="wdg_dynamic", widget=CARD_TEMPLATE.build({"title": "Hi"}), copy_text="c", **base
        ),
        WidgetItem(
            id="wdg_plain",
            widget=DynamicWidgetRoot.model_validate(
                {"type": "ListView", "children": [{"type": "ListViewItem", "children": []}]}
            ),
            **base,
        ),
        GeneratedImageItem(
            id="img_1", image=GeneratedImage(id="gen_1", url="https://example.com/i.png"), **base
        ),
        GeneratedImageItem(id="img_2", **base),
        StructuredInputItem(
            id="si_1",
            status="answered",
            inputs=[
                StructuredInputMultipleChoice(
                    id="q1",
                    question="Pick",
                    options=[StructuredInputMultipleChoiceOption(value="a")],
                    multiple=True,
                    answer=StructuredInputAnswer(values=["a"]),
                ),
                StructuredInputFreeform(id="q2", question="Why?", description="say"),
            ],
            **base,
        ),
        WorkflowItem(
            id="wf_1",
            workflow=Workflow(
                type="custom",
                tasks=[
                    CustomTask(title="c", icon="search", content="x", status_indicator="loading"),
                    SearchTask(title_query="q", queries=["q"], sources=[url]),
                    ThoughtTask(content="thinking"),
                    FileTask(sources=[file]),
                    ImageTask(title="img"),
                ],
                summary=CustomSummary(title="Done", icon="check"),
                expanded=True,
            ),
            **base,
        ),
        WorkflowItem(
            id="wf_2",
            workflow=Workflow(
                type="reasoning",
                tasks=[ThoughtTask(content="t")],
                summary=DurationSummary(duration=3),
            ),
            **base,
        ),
        TaskItem(id="tsk_1", task=ThoughtTask(title="t", content="c"), **base),
        HiddenContextItem(id="hc_1", content={"note": ["a", 1, None]}, **base),
        SDKHiddenContextItem(id="shcx_1", content="sdk", **base),
        EndOfTurnItem(id="eot_1", **{**base, "created_at": datetime(2025, 3, 4, 5, 6, 8)}),
    ]


async def test_every_thread_item_type_round_trips_exactly(db: SQLiteStore) -> None:
    items = every_item("thr_a")
    union_members = set(typing.get_args(typing.get_args(ThreadItem)[0]))
    assert {type(item) for item in items} == union_members, "a ThreadItem type has no test case"

    await db.save_thread(thread("thr_a"), ALICE)
    for item in items:
        await db.add_thread_item("thr_a", item, ALICE)

    page = await db.load_thread_items("thr_a", None, 100, "asc", ALICE)
    assert [i.id for i in page.data] == [i.id for i in items]
    for original, listed in zip(items, page.data, strict=True):
        loaded = await db.load_item("thr_a", original.id, ALICE)
        for copy in (listed, loaded):
            assert type(copy) is type(original)
            assert copy.model_dump() == original.model_dump(), original.id
            assert copy.model_dump_json() == original.model_dump_json(), original.id
    dynamic = await db.load_item("thr_a", "wdg_dynamic", ALICE)
    assert isinstance(dynamic, WidgetItem)
    assert type(dynamic.widget) is DynamicWidgetRoot
    assert dynamic.widget.model_dump()["customProp"] == "kept"
    user = await db.load_item("thr_a", "msg_user", ALICE)
    assert isinstance(user, UserMessageItem)
    assert user.attachments[0].metadata == {"size": 3}
    # Naive datetimes stay naive and aware ones keep their offset.
    assert user.created_at.utcoffset() == timedelta(hours=2)
    assert (await db.load_item("thr_a", "eot_1", ALICE)).created_at.tzinfo is None


async def test_item_json_validates_with_chatkits_own_adapter(db: SQLiteStore) -> None:
    """What we store is ChatKit's JSON, readable without chatkit-jupyter."""
    await db.save_thread(thread("thr_a"), ALICE)
    for item in every_item("thr_a"):
        await db.add_thread_item("thr_a", item, ALICE)
    page = await db.load_thread_items("thr_a", None, 100, "asc", ALICE)
    adapter: TypeAdapter[Any] = TypeAdapter(ThreadItem)
    for item in page.data:
        assert adapter.validate_json(item.model_dump_json()).id == item.id


# -- sharing and lifecycle ----------------------------------------------------------------------


async def test_stores_on_one_shared_memory_uri_see_each_other() -> None:
    uri = f"file:shared-{uuid.uuid4().hex}?mode=memory&cache=shared"
    first, second = SQLiteStore(uri), SQLiteStore(uri)
    try:
        await first.save_thread(thread("thr_a"), ALICE)
        assert (await second.load_thread("thr_a", ALICE)).id == "thr_a"
        # Both write at once: shared-cache table locks must be waited out, not raised.

        async def write(store: SQLiteStore, tag: str) -> None:
            for i in range(150):
                await store.add_thread_item("thr_a", message(f"msg_{tag}_{i}"), ALICE)

        await asyncio.gather(write(first, "a"), write(second, "b"))
        page = await first.load_thread_items("thr_a", None, 1000, "asc", ALICE)
        assert len(page.data) == 300
    finally:
        first.close()
        second.close()


async def test_plain_memory_stores_are_private() -> None:
    first, second = SQLiteStore(":memory:"), SQLiteStore(":memory:")
    await first.save_thread(thread("thr_a"), ALICE)
    with pytest.raises(NotFoundError):
        await second.load_thread("thr_a", ALICE)
    first.close()
    second.close()


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    await store.save_thread(thread("thr_a"), ALICE)
    await store.aclose()
    store.close()  # closing twice is fine
    with pytest.raises(StoreError, match="closed"):
        await store.load_thread("thr_a", ALICE)
    async with SQLiteStore(tmp_path / "c.db") as reopened:
        assert (await reopened.load_thread("thr_a", ALICE)).id == "thr_a"
    assert "closed" in repr(reopened)
