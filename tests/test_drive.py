"""Driving the chat from Python (``send_user_message``, ``post`` ...), through a fake comm: the
commands the kernel sends and to which views, the answers, the events handlers get, and what
``post`` and ``set_composer_value(files=...)`` store."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from chatkit.types import AssistantMessageItem, ThreadMetadata, WidgetItem

from chatkit_jupyter import (
    AttachmentError,
    ChatKitWidget,
    CommandError,
    FileAttachmentStore,
    SQLiteStore,
    WidgetView,
)
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.widget import PendingCommand

from .conftest import FakeComm, ScriptedServer

_ids = itertools.count()


@pytest.fixture
def widget(fake_comm: Any, store: Any) -> tuple[ChatKitWidget, FakeComm]:
    w = ChatKitWidget(ScriptedServer(store), renderer="lite")
    return w, fake_comm()


def call(w: ChatKitWidget, view: str, hook: str, payload: dict[str, Any]) -> str:
    """A hook call from a view, as its front end sends it."""
    rid = f"{view}:c{next(_ids)}"
    w.comm.receive({"kind": p.CALL, "id": rid, "view": view, "hook": hook, "payload": payload}, [])
    return rid


async def ready(
    w: ChatKitWidget, view: str, thread_id: str | None = None, renderer: str = "lite"
) -> None:
    call(w, view, p.HOOK_READY, {"renderer": renderer, "thread_id": thread_id})
    await w.wait_idle()


async def until(condition: Any, what: str) -> None:
    """Let the loop run until ``condition()`` holds (a few hops: bridge, collector, callbacks)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"timed out waiting for {what}")


def commands(comm: FakeComm) -> list[dict[str, Any]]:
    return [c for c, _ in comm.custom() if c["kind"] == p.COMMAND]


def answer(w: ChatKitWidget, command: dict[str, Any], *, ok: bool = True, **rest: Any) -> None:
    """The view's ``command_result``."""
    w.comm.receive(
        {"kind": p.COMMAND_RESULT, "id": command["id"], "view": command["view"], "ok": ok, **rest},
        [],
    )


async def test_no_view_on_screen_is_a_clear_error(widget: Any) -> None:
    w, comm = widget
    with pytest.raises(CommandError, match=r"not on screen.*Display the widget first"):
        w.send_user_message("hi")
    with pytest.raises(CommandError, match="Display the widget first"):
        w.set_thread("thr_1")
    assert commands(comm) == []


async def test_send_user_message_goes_to_one_view_with_chatkit_arguments(widget: Any) -> None:
    w, comm = widget
    await ready(w, "v1")
    pending = w.send_user_message("Summarize sales", new_thread=True)
    assert isinstance(pending, PendingCommand)
    (sent,) = commands(comm)
    assert sent == {
        "kind": p.COMMAND,
        "id": sent["id"],
        "view": "v1",
        "name": "sendUserMessage",
        "args": [{"text": "Summarize sales", "newThread": True}],
    }
    assert not pending.done()
    answer(w, sent)
    assert await pending is None
    assert pending.done()
    assert repr(pending) == "<PendingCommand sendUserMessage done>"


async def test_state_changing_commands_run_once_in_the_most_recent_view(widget: Any) -> None:
    w, comm = widget
    await ready(w, "v1")
    await ready(w, "v2")
    w.send_user_message("once")
    w.focus_composer()
    assert [(c["name"], c["view"]) for c in commands(comm)] == [
        ("sendUserMessage", "v2"),
        ("focusComposer", "v2"),
    ]  # the newest view
    # Traffic alone (a view loading a thread) does not move the choice ...
    w.comm.receive({"kind": p.REQUEST, "id": "v1:r", "view": "v1", "url": p.API_URL}, [b"{"])
    await w.wait_idle()
    w.focus_composer()
    assert commands(comm)[-1]["view"] == "v2"
    # ... the person clicking in v1 does.
    call(w, "v1", p.HOOK_ACTIVE, {})
    await w.wait_idle()
    w.send_custom_action({"type": "refresh", "payload": {"n": 1}}, item_id="itm_1")
    assert commands(comm)[-1]["view"] == "v1"
    assert commands(comm)[-1]["args"] == [{"type": "refresh", "payload": {"n": 1}}, "itm_1"]
    # View-only commands reach every view.
    before = len(commands(comm))
    w.set_thread("thr_7")
    w.set_composer_value("draft")
    w.fetch_updates()
    sent = commands(comm)[before:]
    assert sorted((c["name"], c["view"]) for c in sent) == [
        ("fetchUpdates", "v1"),
        ("fetchUpdates", "v2"),
        ("setComposerValue", "v1"),
        ("setComposerValue", "v2"),
        ("setThreadId", "v1"),
        ("setThreadId", "v2"),
    ]
    assert {tuple(c["args"]) for c in sent if c["name"] == "setThreadId"} == {("thr_7",)}
    assert w.views[0]["id"] == "v1"
    assert {v["id"] for v in w.views} == {"v1", "v2"}


