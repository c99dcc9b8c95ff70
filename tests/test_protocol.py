"""The Python and TypeScript halves agree (kinds, fields, hooks, URLs, version), and what the
kernel really sends matches the documented messages."""

from __future__ import annotations

import asyncio
import json
import pathlib
import re
import typing
from typing import Any

import pytest

from chatkit_jupyter import AttachmentError, ChatKitWidget, __version__
from chatkit_jupyter.bridge import _protocol as p

from .conftest import ScriptedServer, user_message

JS = pathlib.Path(__file__).parent.parent / "js"
PROTOCOL_TS = JS / "src" / "transport" / "protocol.ts"


def _ts_source() -> str:
    return PROTOCOL_TS.read_text()


def _ts_constants() -> dict[str, str]:
    source = _ts_source()
    found = dict(re.findall(r'export const (\w+) = "([^"]*)";', source))
    api = found["API_URL"]
    # `API_URL + "/upload"` or `${API_URL}/upload`, whichever the formatter prefers.
    suffix = re.search(r'UPLOAD_URL = (?:API_URL \+ "([^"]*)"|`\$\{API_URL\}([^`]*)`)', source)
    assert suffix, f"UPLOAD_URL is not built from API_URL in {PROTOCOL_TS}"
    found["UPLOAD_URL"] = api + (suffix.group(1) or suffix.group(2))
    return found


def _ts_fields() -> dict[str, dict[str, list[str]]]:
    """The JSON table between ``// <protocol-fields>`` and ``// </protocol-fields>``."""
    block = re.search(r"// <protocol-fields>\n(.*?)// </protocol-fields>", _ts_source(), re.DOTALL)
    assert block, f"{PROTOCOL_TS} has no // <protocol-fields> ... // </protocol-fields> block"
    text = block.group(1)
    table: dict[str, dict[str, list[str]]] = json.loads(
        text[text.index("{") : text.rindex("}") + 1]
    )
    return table


def _kind_of(message_type: Any) -> str:
    (kind,) = typing.get_args(typing.get_type_hints(message_type)["kind"])
    return str(kind)


def _py_messages(union: Any) -> dict[str, Any]:
    return {_kind_of(t): t for t in typing.get_args(union)}


def _fields(message_type: Any) -> set[str]:
    return set(message_type.__required_keys__ | message_type.__optional_keys__)


def test_every_python_constant_is_mirrored_in_typescript() -> None:
    ts = _ts_constants()
    py = {k: v for k, v in vars(p).items() if k.isupper() and isinstance(v, str)}
    assert py == {k: ts[k] for k in py}
    assert set(ts) == set(py)


def test_kind_lists_match() -> None:
    source = _ts_source()
    for name in ("FROM_FRONTEND", "FROM_KERNEL", "HOOKS", "HANDLER_HOOKS"):
        listed = re.search(rf"export const {name} = \[([^\]]*)\]", source).group(1)  # type: ignore[union-attr]
        names = [x.strip() for x in listed.split(",") if x.strip()]
        assert tuple(getattr(p, n) for n in names) == getattr(p, name)


def test_one_typed_dict_per_kind_in_each_direction() -> None:
    assert tuple(_py_messages(p.FrontendMessage)) == p.FROM_FRONTEND
    assert tuple(_py_messages(p.KernelMessage)) == p.FROM_KERNEL


@pytest.mark.parametrize(
    ("side", "union"), [("frontend", p.FrontendMessage), ("kernel", p.KernelMessage)]
)
def test_field_sets_match_typescript(side: str, union: Any) -> None:
    ts = _ts_fields()[side]
    py = {kind: sorted(_fields(t)) for kind, t in _py_messages(union).items()}
    assert set(ts) == set(py), f"{side} kinds differ"
    for kind, fields in py.items():
        assert sorted(ts[kind]) == fields, (
            f"{side} {kind!r}: TypeScript {ts[kind]}, Python {fields}"
        )


# -- what the kernel really sends ---------------------------------------------------------------


