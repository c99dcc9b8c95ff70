"""FileAttachmentStore: two-phase upload, limits, users, deletes; attachments as model input."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chatkit.server import ChatKitServer, NonStreamingResult
from chatkit.store import NotFoundError
from chatkit.types import (
    AttachmentCreateParams,
    FileAttachment,
    ImageAttachment,
    InferenceOptions,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
    UserMessageTextContent,
)

from chatkit_jupyter import SQLiteStore
from chatkit_jupyter.bridge._protocol import UPLOAD_URL
from chatkit_jupyter.store._attachments import (
    PLACEHOLDER_PREVIEW,
    AttachmentError,
    FileAttachmentStore,
    attachment_to_input,
)

from .conftest import ALICE, BOB, Client, Ctx

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
HOUR = timedelta(hours=1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def files(db: SQLiteStore, folder: Path) -> FileAttachmentStore:
    return FileAttachmentStore(folder, store=db)


def params(name: str, size: int, mime_type: str) -> AttachmentCreateParams:
    return AttachmentCreateParams(name=name, size=size, mime_type=mime_type)


async def chunked(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def files_on_disk(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def upload(
    files: FileAttachmentStore, name: str, data: bytes, mime_type: str, context: Any = ALICE
) -> Any:
    created = await files.create_attachment(params(name, len(data), mime_type), context)
    return await files.write_upload(created.id, chunked(data), context)


# -- phase one: create --------------------------------------------------------------------------


async def test_create_registers_metadata_and_stores_no_bytes(
    files: FileAttachmentStore, db: SQLiteStore, folder: Path
) -> None:
    attachment = await files.create_attachment(params("data.csv", 12, "text/csv"), ALICE)
    assert isinstance(attachment, FileAttachment)
    assert attachment.id.startswith("atc_")
    assert attachment.upload_descriptor is not None
    assert str(attachment.upload_descriptor.url) == f"{UPLOAD_URL}/{attachment.id}"
    assert attachment.upload_descriptor.method == "POST"
    assert str(attachment.upload_descriptor.url).startswith(
        "https://chatkit-jupyter.invalid/chatkit/upload/"
    )
    assert files_on_disk(folder) == []
    stored = await db.load_attachment(attachment.id, ALICE)
    assert stored.model_dump() == attachment.model_dump()
    assert stored.metadata == {"size": 12, "uploaded": False}


async def test_create_of_an_image_has_a_placeholder_preview(files: FileAttachmentStore) -> None:
    attachment = await files.create_attachment(params("p.png", 10, "image/png"), ALICE)
    assert isinstance(attachment, ImageAttachment)
    assert str(attachment.preview_url) == PLACEHOLDER_PREVIEW


async def test_the_server_returns_the_attachment_without_its_metadata(
    files: FileAttachmentStore, db: SQLiteStore
) -> None:
    class Server(ChatKitServer[Any]):
        async def respond(
            self, thread: ThreadMetadata, item: Any, context: Any
        ) -> AsyncIterator[ThreadStreamEvent]:
            return
            yield

    server = Server(db, files)
    body = {
        "type": "attachments.create",
        "params": {"name": "a.txt", "size": 3, "mime_type": "text/plain"},
    }
    result = await server.process(json.dumps(body).encode(), ALICE)
    assert isinstance(result, NonStreamingResult)
    response = json.loads(result.json)
    assert "metadata" not in response
    assert response["upload_descriptor"]["url"] == f"{UPLOAD_URL}/{response['id']}"
    # ... but the store keeps it, and the upload that follows finds it.
    assert (await db.load_attachment(response["id"], ALICE)).metadata == {
        "size": 3,
        "uploaded": False,
    }
    done = await files.write_upload(response["id"], chunked(b"abc"), ALICE)
    assert done.upload_descriptor is None

    delete = {"type": "attachments.delete", "params": {"attachment_id": response["id"]}}
    await server.process(json.dumps(delete).encode(), ALICE)
    with pytest.raises(NotFoundError):
        await db.load_attachment(response["id"], ALICE)
    assert not files.path_of(response["id"], ALICE).exists()


@pytest.mark.parametrize(
    ("name", "size", "mime_type", "complaint"),
    [
        ("big.csv", 2 * MB, "text/csv", "limit"),
        ("tool.exe", 10, "application/x-msdownload", "not an accepted file type"),
        ("", 10, "text/csv", "no name"),
        ("   ", 10, "text/csv", "no name"),
        ("a\x00b.csv", 10, "text/csv", "control characters"),
        ("x" * 300 + ".csv", 10, "text/csv", "characters"),
        ("neg.csv", -1, "text/csv", "negative"),
    ],
)
async def test_create_refuses_what_the_limits_do_not_allow(
    db: SQLiteStore, folder: Path, name: str, size: int, mime_type: str, complaint: str
) -> None:
    files = FileAttachmentStore(
        folder,
        store=db,
        max_size=1 * MB,
        accept={"image/*": [".png", ".jpg"], "text/csv": [".csv"], "application/json": []},
    )
    with pytest.raises(AttachmentError, match=complaint) as caught:
        await files.create_attachment(params(name, size, mime_type), ALICE)
    assert isinstance(caught.value, ValueError)
    assert "attach" in str(caught.value).lower()  # it says what to do
    assert await db.count_unsent_attachments(ALICE, newer_than=HOUR) == 0
    assert files_on_disk(folder) == []


async def test_accept_matches_mime_patterns_and_extensions(db: SQLiteStore, folder: Path) -> None:
    by_dict = FileAttachmentStore(
        folder, store=db, accept={"image/*": [".png"], "text/csv": [".tsv"]}
    )
    by_list = FileAttachmentStore(folder, store=db, accept=["image/*", ".csv", "json"])
    accepted = [
        (by_dict, "a.gif", "image/gif"),
        (by_dict, "a.csv", "text/csv; charset=utf-8"),
        (by_dict, "a.TSV", ""),  # browsers send no type for some files; the name decides
        (by_dict, "a.png", "application/octet-stream"),
        (by_list, "a.webp", "IMAGE/WEBP"),
        (by_list, "a.csv", "application/vnd.ms-excel"),
        (by_list, "a.json", "application/json"),
    ]
    for files, name, mime_type in accepted:
        await files.create_attachment(params(name, 1, mime_type), ALICE)
    refused = [
        (by_dict, "a.txt", "text/plain"),
        (by_list, "a.pdf", "application/pdf"),
        (by_list, "csv", "text/plain"),  # no extension at all
    ]
    for files, name, mime_type in refused:
        with pytest.raises(AttachmentError, match="accepted: "):
            await files.create_attachment(params(name, 1, mime_type), ALICE)


async def test_max_count_limits_attachments_waiting_in_the_composer(
    db: SQLiteStore, folder: Path
) -> None:
    files = FileAttachmentStore(folder, store=db, max_count=2)
    first = await files.create_attachment(params("a.txt", 1, "text/plain"), ALICE)
    await files.create_attachment(params("b.txt", 1, "text/plain"), ALICE)
    with pytest.raises(AttachmentError, match="limit is 2"):
        await files.create_attachment(params("c.txt", 1, "text/plain"), ALICE)
    # Another user has their own composer.
    await files.create_attachment(params("c.txt", 1, "text/plain"), BOB)
    # Sending the message (the server saves the attachment with its thread) frees a place.
    await db.save_attachment(first.model_copy(update={"thread_id": "thr_a"}), ALICE)
    await files.create_attachment(params("c.txt", 1, "text/plain"), ALICE)


async def test_from_composer_options(db: SQLiteStore, folder: Path) -> None:
    options = {
        "enabled": True,
        "maxSize": 5 * MB,
        "maxCount": 3,
        "accept": {"image/*": [".png", ".jpg"], "application/pdf": [".pdf"]},
    }
    files = FileAttachmentStore.from_composer_options(options, folder, store=db)
    assert (files.max_size, files.max_count, files.accept) == (5 * MB, 3, options["accept"])
    assert files.directory == folder
    with pytest.raises(AttachmentError, match="limit"):
        await files.create_attachment(params("big.pdf", 6 * MB, "application/pdf"), ALICE)
    with pytest.raises(AttachmentError, match="accepted"):
        await files.create_attachment(params("a.txt", 1, "text/plain"), ALICE)
    await files.create_attachment(params("a.pdf", 1, "application/pdf"), ALICE)

    # Without maxSize, ChatKit's front end allows 100 MB, and so does the kernel.
    default = FileAttachmentStore.from_composer_options({"enabled": True}, folder, store=db)
    assert (default.max_size, default.max_count, default.accept) == (100 * MB, None, None)
    with pytest.raises(ValueError, match="enabled"):
        FileAttachmentStore.from_composer_options({"enabled": False}, folder, store=db)


# -- phase two: upload --------------------------------------------------------------------------


async def test_a_20_mb_upload_in_chunks_arrives_intact(
    files: FileAttachmentStore, db: SQLiteStore, folder: Path
) -> None:
    data = os.urandom(20 * MB)
    created = await files.create_attachment(
        params("weights.bin", len(data), "application/octet-stream"), ALICE
    )
    done = await files.write_upload(created.id, chunked(data, 512 * 1024 + 7), ALICE)

    digest = hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(await files.read_bytes(created.id, ALICE)).hexdigest() == digest
    assert done.metadata == {"size": len(data), "sha256": digest, "uploaded": True}
    assert done.upload_descriptor is None
    assert (await db.load_attachment(created.id, ALICE)).model_dump() == done.model_dump()
    # Only the final file is left: no temporary files.
    assert files_on_disk(folder) == [files.path_of(created.id, ALICE)]


async def test_an_upload_over_max_size_is_stopped_and_nothing_is_kept(
    db: SQLiteStore, folder: Path
) -> None:
    files = FileAttachmentStore(folder, store=db, max_size=1 * MB)
    created = await files.create_attachment(
        params("a.bin", 1 * MB, "application/octet-stream"), ALICE
    )
    pulled = 0

    async def too_much() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(100):  # 100 x 64 KB = 6.25 MB, far more than declared
            pulled += 1
            yield b"\x00" * 64 * 1024

    with pytest.raises(AttachmentError, match="nothing was kept"):
        await files.write_upload(created.id, too_much(), ALICE)
    assert pulled == 17  # stopped at the first chunk past 1 MB, not after reading everything
    assert files_on_disk(folder) == []
    assert (await db.load_attachment(created.id, ALICE)).metadata == {
        "size": 1 * MB,
        "uploaded": False,
    }


async def test_the_size_limit_holds_to_the_byte_at_create_and_during_upload(
    db: SQLiteStore, folder: Path
) -> None:
    files = FileAttachmentStore(folder, store=db, max_size=10)
    with pytest.raises(AttachmentError, match="more than the 10 B limit"):
        await files.create_attachment(params("big.bin", 11, "application/octet-stream"), ALICE)
    exact = await upload(files, "exact.bin", b"0123456789", "application/octet-stream")
    assert exact.metadata["size"] == 10
    # The limit is lowered after the file was announced (the user changed the composer
    # options): the bytes themselves are checked, one over is one too many.
    created = await files.create_attachment(params("a.bin", 10, "application/octet-stream"), ALICE)
    files.set_limits(max_size=9)
    with pytest.raises(AttachmentError, match="larger than the 9 B limit"):
        await files.write_upload(created.id, chunked(b"0123456789", size=4), ALICE)
    assert files_on_disk(folder) == [files.path_of(exact.id, ALICE)]
    assert (await db.load_attachment(created.id, ALICE)).metadata == {
        "size": 10,
        "uploaded": False,
    }


async def test_a_limit_lowered_on_the_widget_stops_an_upload_through_the_comm(
    db: SQLiteStore, folder: Path
) -> None:
    from chatkit_jupyter import ChatKitWidget, NotebookServer
    from chatkit_jupyter.bridge import _protocol as p

    files = FileAttachmentStore(folder, store=db)
    server = NotebookServer(store=db, namespace={}, attachment_store=files)
    limits = {"enabled": True, "maxSize": 1000}
    widget = ChatKitWidget(server, options={"composer": {"attachments": limits}})
    client = Client(widget)
    create = client.request(
        json.dumps(
            {
                "type": "attachments.create",
                "params": {"name": "a.bin", "size": 8, "mime_type": "application/octet-stream"},
            }
        )
    )
    await widget.wait_idle()
    attachment_id = json.loads(client.body(create)[1])["id"]
    widget.options = {"composer": {"attachments": {**limits, "maxSize": 7}}}
    rid = client.request(b"01234567", url=f"{UPLOAD_URL}/{attachment_id}")
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert (head["kind"], head["status"]) == (p.ERROR, 400)
    assert "'a.bin' is larger than the 7 B limit" in head["message"]
    assert files_on_disk(folder) == []


async def test_an_upload_that_differs_from_the_declared_size_is_refused(
    files: FileAttachmentStore, folder: Path
) -> None:
    short = await files.create_attachment(params("a.txt", 10, "text/plain"), ALICE)
    with pytest.raises(AttachmentError, match="5 of its 10 bytes"):
        await files.write_upload(short.id, chunked(b"12345"), ALICE)
    long = await files.create_attachment(params("b.txt", 3, "text/plain"), ALICE)
    with pytest.raises(AttachmentError, match="more than the 3 bytes"):
        await files.write_upload(long.id, chunked(b"12345"), ALICE)
    assert files_on_disk(folder) == []


async def test_a_cancelled_upload_leaves_no_file(files: FileAttachmentStore, folder: Path) -> None:
    created = await files.create_attachment(
        params("a.bin", 10 * MB, "application/octet-stream"), ALICE
    )
    first_chunk_written = asyncio.Event()
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"x" * MB
        first_chunk_written.set()
        await never.wait()
        yield b"never"

    task = asyncio.create_task(files.write_upload(created.id, stalls(), ALICE))
    await first_chunk_written.wait()
    assert len(files_on_disk(folder)) == 1  # the temporary file exists mid-upload
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert files_on_disk(folder) == []


async def test_uploading_to_an_unknown_attachment_is_refused(
    files: FileAttachmentStore, folder: Path
) -> None:
    with pytest.raises(AttachmentError, match="Attach the file again"):
        await files.write_upload("atc_nope", chunked(b"abc"), ALICE)
    assert files_on_disk(folder) == []


async def test_small_images_get_a_data_url_preview_and_large_ones_do_not(
    db: SQLiteStore, folder: Path
) -> None:
    files = FileAttachmentStore(folder, store=db, preview_max_bytes=4096)
    small = await upload(files, "s.png", PNG, "image/png")
    assert isinstance(small, ImageAttachment)
    prefix = "data:image/png;base64,"
    assert str(small.preview_url).startswith(prefix)
    assert base64.b64decode(str(small.preview_url)[len(prefix) :]) == PNG
    assert (await db.load_attachment(small.id, ALICE)).model_dump() == small.model_dump()

    large = await upload(files, "l.png", PNG + os.urandom(5000), "image/png")
    assert isinstance(large, ImageAttachment)
    assert str(large.preview_url) == PLACEHOLDER_PREVIEW


async def test_odd_attachment_ids_stay_inside_the_folder(db: SQLiteStore, folder: Path) -> None:
    class OddIds(FileAttachmentStore):
        def generate_attachment_id(self, mime_type: str, context: Any) -> str:
            return "../../escape/ me?.txt"

    files = OddIds(folder, store=db)
    created = await files.create_attachment(params("a.txt", 3, "text/plain"), ALICE)
    assert created.id == "../../escape/ me?.txt"
    assert created.upload_descriptor is not None
    url = str(created.upload_descriptor.url)
    # The bridge passes on what follows the upload URL, still percent-encoded.
    encoded = url[len(UPLOAD_URL) :].strip("/")
    assert "/" not in encoded
    await files.write_upload(encoded, chunked(b"abc"), ALICE)
    [written] = files_on_disk(folder)
    assert folder in written.parents
    assert await files.read_bytes(created.id, ALICE) == b"abc"


# -- users and deletes --------------------------------------------------------------------------


async def test_users_cannot_touch_each_others_files(files: FileAttachmentStore) -> None:
    mine = await upload(files, "secret.txt", b"alice's", "text/plain", ALICE)
    with pytest.raises(AttachmentError):
        await files.read_bytes(mine.id, BOB)
    with pytest.raises(AttachmentError):
        await files.write_upload(mine.id, chunked(b"bob's!!"), BOB)
    await files.delete_attachment(mine.id, BOB)
    assert await files.read_bytes(mine.id, ALICE) == b"alice's"
    for context in (None, {"user_id": "bob"}):
        with pytest.raises(AttachmentError):
            await files.read_bytes(mine.id, context)


async def test_deleting_an_attachment_removes_its_file(
    files: FileAttachmentStore, db: SQLiteStore, folder: Path
) -> None:
    done = await upload(files, "a.txt", b"abc", "text/plain")
    await files.delete_attachment(done.id, ALICE)
    await db.delete_attachment(done.id, ALICE)
    assert files_on_disk(folder) == []
    with pytest.raises(AttachmentError):
        await files.read_bytes(done.id, ALICE)


async def test_deleting_a_thread_removes_its_attachment_files(
    files: FileAttachmentStore, db: SQLiteStore, folder: Path
) -> None:
    sent = await upload(files, "a.txt", b"abc", "text/plain")
    waiting = await upload(files, "b.txt", b"def", "text/plain")
    await db.save_thread(ThreadMetadata(id="thr_a", created_at=datetime.now()), ALICE)
    sent = sent.model_copy(update={"thread_id": "thr_a"})
    await db.save_attachment(sent, ALICE)
    await db.add_thread_item(
        "thr_a",
        UserMessageItem(
            id="msg_1",
            thread_id="thr_a",
            created_at=datetime.now(),
            content=[UserMessageTextContent(text="here")],
            attachments=[sent],
            inference_options=InferenceOptions(),
        ),
        ALICE,
    )
    await db.delete_thread("thr_a", ALICE)
    assert files_on_disk(folder) == [files.path_of(waiting.id, ALICE)]


# -- attachments as model input -----------------------------------------------------------------


async def test_an_image_becomes_input_image(files: FileAttachmentStore) -> None:
    done = await upload(files, "p.png", PNG, "image/png")
    part: Any = await attachment_to_input(done, files, ALICE)
    assert part["type"] == "input_image"
    assert part["detail"] == "auto"
    prefix = "data:image/png;base64,"
    assert part["image_url"].startswith(prefix)
    assert base64.b64decode(part["image_url"][len(prefix) :]) == PNG


async def test_a_text_file_becomes_input_text_with_its_name(files: FileAttachmentStore) -> None:
    csv = "a,b\n1,2\nü,€\n".encode()
    done = await upload(files, "table.csv", csv, "text/csv")
    assert await attachment_to_input(done, files, ALICE) == {
        "type": "input_text",
        "text": "table.csv:\na,b\n1,2\nü,€\n",
    }
    # Recognised by extension when the browser sends a generic type.
    code = await upload(files, "script.py", b"print(1)\n", "application/octet-stream")
    part: Any = await attachment_to_input(code, files, ALICE)
    assert part["text"] == "script.py:\nprint(1)\n"


async def test_a_long_text_file_is_cut_with_a_note(files: FileAttachmentStore) -> None:
    # 'é' is two bytes: the cut falls inside one and must not leave half a character.
    body = ("é" * 80_000).encode()
    done = await upload(files, "long.md", body, "text/markdown")
    part: Any = await attachment_to_input(done, files, ALICE, max_text_bytes=100_001)
    name, text = part["text"].split("\n", 1)
    assert name == "long.md:"
    content, note = text.split("\n[... cut: ", 1)
    assert content == "é" * 50_000
    assert "97.7 KB of 156.2 KB" in note
    default: Any = await attachment_to_input(done, files, ALICE)
    assert len(default["text"].encode()) < 100 * 1024 + 200


async def test_other_files_are_described_not_read(files: FileAttachmentStore) -> None:
    done = await upload(files, "report.pdf", b"%PDF-1.7 ...", "application/pdf")
    part: Any = await attachment_to_input(done, files, ALICE)
    assert part["type"] == "input_text"
    assert "report.pdf" in part["text"]
    assert "application/pdf" in part["text"]
    assert "cannot be read" in part["text"]


async def test_an_unfinished_upload_or_no_store_is_described(files: FileAttachmentStore) -> None:
    pending = await files.create_attachment(params("a.txt", 3, "text/plain"), ALICE)
    part: Any = await attachment_to_input(pending, files, ALICE)
    assert part["type"] == "input_text"
    assert "did not finish" in part["text"]
    done = await upload(files, "b.txt", b"abc", "text/plain")
    part = await attachment_to_input(done, None, ALICE)
    assert part["type"] == "input_text"
    assert "no attachment store" in part["text"]


# -- edges the mutation run found untested ------------------------------------------------------


async def test_snake_case_composer_options_work_too(db: SQLiteStore, folder: Path) -> None:
    options = {"max_size": 7, "max_count": 2, "accept": [".csv"]}
    made = FileAttachmentStore.from_composer_options({"enabled": True, **options}, folder, store=db)
    files = FileAttachmentStore(folder, store=db)
    files.apply_composer_options(options)
    for store in (made, files):
        assert (store.max_size, store.max_count, store.accept) == (7, 2, [".csv"])


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1024 * 1024 - 1, "1024.0 KB"),
        (1024 * 1024, "1.0 MB"),
        (3 * 1024**3, "3.0 GB"),
        (1024**4, "1.0 TB"),
    ],
)
async def test_sizes_in_messages_are_human(
    db: SQLiteStore, folder: Path, size: int, shown: str
) -> None:
    files = FileAttachmentStore(folder, store=db, max_size=size - 1)
    with pytest.raises(AttachmentError, match=f"is {shown}, more than the"):
        await files.create_attachment(params("a.bin", size, "application/octet-stream"), ALICE)


async def test_names_at_the_limits(db: SQLiteStore, folder: Path) -> None:
    files = FileAttachmentStore(folder, store=db)
    longest = "n" * 251 + ".csv"
    await files.create_attachment(params(longest, 1, "text/csv"), ALICE)
    with pytest.raises(AttachmentError, match=r"'n{40}'\.\.\. has 256 characters, more than 255"):
        await files.create_attachment(params("n" + longest, 1, "text/csv"), ALICE)
    await files.create_attachment(params("my data ~.csv", 1, "text/csv"), ALICE)
    with pytest.raises(AttachmentError, match="control characters"):
        await files.create_attachment(params("a\x1f.csv", 1, "text/csv"), ALICE)
    with pytest.raises(AttachmentError, match=r"^The file has no name; give it a name and attach"):
        await files.create_attachment(params("", 1, "text/csv"), ALICE)


async def test_mime_parameters_and_windows_paths(db: SQLiteStore, folder: Path) -> None:
    files = FileAttachmentStore(folder, store=db, accept={"text/csv": [".csv"]})
    await files.create_attachment(
        params("a.bin", 1, "Text/CSV; charset=utf-8; header=present"), ALICE
    )
    await files.create_attachment(params("C:\\Users\\me\\DATA.CSV", 1, "application/x"), ALICE)
    with pytest.raises(AttachmentError, match="accepted"):
        await files.create_attachment(params("C:\\data\\.csv", 1, "application/x"), ALICE)


@pytest.mark.parametrize(
    ("mime_type", "text"),
    [
        ("TEXT/PLAIN", True),
        ("application/json", True),
        ("application/ld+json", True),
        ("application/vnd.api+json", True),
        ("image/svg+xml", True),
        ("application/atom+XML", True),
        ("application/octet-stream", False),
        ("application/pdf", False),
    ],
)
async def test_which_files_are_read_as_text(
    files: FileAttachmentStore, mime_type: str, text: bool
) -> None:
    done = await upload(files, "blob", b"<a>1</a>", mime_type)
    part: Any = await attachment_to_input(done, files, ALICE)
    assert (part["text"] == "blob:\n<a>1</a>") is text


async def test_an_image_preview_is_whole_up_to_the_preview_limit(
    db: SQLiteStore, folder: Path
) -> None:
    files = FileAttachmentStore(folder, store=db, preview_max_bytes=len(PNG))

    async def in_pieces(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    exact = await files.create_attachment(params("a.png", len(PNG), "image/png"), ALICE)
    done = await files.write_upload(exact.id, in_pieces(PNG), ALICE)
    assert str(done.preview_url) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    over = await files.create_attachment(params("b.png", len(PNG) + 1, "image/png"), ALICE)
    done = await files.write_upload(over.id, in_pieces(PNG + b"!"), ALICE)
    assert str(done.preview_url) == PLACEHOLDER_PREVIEW


async def test_bytes_wait_in_a_hidden_part_file_until_the_upload_is_whole(
    files: FileAttachmentStore, folder: Path
) -> None:
    created = await files.create_attachment(params("a.bin", 6, "application/octet-stream"), ALICE)
    seen: list[list[str]] = []

    async def watched() -> AsyncIterator[bytes]:
        yield b"abc"
        await asyncio.sleep(0.05)  # the first piece is written on a worker thread
        seen.append([p.name for p in files_on_disk(folder)])
        yield b"def"

    await files.write_upload(created.id, watched(), ALICE)
    ((name,),) = seen
    assert name.startswith(".upload-")
    assert name.endswith(".part")
    assert [p.name for p in files_on_disk(folder)] == [files.path_of(created.id, ALICE).name]


async def test_reading_what_is_not_there_says_so(files: FileAttachmentStore) -> None:
    with pytest.raises(AttachmentError, match=r"^There is no attachment 'atc_x' for this user"):
        await files.read_bytes("atc_x", ALICE)
    pending = await files.create_attachment(params("a.txt", 3, "text/plain"), ALICE)
    with pytest.raises(AttachmentError, match=r"^The upload of 'a\.txt' did not finish"):
        await files.read_bytes(pending.id, ALICE)


def test_user_folders_never_meet(files: FileAttachmentStore) -> None:
    folders = {
        files.path_of("atc_1", ctx).parent.name
        for ctx in (None, Ctx("default"), Ctx(""), Ctx("u-"), ALICE, Ctx("Alice"), Ctx("../x"))
    }
    # The default user ("" or no user) has "default"; every other id a folder of its own.
    assert "default" in folders
    assert len(folders) == 6


async def test_an_empty_file_is_a_file(files: FileAttachmentStore) -> None:
    done = await upload(files, "empty.txt", b"", "text/plain")
    assert done.metadata["size"] == 0
    assert await files.read_bytes(done.id, ALICE) == b""


@pytest.mark.parametrize(
    ("accept", "mime_type", "ok"),
    [
        ({"*": []}, "application/x-anything", True),
        (["*/*"], "application/x-anything", True),
        (["image/*"], "image/webp", True),
        (["image/*"], "imagery/png", False),
        (["image/*"], "image", False),
        (["text/csv"], "text/csv2", False),
    ],
)
async def test_accept_wildcards_match_whole_parts(
    db: SQLiteStore, folder: Path, accept: Any, mime_type: str, ok: bool
) -> None:
    files = FileAttachmentStore(folder, store=db, accept=accept)
    attempt = files.create_attachment(params("file", 1, mime_type), ALICE)
    if ok:
        await attempt
    else:
        with pytest.raises(AttachmentError, match=r"\) is not an accepted file type; accepted: "):
            await attempt


async def test_text_that_is_not_utf8_or_exactly_at_the_cut(files: FileAttachmentStore) -> None:
    done = await upload(files, "odd.txt", b"caf\xe9 \xff!", "text/plain")
    part: Any = await attachment_to_input(done, files, ALICE)
    assert part["text"] == "odd.txt:\ncaf\ufffd \ufffd!"
    exact = await upload(files, "exact.txt", "aé".encode(), "text/plain")
    part = await attachment_to_input(exact, files, ALICE, max_text_bytes=3)
    assert part["text"] == "exact.txt:\naé"
    part = await attachment_to_input(exact, files, ALICE, max_text_bytes=2)
    assert part["text"].startswith("exact.txt:\na\n[... cut: ")


def test_repr_names_the_folder_and_limits(db: SQLiteStore, folder: Path) -> None:
    files = FileAttachmentStore(folder, store=db, max_size=MB, accept=["image/*"])
    assert repr(files) == f"FileAttachmentStore({str(folder)!r}, max_size={MB}, accept=['image/*'])"
    assert repr(FileAttachmentStore(folder, store=db)) == (
        f"FileAttachmentStore({str(folder)!r}, max_size={100 * MB})"
    )