async def test_a_refusal_raises_with_the_views_reason_and_is_logged(
    widget: Any, caplog: pytest.LogCaptureFixture
) -> None:
    w, comm = widget
    await ready(w, "v1")
    pending = w.set_thread("thr_missing")
    answer(w, commands(comm)[0], ok=False, message="Thread thr_missing could not be opened.")
    with pytest.raises(CommandError, match="could not run setThreadId: Thread thr_missing"):
        await pending
    assert w.events[-1]["kind"] == "command_error"
    assert "thr_missing" in caplog.text
    # Ignored failures are reported the same way, without asyncio's "never retrieved" noise.
    w.focus_composer()
    answer(w, commands(comm)[-1], ok=False, message="no composer")
    await until(lambda: "no composer" in w.events[-1].get("message", ""), "the logged failure")


async def test_a_closing_view_fails_its_commands_and_leaves(widget: Any) -> None:
    w, _comm = widget
    await ready(w, "v1")
    pending = w.focus_composer()
    w.comm.receive({"kind": p.VIEW_CLOSED, "view": "v1"}, [])
    with pytest.raises(CommandError, match="closed before it ran focusComposer"):
        await pending
    assert w.views == []
    with pytest.raises(CommandError, match="Display the widget first"):
        w.focus_composer()


async def test_commands_wait_for_a_view_that_is_being_displayed(widget: Any) -> None:
    w, comm = widget
    w._ipython_display_()  # as `w` on a cell's last line does
    pending = w.send_user_message("hello as soon as you can")
    assert commands(comm) == []
    assert not pending.sent
    await ready(w, "v9")
    (sent,) = commands(comm)
    assert (sent["view"], sent["args"]) == ("v9", [{"text": "hello as soon as you can"}])
    answer(w, sent)
    await pending


