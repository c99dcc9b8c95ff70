"""FileAttachmentStore as users meet it: each refusal's exact words, the defaults, the layout on
disk, and the edges of reading text (the mutation run showed these were only loosely checked)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chatkit.types import AttachmentCreateParams, ImageAttachment
from pydantic import AnyUrl

from chatkit_jupyter import SQLiteStore
from chatkit_jupyter.store._attachments import (
    PLACEHOLDER_PREVIEW,
    AttachmentError,
    FileAttachmentStore,
    attachment_to_input,
)

from .conftest import ALICE, Ctx

MB = 1024 * 1024


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def files(db: SQLiteStore, folder: Path) -> FileAttachmentStore:
    return FileAttachmentStore(folder, store=db)


def params(name: str, size: int, mime_type: str) -> AttachmentCreateParams:
    return AttachmentCreateParams(name=name, size=size, mime_type=mime_type)


async def pieces(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def upload(files: FileAttachmentStore, name: str, data: bytes, mime_type: str) -> Any:
    created = await files.create_attachment(params(name, len(data), mime_type), ALICE)
    return await files.write_upload(created.id, pieces(data), ALICE)


# -- every refusal, word for word ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size", "mime_type", "message"),
    [
        ("", 1, "text/csv", "The file has no name; give it a name and attach it again."),
        (
            "n" * 256,
            1,
            "text/csv",
            f"The file name {'n' * 40!r}... has 256 characters, more than 255; rename the file "
            "and attach it again.",
        ),
        (
            "a\x1f.csv",
            1,
            "text/csv",
            "The file name 'a\\x1f.csv' contains control characters (U+001F), which can hide what "
            "the file really is; rename the file and attach it again.",
        ),
        (
            "neg.csv",
            -1,
            "text/csv",
            "'neg.csv' declares a negative size (-1); attach the file again.",
        ),
        (
            "big.csv",
            2 * MB,
            "text/csv",
            "'big.csv' is 2.0 MB, more than the 1.0 MB limit. Attach a smaller file, or raise the "
            "limit: `maxSize` in the composer attachment options, or `max_size=` of "
            "FileAttachmentStore.",
        ),
        (
            "tool.exe",
            1,
            "application/x-msdownload",
            "'tool.exe' (application/x-msdownload) is not an accepted file type; accepted: "
            "image/*, text/csv, .csv, .jpg, .png. Attach a file of one of these types, or widen "
            "`accept` in the composer attachment options.",
        ),
        (
            "blob",
            1,
            "",
            "'blob' (unknown type) is not an accepted file type; accepted: image/*, text/csv, "
            ".csv, .jpg, .png. Attach a file of one of these types, or widen `accept` in the "
            "composer attachment options.",
        ),
    ],
)
async def test_a_refused_file_gets_exactly_this_message(
    db: SQLiteStore, folder: Path, name: str, size: int, mime_type: str, message: str
) -> None:
    files = FileAttachmentStore(
        folder,
        store=db,
        max_size=1 * MB,
        accept={"image/*": [".png", ".jpg"], "text/csv": [".csv"]},
    )
    with pytest.raises(AttachmentError) as caught:
        await files.create_attachment(params(name, size, mime_type), ALICE)
    assert str(caught.value) == message


async def test_too_many_waiting_attachments_message(db: SQLiteStore, folder: Path) -> None:
    files = FileAttachmentStore(folder, store=db, max_count=1)
    await files.create_attachment(params("a.txt", 1, "text/plain"), ALICE)
    with pytest.raises(AttachmentError) as caught:
        await files.create_attachment(params("b.txt", 1, "text/plain"), ALICE)
    assert str(caught.value) == (
        "Cannot attach 'b.txt': 1 attachment(s) are already waiting to be sent and the limit "
        "is 1. Send the message or remove an attachment first."
    )


async def test_upload_refusals_word_for_word(db: SQLiteStore, folder: Path) -> None:
    files = FileAttachmentStore(folder, store=db)
    cases: list[tuple[str, bytes, int, str]] = [
        (
            "short.txt",
            b"12345",
            10,
            "'short.txt' arrived with 5 of its 10 bytes; the upload was cut short and nothing "
            "was kept. Attach the file again.",
        ),
        (
            "long.txt",
            b"12345",
            3,
            "'long.txt' sent more than the 3 bytes it declared; the upload was stopped and "
            "nothing was kept. Attach the file again.",
        ),
    ]
    for name, data, declared, message in cases:
        created = await files.create_attachment(params(name, declared, "text/plain"), ALICE)
        with pytest.raises(AttachmentError) as caught:
            await files.write_upload(created.id, pieces(data), ALICE)
        assert str(caught.value) == message

    created = await files.create_attachment(params("big.bin", 10, "text/plain"), ALICE)
    files.set_limits(max_size=9)
    with pytest.raises(AttachmentError) as caught:
        await files.write_upload(created.id, pieces(b"0123456789"), ALICE)
    assert str(caught.value) == (
        "'big.bin' is larger than the 9 B limit; the upload was stopped and nothing was kept. "
        "Attach a smaller file."
    )

    with pytest.raises(AttachmentError) as caught:
        await files.write_upload("atc_nope", pieces(b"abc"), ALICE)
    assert str(caught.value) == (
        "No attachment 'atc_nope' is waiting for an upload (it may have been removed). "
        "Attach the file again."
    )


async def test_reading_refusals_word_for_word(files: FileAttachmentStore) -> None:
    with pytest.raises(AttachmentError) as caught:
        await files.read_bytes("atc_x", ALICE)
    assert str(caught.value) == (
        "There is no attachment 'atc_x' for this user; it may have been deleted. "
        "Attach the file again."
    )
    pending = await files.create_attachment(params("a.txt", 3, "text/plain"), ALICE)
    with pytest.raises(AttachmentError) as caught:
        await files.read_bytes(pending.id, ALICE)
    assert str(caught.value) == (
        f"The upload of 'a.txt' did not finish, so its bytes are not here "
        f"({files.path_of(pending.id, ALICE)}). Attach the file again."
    )


async def test_disabled_composer_options_message(db: SQLiteStore, folder: Path) -> None:
    with pytest.raises(ValueError, match="enabled: false") as caught:
        FileAttachmentStore.from_composer_options({"enabled": False}, folder, store=db)
    assert str(caught.value) == (
        "These composer options disable attachments (enabled: false); don't create an "
        "attachment store, or set enabled to true."
    )


async def test_a_size_in_terabytes_is_shown_in_terabytes(db: SQLiteStore, folder: Path) -> None:
    files = FileAttachmentStore(folder, store=db, max_size=1)
    with pytest.raises(AttachmentError, match=r"'a\.bin' is 100\.0 TB, more than the 1 B limit"):
        await files.create_attachment(params("a.bin", 100 * 1024**4, "text/plain"), ALICE)


# -- what the model is told ---------------------------------------------------------------------


async def test_what_the_model_is_told_about_files_it_cannot_read(
    files: FileAttachmentStore,
) -> None:
    blob = await upload(files, "blob.bin", b"\x00\x01", "")
    part: Any = await attachment_to_input(blob, files, ALICE)
    assert part == {
        "type": "input_text",
        "text": "[The user attached a file named 'blob.bin' (unknown type), which cannot be "
        "read here.]",
    }
    text = await upload(files, "b.txt", b"abc", "text/plain")
    part = await attachment_to_input(text, None, ALICE)
    assert part == {
        "type": "input_text",
        "text": "[The user attached 'b.txt' (text/plain), but this server has no attachment "
        "store that can read files.]",
    }
    pending = await files.create_attachment(params("a.txt", 3, "text/plain"), ALICE)
    part = await attachment_to_input(pending, files, ALICE)
    assert part == {
        "type": "input_text",
        "text": "[The user attached 'a.txt', but its upload did not finish, so its content is "
        "not available.]",
    }


async def test_a_character_cut_short_at_the_end_of_a_file_shows_as_a_replacement(
    files: FileAttachmentStore,
) -> None:
    # The file itself ends inside a character: that is not a cut of ours, so it is shown as
    # one replacement character, whether the file is under the limit or exactly at it.
    broken = await upload(files, "broken.txt", b"ab\xe2\x82", "text/plain")
    for limit in (100, 4):
        part: Any = await attachment_to_input(broken, files, ALICE, max_text_bytes=limit)
        assert part["text"] == "broken.txt:\nab\ufffd"


# -- defaults and layout ------------------------------------------------------------------------


async def test_defaults_live_in_dot_chatkit_of_the_working_directory(
    db: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plain = FileAttachmentStore(store=db)
    # Without "enabled" the options enable attachments; extra arguments reach the constructor.
    made = FileAttachmentStore.from_composer_options({"maxSize": 5}, store=db, preview_max_bytes=7)
    for files in (plain, made):
        assert files.directory == tmp_path / ".chatkit" / "attachments"
    assert (made.max_size, made.preview_max_bytes) == (5, 7)


def test_files_are_kept_per_user_under_readable_or_hashed_names(
    files: FileAttachmentStore, folder: Path
) -> None:
    def hashed(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest() + ".h"

    assert files.path_of("atc_1", None) == folder / "default" / "atc_1"
    assert files.path_of("atc_1", ALICE) == folder / "u-alice" / "atc_1"
    # Names a case-insensitive file system could confuse, or that are not plain, are hashed;
    # a hashed name ends in ".h", which a plain one cannot contain.
    assert files.path_of("Atc 1", ALICE) == folder / "u-alice" / hashed("Atc 1")
    assert files.path_of("atc_1", Ctx("Alice")) == folder / hashed("u-Alice") / "atc_1"


async def test_deleting_an_attachment_removes_the_users_file_at_once(
    files: FileAttachmentStore,
) -> None:
    done = await upload(files, "a.txt", b"abc", "text/plain")
    path = files.path_of(done.id, ALICE)
    assert path.exists()
    await files.delete_attachment(done.id, ALICE)
    assert not path.exists()


async def test_a_custom_id_scheme_gets_the_type_and_the_context(
    db: SQLiteStore, folder: Path
) -> None:
    asked: list[tuple[str, Any]] = []

    class Numbered(FileAttachmentStore):
        def generate_attachment_id(self, mime_type: str, context: Any) -> str:
            asked.append((mime_type, context))
            return f"atc_{len(asked)}"

    files = Numbered(folder, store=db)
    created = await files.create_attachment(params("a.png", 1, "image/png"), ALICE)
    assert created.id == "atc_1"
    assert asked == [("image/png", ALICE)]


# -- metadata and previews ----------------------------------------------------------------------


async def test_metadata_added_before_the_upload_is_kept(
    files: FileAttachmentStore, db: SQLiteStore
) -> None:
    created = await files.create_attachment(params("a.txt", 3, "text/plain"), ALICE)
    tagged = created.model_copy(update={"metadata": {**(created.metadata or {}), "source": "x"}})
    await db.save_attachment(tagged, ALICE)
    done = await files.write_upload(created.id, pieces(b"abc"), ALICE)
    assert done.metadata == {
        "size": 3,
        "uploaded": True,
        "source": "x",
        "sha256": hashlib.sha256(b"abc").hexdigest(),
    }


async def test_an_image_saved_without_a_declared_size_still_gets_its_preview(
    files: FileAttachmentStore, db: SQLiteStore
) -> None:
    # A custom server may save the attachment itself, without our size metadata.
    image = ImageAttachment(
        id="atc_img", name="a.png", mime_type="image/png", preview_url=AnyUrl(PLACEHOLDER_PREVIEW)
    )
    await db.save_attachment(image, ALICE)
    done = await files.write_upload("atc_img", pieces(b"\x89PNG"), ALICE)
    assert isinstance(done, ImageAttachment)
    assert str(done.preview_url) == "data:image/png;base64,iVBORw=="


async def test_an_upload_whose_part_file_vanished_still_fails_with_its_own_message(
    db: SQLiteStore, folder: Path
) -> None:
    # Something outside (a cleaner, the user) removed the half-written file: the user still
    # reads why the upload failed, not a FileNotFoundError from the clean-up.
    files = FileAttachmentStore(folder, store=db, max_size=4)
    created = await files.create_attachment(params("a.bin", 4, "text/plain"), ALICE)

    async def remove_part_then_overflow() -> AsyncIterator[bytes]:
        yield b"ab"
        for part in folder.rglob(".upload-*.part"):
            part.unlink()
        yield b"cde"

    with pytest.raises(AttachmentError, match=r"^'a\.bin' is larger than the 4 B limit"):
        await files.write_upload(created.id, remove_part_then_overflow(), ALICE)
    assert [path for path in folder.rglob("*") if path.is_file()] == []