def _check_sent(messages: list[tuple[dict[str, Any], list[bytes]]]) -> set[str]:
    """Every message is one documented kind, with its required keys and no others."""
    kinds = _py_messages(p.KernelMessage)
    seen = set()
    for content, _ in messages:
        shape = kinds[content["kind"]]
        keys = set(content)
        assert shape.__required_keys__ <= keys <= _fields(shape), content
        seen.add(content["kind"])
    return seen


async def test_every_kernel_message_has_its_documented_fields(
    fake_comm: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    gate = asyncio.Event()
    server = ScriptedServer(store, ["a", "b"])
    server.gate = gate
    widget = ChatKitWidget(server, inspector=True)
    comm = fake_comm()

    @widget.client_tool("ok")
    def ok(params: dict[str, Any]) -> dict[str, Any]:
        return {"fine": True}

    def send(content: dict[str, Any], body: bytes = b"") -> None:
        widget.comm.receive(content, [body])

    base = {"kind": p.REQUEST, "view": "v1", "url": p.API_URL}
    send({**base, "id": "v1:stream"}, user_message("hi").encode())
    while not any(c["kind"] == p.BEAT for c, _ in comm.custom()):
        await asyncio.sleep(0.01)  # a beat while the stream waits at the gate
    gate.set()
    await widget.wait_idle()
    send({**base, "id": "v1:json"}, json.dumps({"type": "threads.list", "params": {}}).encode())
    send({**base, "id": "v1:bad"}, b"{")
    send({"kind": p.CALL, "id": "v1:ok", "view": "v1", "hook": p.HOOK_CLIENT_TOOL,
          "payload": {"name": "ok", "params": {}}})  # fmt: skip
    send({"kind": p.CALL, "id": "v1:no", "view": "v1", "hook": p.HOOK_CLIENT_TOOL,
          "payload": {"name": "missing", "params": {}}})  # fmt: skip
    send({"kind": p.CALL, "id": "v1:ready", "view": "v1", "hook": p.HOOK_READY,
          "payload": {"renderer": "lite", "thread_id": None}})  # fmt: skip
    await widget.wait_idle()
    await widget.ask("hi")  # with a lite view open: `stream`s and a `stream_end`
    widget.focus_composer()
    while not any(c["kind"] == p.INSPECT for c, _ in comm.custom()):
        await asyncio.sleep(0.05)  # the inspector's batch
    assert _check_sent(comm.custom()) == set(p.FROM_KERNEL)


async def test_a_gap_in_upload_pieces_fails_the_upload(fake_comm: Any, tmp_path: Any) -> None:
    from chatkit_jupyter import FileAttachmentStore, NotebookServer, SQLiteStore

    store = SQLiteStore(":memory:")
    attachments = FileAttachmentStore(tmp_path, store=store)
    widget = ChatKitWidget(NotebookServer(store=store, namespace={}, attachment_store=attachments))
    comm = fake_comm()
    create = {"type": "attachments.create",
              "params": {"name": "a.bin", "size": 6, "mime_type": "application/octet-stream"}}  # fmt: skip
    widget.comm.receive(
        {"kind": p.REQUEST, "id": "v1:c", "view": "v1", "url": p.API_URL},
        [json.dumps(create).encode()],
    )
    await widget.wait_idle()
    attachment_id = json.loads(comm.custom()[-1][1][0])["id"]
    rid = "v1:u"
    widget.comm.receive(
        {"kind": p.REQUEST, "id": rid, "view": "v1", "chunked": True,
         "url": f"{p.UPLOAD_URL}/{attachment_id}"}, [b""],
    )  # fmt: skip
    widget.comm.receive({"kind": p.UPLOAD_CHUNK, "id": rid, "seq": 0, "last": False}, [b"abc"])
    widget.comm.receive({"kind": p.UPLOAD_CHUNK, "id": rid, "seq": 2, "last": True}, [b"def"])
    await widget.wait_idle()
    (error,) = [c for c, _ in comm.custom() if c.get("id") == rid and c["kind"] == p.ERROR]
    assert error["status"] == 400
    assert "piece 2 arrived where piece 1 was expected" in error["message"]
    with pytest.raises(AttachmentError):
        await attachments.read_bytes(attachment_id, {})


def test_python_and_js_versions_agree() -> None:
    package = json.loads((JS / "package.json").read_text())
    assert package["version"] == __version__