async def test_a_command_waiting_for_a_view_that_never_comes_fails_instead_of_hanging(
    widget: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chatkit_jupyter.widget._drive as drive

    monkeypatch.setattr(drive, "VIEW_WAIT_S", 0.05)
    w, comm = widget
    w._ipython_display_()  # displayed, but no front end ever renders it (a headless run)
    pending = w.send_user_message("anyone there?")
    assert not pending.sent
    with pytest.raises(CommandError, match="No view of the chat became ready within"):
        await asyncio.wait_for(pending, 5)
    # It left the queue: a view that comes later does not run a command that already failed.
    await ready(w, "v_late")
    assert commands(comm) == []


async def test_a_silent_view_times_out_and_stops_being_addressed(
    widget: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chatkit_jupyter.widget._drive as drive

    monkeypatch.setattr(drive, "COMMAND_TIMEOUT_S", 0.05)
    w, comm = widget
    await ready(w, "v_gone")
    await ready(w, "v_live")
    pending = w.set_thread("thr_1")  # both views; only one answers
    (live,) = [c for c in commands(comm) if c["view"] == "v_live"]
    answer(w, live)
    await pending  # a view-only command that reached a live view did its job
    only = w.send_user_message("still there?")
    assert commands(comm)[-1]["view"] == "v_live"
    with pytest.raises(CommandError, match="did not answer sendUserMessage within"):
        await only
    with pytest.raises(CommandError, match="Display the widget first"):
        w.focus_composer()
    # A view that speaks again is addressed again.
    call(w, "v_gone", p.HOOK_LOG, {"name": "x"})
    await w.wait_idle()
    w.focus_composer()
    assert commands(comm)[-1]["view"] == "v_gone"


async def test_bad_arguments_are_refused_before_anything_is_sent(widget: Any) -> None:
    w, comm = widget
    await ready(w, "v1")
    with pytest.raises(ValueError, match="non-empty str"):
        w.send_user_message("  ")
    with pytest.raises(ValueError, match=r"an action like \{'type'"):
        w.send_custom_action({"payload": {}})
    with pytest.raises(ValueError, match="payload must be a dict"):
        w.send_custom_action({"type": "x", "payload": [1]})
    with pytest.raises(ValueError, match="thread id"):
        w.set_thread(42)  # type: ignore[arg-type]
    assert commands(comm) == []


# -- events ---------------------------------------------------------------------------------------


async def test_events_reach_handlers_and_thread_id_follows_the_screen(widget: Any) -> None:
    w, comm = widget
    seen: list[Any] = []
    w.on_ready(lambda: seen.append("ready"))
    w.on_thread_change(lambda thread_id: seen.append(("thread", thread_id)))

    @w.on_response_start
    async def started() -> None:
        seen.append("start")

    w.on_response_end(lambda: seen.append("end"))
    await ready(w, "v1", thread_id="thr_1")
    assert w.thread_id == "thr_1"
    await ready(w, "v2")
    call(w, "v1", p.HOOK_THREAD_CHANGE, {"thread_id": "thr_2"})
    call(w, "v2", p.HOOK_THREAD_CHANGE, {"thread_id": "thr_2"})  # follows: no second event
    call(w, "v2", p.HOOK_RESPONSE_START, {"thread_id": "thr_2"})
    call(w, "v2", p.HOOK_RESPONSE_END, {"thread_id": "thr_2"})
    await w.wait_idle()
    call(w, "v1", p.HOOK_THREAD_CHANGE, {"thread_id": None})
    await w.wait_idle()
    assert seen == ["ready", "ready", ("thread", "thr_2"), "start", "end", ("thread", None)]
    assert w.thread_id is None
    synced = [d["state"]["thread_id"] for d, _ in comm.sent if "thread_id" in d.get("state", {})]
    assert synced[-2:] == ["thr_2", None]
    with pytest.raises(Exception, match="read-only"):
        w.thread_id = "thr_9"


async def test_on_action_gets_the_thread_id_when_it_asks_and_can_forward_to_the_server(
    widget: Any,
) -> None:
    w, comm = widget
    await ready(w, "v1", thread_id="thr_1")
    old_style: list[Any] = []
    w.on_action(lambda action, item: old_style.append((action["type"], item["id"])))

    @w.on_action
    async def forward(action: dict[str, Any], item: dict[str, Any], thread_id: str) -> None:
        # What ChatKit apps do in JavaScript: handle it here, then let the server act too.
        old_style.append(thread_id)
        w.send_custom_action(action, item["id"])

    action = {"type": "select", "payload": {"row": 3}}
    call(w, "v1", p.HOOK_ACTION, {"action": action, "item": {"id": "itm_4"}, "thread_id": "thr_1"})
    await w.wait_idle()
    assert old_style == [("select", "itm_4"), "thr_1"]
    (sent,) = commands(comm)
    assert (sent["name"], sent["view"], sent["args"]) == (
        "sendCustomAction",
        "v1",
        [action, "itm_4"],
    )


# -- post -----------------------------------------------------------------------------------------


async def _thread(store: SQLiteStore, thread_id: str) -> ThreadMetadata:
    from datetime import datetime

    thread = ThreadMetadata(id=thread_id, created_at=datetime.now())
    await store.save_thread(thread, {})
    return thread


async def test_post_markdown_to_the_thread_on_screen_refreshes_the_views_showing_it(
    widget: Any, store: SQLiteStore
) -> None:
    w, comm = widget
    await _thread(store, "thr_1")
    await ready(w, "v1", thread_id="thr_1")
    await ready(w, "v2", thread_id="thr_other")
    await ready(w, "v3", thread_id="thr_1")
    task = asyncio.ensure_future(w.post("**Done**: 3 rows"))
    await until(lambda: len(commands(comm)) == 2, "two commands")
    sent = commands(comm)
    assert sorted((c["name"], c["view"]) for c in sent) == [
        ("fetchUpdates", "v1"),
        ("fetchUpdates", "v3"),
    ]
    assert not task.done()  # post waits until the views show it
    for c in sent:
        answer(w, c)
    assert await task == "thr_1"
    items = (await store.load_thread_items("thr_1", None, 10, "asc", {})).data
    (item,) = items
    assert isinstance(item, AssistantMessageItem)
    assert item.content[0].text == "**Done**: 3 rows"
    assert item.id.startswith("msg")


async def test_post_widgets_in_each_accepted_form(widget: Any, store: SQLiteStore) -> None:
    from chatkit.widgets import Card, Text

    w, _comm = widget
    await _thread(store, "thr_1")
    root = {"type": "Card", "children": [{"type": "Text", "value": "As a dict"}]}

    class View:  # what a WidgetView offers: its current root as `.widget`
        def __init__(self) -> None:
            self.widget = {"type": "ListView", "children": []}

    await w.post(root, thread_id="thr_1")
    await w.post(Card(children=[Text(value="As a model")]), thread_id="thr_1")
    await w.post(View(), thread_id="thr_1")
    items = (await store.load_thread_items("thr_1", None, 10, "asc", {})).data
    assert all(isinstance(i, WidgetItem) for i in items)
    dumped = [i.widget.model_dump(exclude_none=True) for i in items]  # type: ignore[union-attr]
    assert [d["type"] for d in dumped] == ["Card", "Card", "ListView"]
    assert dumped[0]["children"][0]["value"] == "As a dict"
    assert dumped[1]["children"][0]["value"] == "As a model"


async def test_post_of_a_dict_or_a_view_raises_no_deprecation_warning(
    widget: Any, store: SQLiteStore
) -> None:
    # ChatKit deprecates building widgets from its named classes; a user who posts a dict or a
    # WidgetView built none, so our validation must not warn in their name.
    import warnings

    w, _comm = widget
    await _thread(store, "thr_1")
    root = {"type": "Card", "children": [{"type": "Text", "value": "As a dict"}]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await w.post(root, thread_id="thr_1")
        await w.post(WidgetView(root), thread_id="thr_1")
    assert [str(c.message) for c in caught] == []
    items = (await store.load_thread_items("thr_1", None, 10, "asc", {})).data
    assert [i.widget.type for i in items] == ["Card", "Card"]  # type: ignore[union-attr]


async def test_post_without_a_thread_on_screen_creates_one_that_the_views_open(
    widget: Any, store: SQLiteStore
) -> None:
    w, comm = widget
    await ready(w, "v1")
    await ready(w, "v2")
    task = asyncio.ensure_future(w.post("Hello from a cell"))
    await until(lambda: len(commands(comm)) == 2, "two commands")
    for c in commands(comm):
        assert c["name"] == "setThreadId"
        answer(w, c)
    thread_id = await task
    assert {tuple(c["args"]) for c in commands(comm)} == {(thread_id,)}
    assert (await store.load_thread(thread_id, {})).id == thread_id
    (item,) = (await store.load_thread_items(thread_id, None, 10, "asc", {})).data
    assert item.thread_id == thread_id


async def test_post_needs_no_open_view(fake_comm: Any, store: SQLiteStore) -> None:
    w = ChatKitWidget(ScriptedServer(store), renderer="lite")
    await _thread(store, "thr_1")
    assert await w.post("saved for later", thread_id="thr_1") == "thr_1"
    assert len((await store.load_thread_items("thr_1", None, 10, "asc", {})).data) == 1
    assert commands(fake_comm()) == []


async def test_post_refuses_what_it_cannot_show(widget: Any, store: SQLiteStore) -> None:
    w, _comm = widget
    await _thread(store, "thr_1")
    with pytest.raises(ValueError, match=r"no thread 'thr_nope'.*w\.thread_id"):
        await w.post("x", thread_id="thr_nope")
    with pytest.raises(TypeError, match=r"markdown text .* not int"):
        await w.post(42, thread_id="thr_1")
    with pytest.raises(ValueError, match="widget ChatKit cannot show"):
        await w.post({"type": "Text", "value": "not a root"}, thread_id="thr_1")
    assert (await store.load_thread_items("thr_1", None, 10, "asc", {})).data == []
    hosted = ChatKitWidget.for_workflow("wf_1", client=object())
    with pytest.raises(ValueError, match="OpenAI-hosted workflow"):
        await hosted.post("x")


# -- files ----------------------------------------------------------------------------------------


@pytest.fixture
def files_widget(fake_comm: Any, tmp_path: Any) -> tuple[ChatKitWidget, FakeComm, Any]:
    from chatkit_jupyter import NotebookServer

    store = SQLiteStore(":memory:")
    attachments = FileAttachmentStore(tmp_path / "files", store=store)
    server = NotebookServer(store=store, namespace={}, attachment_store=attachments)
    w = ChatKitWidget(
        server,
        options={
            "composer": {
                "attachments": {"enabled": True, "maxSize": 1000, "accept": {"text/csv": [".csv"]}}
            }
        },
    )
    return w, fake_comm(), attachments


async def test_composer_files_are_stored_by_the_kernel_and_passed_as_attachments(
    files_widget: Any, tmp_path: Any
) -> None:
    w, comm, attachments = files_widget
    data = tmp_path / "sales.csv"
    data.write_text("region,total\nnorth,3\n")
    await ready(w, "v1")
    pending = w.set_composer_value("What stands out?", files=[data])
    await until(lambda: commands(comm), "the command")
    (sent,) = commands(comm)
    assert sent["name"] == "setComposerValue"
    (params,) = sent["args"]
    assert params["text"] == "What stands out?"
    (attachment,) = params["attachments"]
    assert attachment["name"] == "sales.csv"
    assert attachment["mime_type"] == "text/csv"
    assert attachment["type"] == "file"
    assert "upload_descriptor" not in attachment
    assert "metadata" not in attachment
    assert await attachments.read_bytes(attachment["id"], {}) == data.read_bytes()
    answer(w, sent)
    await pending


async def test_composer_files_fail_early_with_what_to_do(
    files_widget: Any, tmp_path: Any, store: SQLiteStore
) -> None:
    w, comm, _attachments = files_widget
    await ready(w, "v1")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        w.set_composer_value("x", files=[tmp_path / "missing.csv"])
    big = tmp_path / "big.csv"
    big.write_text("x" * 2000)
    with pytest.raises(AttachmentError, match="more than the 1000 B limit"):
        w.set_composer_value("x", files=big)
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG")
    with pytest.raises(AttachmentError, match="not an accepted file type"):
        w.set_composer_value("x", files=[image])
    w.options = {"composer": {"attachments": {"enabled": False}}}
    with pytest.raises(ValueError, match="does not take attachments"):
        w.set_composer_value("x", files=[big])
    plain = ChatKitWidget(ScriptedServer(store), options=w.options)
    await ready(plain, "v1")
    with pytest.raises(ValueError, match="no attachment store"):
        plain.set_composer_value("x", files=[big])
    assert commands(comm) == []


def test_repr_names_the_server_and_the_thread_on_screen(widget: Any) -> None:
    w, _comm = widget
    assert repr(w) == "ChatKitWidget(server=ScriptedServer, renderer='lite', thread_id=None)"
    data, _ = w._repr_mimebundle_()
    assert data["text/plain"] == repr(w)  # what a viewer without widgets shows, no private path


async def test_post_returns_once_stored_even_if_a_view_fails_to_refresh(
    widget: Any, store: SQLiteStore
) -> None:
    # The item is in the thread either way; raising would make the caller post it twice.
    w, comm = widget
    await _thread(store, "thr_1")
    await ready(w, "v1", thread_id="thr_1")
    task = asyncio.ensure_future(w.post("stored once"))
    await until(lambda: len(commands(comm)) == 1, "the refresh")
    answer(w, commands(comm)[0], ok=False, message="a response is still streaming")
    assert await task == "thr_1"
    (item,) = (await store.load_thread_items("thr_1", None, 10, "asc", {})).data
    assert item.content[0].text == "stored once"  # type: ignore[union-attr]
    assert "still streaming" in w.events[-1]["message"]


async def test_closing_the_widget_fails_what_cells_await_with_a_reason(widget: Any) -> None:
    w, _comm = widget
    await ready(w, "v1")
    sent = w.focus_composer()
    w2 = ChatKitWidget(ScriptedServer(w.server.store), renderer="lite")
    w2._ipython_display_()  # a view on its way: the command waits for it
    queued = w2.send_user_message("later")
    w.close()
    w2.close()
    with pytest.raises(CommandError, match="closed before it ran focusComposer"):
        await asyncio.wait_for(sent, 5)
    with pytest.raises(CommandError, match="widget was closed before it ran sendUserMessage"):
        await asyncio.wait_for(queued, 5)
