"""Attachment files on disk, ChatKit's two-phase upload, and attachments as model input.

Upload, as ChatKit's front end does it with ``uploadStrategy: {type: "two_phase"}``:

1. ``attachments.create`` -> ``FileAttachmentStore.create_attachment`` checks name, size and
   type against the limits and returns an attachment whose upload descriptor points at
   ``UPLOAD_URL/<attachment id>``. Only metadata is saved; no file exists yet.
2. The front end sends the bytes over the comm; the bridge feeds them to ``write_upload``, which
   streams them to a temporary file, stops as soon as a limit is crossed, and renames the file
   into place only when every byte arrived.

Files live at ``<directory>/<user folder>/<attachment file>``; both names are derived from the
ids so that no id, however odd, can point outside the directory. The metadata (including the
declared size, the checksum and whether the upload finished) stays in the ``SQLiteStore``, under
the attachment's integration-only ``metadata``, which ChatKit leaves out of its responses.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import hashlib
import logging
import os
import re
import socket
import tempfile
import time
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, Final
from urllib.parse import quote, unquote

from chatkit.store import AttachmentStore, NotFoundError
from chatkit.types import (
    Attachment,
    AttachmentCreateParams,
    AttachmentUploadDescriptor,
    FileAttachment,
    ImageAttachment,
)
from pydantic import AnyUrl

from chatkit_jupyter.bridge._protocol import UPLOAD_URL

from ._sqlite import DEFAULT_USER, SQLiteStore, StoreError, user_id_of

logger = logging.getLogger("chatkit_jupyter")

if TYPE_CHECKING:
    # Half a second to import; only the server, which has it loaded already, needs the type.
    from openai.types.responses import ResponseInputContentParam

__all__ = [
    "AttachmentError",
    "FileAttachmentStore",
    "attachment_to_input",
]

DEFAULT_MAX_SIZE: Final = 100 * 1024 * 1024
"""Largest accepted file unless told otherwise: ChatKit's own default ``maxSize`` (100 MB)."""

UPLOAD_TIMEOUT: Final = 60.0
"""Seconds an upload may wait for its next piece before it is dropped."""

STALE_UPLOAD: Final = timedelta(hours=1)
"""A temporary upload file untouched this long belongs to no live upload."""

PREVIEW_MAX_BYTES: Final = 2 * 1024 * 1024
"""Images up to this size get their bytes as a ``data:`` preview URL; larger ones a placeholder."""

MAX_TEXT_BYTES: Final = 100 * 1024
"""How much of a text file ``attachment_to_input`` gives the model."""

UNSENT_WINDOW: Final = timedelta(hours=1)
"""Attachments not yet sent in a message count against ``max_count`` for this long."""

PLACEHOLDER_PREVIEW: Final = "data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    b'<rect width="24" height="24" rx="3" fill="#e5e7eb"/>'
    b'<path d="M4 18l5-6 3.5 4 2.5-3 5 5z" fill="#9ca3af"/>'
    b'<circle cx="16" cy="8" r="2" fill="#9ca3af"/></svg>'
).decode("ascii")
"""``preview_url`` of an image before its bytes arrive, or when it is too big to inline.

ChatKit requires a preview URL on every image attachment, including one that is still uploading.
"""

# Image types the Responses API reads (https://platform.openai.com/docs/guides/images-vision).
_MODEL_IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_TEXT_TYPES: Final = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/javascript",
        "application/typescript",
        "application/x-python",
        "application/x-python-code",
        "application/x-sh",
        "application/sql",
        "application/csv",
        "application/x-ipynb+json",
        "application/x-tex",
        "application/x-ndjson",
        "image/svg+xml",
    }
)

_TEXT_EXTENSIONS: Final = frozenset(
    {
        ".txt",
        ".md",
        ".markdown",
        ".rst",
        ".csv",
        ".tsv",
        ".json",
        ".jsonl",
        ".ndjson",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
        ".env",
        ".xml",
        ".html",
        ".htm",
        ".css",
        ".svg",
        ".js",
        ".mjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".py",
        ".pyi",
        ".ipynb",
        ".r",
        ".jl",
        ".sql",
        ".sh",
        ".bash",
        ".zsh",
        ".c",
        ".h",
        ".cpp",
        ".hpp",
        ".cc",
        ".java",
        ".kt",
        ".go",
        ".rs",
        ".rb",
        ".php",
        ".pl",
        ".lua",
        ".swift",
        ".scala",
        ".tex",
        ".bib",
        ".log",
        ".diff",
        ".patch",
    }
)

# Characters that reorder how a name is shown (so "evil\u202egnp.exe" reads "evilexe.png").
_BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters (C0, DEL, C1), lone surrogates and line or paragraph separators.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})

# Temporary files name the host and process that write them, so a new store can tell a dead
# kernel's leftovers from another kernel's upload in progress.
_HOST_TAG: Final = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_PART: Final = re.compile(r"\.upload-(?:([0-9a-f]{8})-(\d+)-)?.*\.part")

# Lower case only: on a case-insensitive file system "Alice" and "alice" would share a name.
_SAFE_NAME: Final = re.compile(r"[a-z0-9_-]{1,100}")
_MAX_NAME_CHARS: Final = 255


class AttachmentError(ValueError):
    """An attachment was refused or cannot be read; the message says why and what to do.

    Nothing is stored for a refused attachment or upload.
    """


def _file_name(key: str) -> str:
    """A file name for an id: the id itself when that is safe, else a hash of it.

    Hashed names end in ``.h``, which safe names cannot contain, so the two never collide.
    """
    if _SAFE_NAME.fullmatch(key):
        return key
    return hashlib.sha256(key.encode("utf-8")).hexdigest() + ".h"


def _user_folder(user: str) -> str:
    # "default" has no "u-" prefix, so no real user id maps to it.
    return "default" if user == DEFAULT_USER else _file_name("u-" + user)


def _media_type(mime_type: str) -> str:
    return mime_type.split(";", 1)[0].strip().lower()


def _extension(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TB"


def _is_image(mime_type: str) -> bool:
    return _media_type(mime_type).startswith("image/")


def _is_text(attachment: Attachment) -> bool:
    media = _media_type(attachment.mime_type)
    return (
        media.startswith("text/")
        or media in _TEXT_TYPES
        or media.endswith(("+json", "+xml"))
        or _extension(attachment.name) in _TEXT_EXTENSIONS
    )


class _Upload:
    """A temporary file next to its destination; only ``commit`` makes it visible."""

    def __init__(self, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        self.destination = destination
        fd, name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".upload-{_HOST_TAG}-{os.getpid()}-", suffix=".part"
        )
        self.temp = Path(name)
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.flush()
        # The rename must not be able to land before the bytes do.
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.temp, self.destination)

    def abort(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process, alive
        return True
    return True


def _remove_leftovers(directory: Path) -> list[Path]:
    """Delete temporary upload files that no live upload writes; returns what went."""
    removed = []
    oldest = time.time() - STALE_UPLOAD.total_seconds()
    for part in [*directory.glob(".upload-*.part"), *directory.glob("*/.upload-*.part")]:
        match = _PART.fullmatch(part.name)
        if match is None:
            continue
        host, pid = match.groups()
        try:
            stale = part.stat().st_mtime < oldest
        except OSError:
            continue  # gone already
        ours = host == _HOST_TAG and pid is not None
        dead = pid is None or (ours and int(pid) != os.getpid() and not _process_alive(int(pid)))
        if stale or dead:
            try:
                part.unlink()
            except OSError as error:
                logger.warning("could not remove the unfinished upload %s: %s", part, error)
                continue
            removed.append(part)
    return removed


class FileAttachmentStore(AttachmentStore[Any]):
    """Keeps attachment bytes as files and their metadata in a ``SQLiteStore``.

    Pass the same ``SQLiteStore`` that the ChatKit server uses. Every method acts for the user of
    the request context (see ``user_id_of``): one user cannot read, overwrite or delete another's
    files. Deleting a thread from the store deletes its attachment files too.

    Example:
        >>> store = default_store()  # doctest: +SKIP
        >>> files = FileAttachmentStore(store=store, max_size=20 * 2**20)  # doctest: +SKIP
        >>> server = NotebookServer(store=store, attachment_store=files)  # doctest: +SKIP
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] = ".chatkit/attachments",
        *,
        store: SQLiteStore,
        max_size: int | Mapping[str, int] | None = DEFAULT_MAX_SIZE,
        max_count: int | None = None,
        accept: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
        preview_max_bytes: int = PREVIEW_MAX_BYTES,
        upload_timeout: float = UPLOAD_TIMEOUT,
    ) -> None:
        """Configure the store; nothing is created on disk until the first upload.

        Temporary files of uploads that a dead kernel left unfinished are removed now.

        Args:
            directory: Where the files go; a relative path is taken from the current working
                directory now, so a later ``%cd`` does not move it.
            store: The store that keeps attachment metadata.
            max_size: Largest accepted file in bytes (default 100 MB, as in ChatKit), or
                per MIME pattern as ChatKit's ``maxSize`` takes it (``{"image/*": 10_000_000,
                "*": 50_000_000}``); ``None`` for no limit.
            max_count: Most attachments waiting in the composer (created within the last hour
                and not yet sent in a message); ``None`` for no limit.
            accept: Accepted types, in ChatKit's composer shape ``{"image/*": [".png", ...]}``
                or as a list of MIME patterns and extensions (``["image/*", ".csv"]``), like
                an HTML ``accept`` attribute. A file is accepted when its MIME type matches a
                pattern or its name ends in a listed extension. ``None`` accepts everything.
            preview_max_bytes: Images up to this size get a ``data:`` preview URL.
            upload_timeout: Seconds an upload may wait for its next piece; one that waits
                longer is dropped and its temporary file removed.
        """
        self.directory = Path(directory).absolute()
        """Folder that holds one sub-folder of files per user."""
        self.store = store
        """Where attachment metadata is kept."""
        self.preview_max_bytes = preview_max_bytes
        """Images up to this many bytes get an inline ``data:`` preview."""
        self.upload_timeout = upload_timeout
        """Seconds an upload may wait for its next piece before it is dropped."""
        # set_limits() below sets the next five; these values are placeholders, so mutating
        # them changes nothing (hence "no mutate").
        self.max_size: int | Mapping[str, int] | None = None  # pragma: no mutate
        """Largest accepted file in bytes (or per MIME pattern), or ``None``."""
        self.max_count: int | None = None  # pragma: no mutate
        """Most unsent attachments per user, or ``None``."""
        self.accept: Mapping[str, Sequence[str]] | Sequence[str] | None = None  # pragma: no mutate
        """Accepted types as given."""
        self._mime_patterns: list[str] = []  # pragma: no mutate
        self._extensions: set[str] = set()  # pragma: no mutate
        self.set_limits(max_size=max_size, max_count=max_count, accept=accept)
        store.on_attachments_deleted(self._remove_files)
        for part in _remove_leftovers(self.directory):
            logger.info("removed %s, an upload a stopped kernel left unfinished", part)

    def __repr__(self) -> str:
        # The default names a private module.
        limits = f", max_size={self.max_size!r}" if self.max_size is not None else ""
        limits += f", max_count={self.max_count!r}" if self.max_count is not None else ""
        limits += f", accept={self.accept!r}" if self.accept is not None else ""
        return f"{type(self).__name__}({str(self.directory)!r}{limits})"

    def set_limits(
        self,
        *,
        max_size: int | Mapping[str, int] | None = DEFAULT_MAX_SIZE,
        max_count: int | None = None,
        accept: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    ) -> None:
        """Replace the limits (see the constructor for their meaning)."""
        if isinstance(max_size, Mapping):
            max_size = {_media_type(k): v for k, v in max_size.items()}
        self.max_size = max_size
        self.max_count = max_count
        self.accept = accept
        self._mime_patterns = []
        self._extensions = set()
        if accept is None:
            return
        entries: list[str] = []
        if isinstance(accept, Mapping):
            for pattern, extensions in accept.items():
                self._mime_patterns.append(_media_type(pattern))
                entries.extend(extensions)
        else:
            entries = [str(entry) for entry in accept]
        for entry in entries:
            entry = entry.strip().lower()
            if entry.startswith("."):
                self._extensions.add(entry)
            elif "/" in entry:
                self._mime_patterns.append(_media_type(entry))
            elif entry:
                self._extensions.add("." + entry)

    def apply_composer_options(self, options: Mapping[str, Any]) -> None:
        """Enforce ChatKit's ``composer.attachments`` options (``maxSize``, ``maxCount``,
        ``accept``; snake_case works too) on the server; ``ChatKitWidget`` calls this whenever
        its options change, so the limits the user sees are the limits the kernel applies."""
        self.set_limits(
            max_size=options.get("maxSize", options.get("max_size", DEFAULT_MAX_SIZE)),
            max_count=options.get("maxCount", options.get("max_count")),
            accept=options.get("accept"),
        )

    @classmethod
    def from_composer_options(
        cls,
        options: Mapping[str, Any],
        directory: str | os.PathLike[str] = ".chatkit/attachments",
        *,
        store: SQLiteStore,
        **kwargs: Any,
    ) -> FileAttachmentStore:
        """Build a store that enforces ChatKit's ``composer.attachments`` options on the server.

        Args:
            options: ``{enabled, maxSize, maxCount, accept}`` as given to ChatKit (snake_case
                keys work too).
            directory: Where the files go.
            store: The store that keeps attachment metadata.
            **kwargs: Passed on to the constructor (e.g. ``preview_max_bytes``).

        Returns:
            The attachment store.

        Raises:
            ValueError: The options disable attachments (``enabled: false``); leave out the
                attachment store instead.
        """
        if not options.get("enabled", True):
            raise ValueError(
                "These composer options disable attachments (enabled: false); don't create an "
                "attachment store, or set enabled to true."
            )
        attachments = cls(directory, store=store, **kwargs)
        attachments.apply_composer_options(options)
        return attachments

    # -- ChatKit's AttachmentStore --------------------------------------------------------------

    async def create_attachment(self, input: AttachmentCreateParams, context: Any) -> Attachment:
        """Check an upload request and register the attachment (phase one of two).

        Args:
            input: Name, size and MIME type the front end declares.
            context: The request context; decides the user.

        Returns:
            A ``FileAttachment``, or an ``ImageAttachment`` for ``image/*`` types, whose
            ``upload_descriptor`` says where to POST the bytes.

        Raises:
            AttachmentError: The name, size, type or count is not accepted; nothing is stored.
        """
        self.check(input)
        if self.max_count is not None:
            waiting = await self.store.count_unsent_attachments(context, UNSENT_WINDOW)
            if waiting >= self.max_count:
                raise AttachmentError(
                    f"Cannot attach {input.name!r}: {waiting} attachment(s) are already waiting "
                    f"to be sent and the limit is {self.max_count}. Send the message or remove "
                    "an attachment first."
                )
        attachment_id = self.generate_attachment_id(input.mime_type, context)
        fields: dict[str, Any] = {
            "id": attachment_id,
            "name": input.name,
            "mime_type": input.mime_type,
            "upload_descriptor": AttachmentUploadDescriptor(
                url=AnyUrl(f"{UPLOAD_URL}/{quote(attachment_id, safe='')}"), method="POST"
            ),
            "metadata": {"size": input.size, "uploaded": False},
        }
        attachment: Attachment
        if _is_image(input.mime_type):
            attachment = ImageAttachment(**fields, preview_url=AnyUrl(PLACEHOLDER_PREVIEW))
        else:
            attachment = FileAttachment(**fields)
        # ChatKit's server saves it again after this returns; saving here too lets
        # write_upload find it when the store is used without the server.
        await self.store.save_attachment(attachment, context)
        return attachment

    async def delete_attachment(self, attachment_id: str, context: Any) -> None:
        """Delete the attachment's file, if it has one. ChatKit then deletes the metadata.

        Args:
            attachment_id: The attachment's id.
            context: The request context; decides the user.
        """
        await asyncio.to_thread(self._remove_files, user_id_of(context), [attachment_id])

    # -- bytes ----------------------------------------------------------------------------------

    async def write_upload(
        self, attachment_id: str, chunks: AsyncIterable[bytes], context: Any
    ) -> Attachment:
        """Receive an attachment's bytes (phase two of two).

        The bytes go to a temporary file that is renamed into place only when all of them
        arrived; a size limit is enforced while streaming, so an oversized upload stops early.

        Args:
            attachment_id: The id from ``create_attachment`` (percent-encoded as in the upload
                URL, or plain).
            chunks: The file's bytes, in order.
            context: The request context; decides the user.

        Returns:
            The attachment, now without an upload descriptor and, for an image up to
            ``preview_max_bytes``, with a ``data:`` preview URL. It is saved in the store too.

        Raises:
            AttachmentError: No such attachment is waiting, the bytes exceed ``max_size``, or
                their number differs from the declared size, or none came for
                ``upload_timeout`` seconds. Nothing is kept.
            StoreError: The attachments folder cannot be written (read-only, full).
        """
        attachment_id = unquote(attachment_id)
        try:
            attachment = await self.store.load_attachment(attachment_id, context)
        except NotFoundError:
            raise AttachmentError(
                f"No attachment {attachment_id!r:.80} is waiting for an upload (it may have been "
                "removed). Attach the file again."
            ) from None
        declared = (attachment.metadata or {}).get("size")
        keep_preview = isinstance(attachment, ImageAttachment) and (
            declared is None or declared <= self.preview_max_bytes
        )
        preview = bytearray()
        digest = hashlib.sha256()
        total = 0
        max_size = self.size_limit(attachment.mime_type)
        destination = self._path(user_id_of(context), attachment_id)
        try:
            upload = await asyncio.to_thread(_Upload, destination)
        except PermissionError as error:
            raise StoreError(
                str(self.directory),
                f"Cannot save {attachment.name!r}: the attachments folder "
                f"{destination.parent} is read-only for this kernel ({error.strerror}). Make it "
                "writable, or give FileAttachmentStore a folder you can write to.",
            ) from None
        except OSError as error:
            raise StoreError(
                str(self.directory),
                f"Cannot save {attachment.name!r} in {destination.parent} ({error}). Free some "
                "space or give FileAttachmentStore a folder you can write to.",
            ) from None
        try:
            async for chunk in self._in_time(chunks, attachment.name):
                size = memoryview(chunk).nbytes
                total += size
                if max_size is not None and total > max_size:
                    raise AttachmentError(
                        f"{attachment.name!r} is larger than the {_human(max_size)} limit; "
                        "the upload was stopped and nothing was kept. Attach a smaller file."
                    )
                if declared is not None and total > declared:
                    raise AttachmentError(
                        f"{attachment.name!r} sent more than the {declared} bytes it declared; "
                        "the upload was stopped and nothing was kept. Attach the file again."
                    )
                digest.update(chunk)
                if keep_preview:
                    preview += chunk
                await asyncio.to_thread(upload.write, chunk)
            if declared is not None and total != declared:
                raise AttachmentError(
                    f"{attachment.name!r} arrived with {total} of its {declared} bytes; the "
                    "upload was cut short and nothing was kept. Attach the file again."
                )
            await asyncio.to_thread(upload.commit)
        except BaseException:
            # Synchronous on purpose: this also runs on cancellation, where awaiting is unsafe.
            upload.abort()
            raise
        update: dict[str, Any] = {
            "upload_descriptor": None,
            "metadata": {
                **(attachment.metadata or {}),
                "size": total,
                "sha256": digest.hexdigest(),
                "uploaded": True,
            },
        }
        if isinstance(attachment, ImageAttachment) and total <= self.preview_max_bytes:
            data = base64.b64encode(preview).decode("ascii")
            media = _media_type(attachment.mime_type)
            update["preview_url"] = AnyUrl(f"data:{media};base64,{data}")
        done = attachment.model_copy(update=update)
        await self.store.save_attachment(done, context)
        return done

    async def _in_time(self, chunks: AsyncIterable[bytes], name: str) -> AsyncIterator[bytes]:
        """The chunks, failing when the next one takes longer than ``upload_timeout``."""
        pieces = aiter(chunks)
        while True:
            try:
                chunk = await asyncio.wait_for(anext(pieces), self.upload_timeout)
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:  # not yet the builtin TimeoutError on 3.10
                raise AttachmentError(
                    f"The upload of {name!r} stalled: no data for {self.upload_timeout:g} s. It "
                    "was dropped and nothing was kept. Attach the file again (on a slow "
                    "connection, raise `upload_timeout` of FileAttachmentStore)."
                ) from None
            yield chunk

    async def read_bytes(self, attachment_id: str, context: Any) -> bytes:
        """Return an uploaded attachment's bytes.

        Args:
            attachment_id: The attachment's id.
            context: The request context; decides the user.

        Returns:
            The file's content.

        Raises:
            AttachmentError: The user has no such attachment, or its upload never finished.
        """
        try:
            attachment = await self.store.load_attachment(attachment_id, context)
        except NotFoundError:
            raise AttachmentError(
                f"There is no attachment {attachment_id!r} for this user; it may have been "
                "deleted. Attach the file again."
            ) from None
        path = self._path(user_id_of(context), attachment_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise AttachmentError(
                f"The upload of {attachment.name!r} did not finish, so its bytes are not "
                f"here ({path}). Attach the file again."
            ) from None

    def path_of(self, attachment_id: str, context: Any) -> Path:
        """Return where an attachment's file is (or will be) kept.

        Args:
            attachment_id: The attachment's id.
            context: The request context; decides the user.

        Returns:
            The file's path; it exists only after a finished upload.
        """
        return self._path(user_id_of(context), attachment_id)

    # -- internals ------------------------------------------------------------------------------

    def _path(self, user: str, attachment_id: str) -> Path:
        return self.directory / _user_folder(user) / _file_name(attachment_id)

    def _remove_files(self, user: str, attachment_ids: list[str]) -> None:
        for attachment_id in attachment_ids:
            self._path(user, attachment_id).unlink(missing_ok=True)

    def check(self, input: AttachmentCreateParams) -> None:
        """Raise ``AttachmentError`` if this file's name, size or type would be refused.

        ``create_attachment`` runs it too; call it to fail early, before anything is stored.
        """
        name = input.name
        if not name.strip():
            raise AttachmentError("The file has no name; give it a name and attach it again.")
        if len(name) > _MAX_NAME_CHARS:
            raise AttachmentError(
                f"The file name {name[:40]!r}... has {len(name)} characters, more than "
                f"{_MAX_NAME_CHARS}; rename the file and attach it again."
            )
        bad = next(
            (
                char
                for char in name
                if char in _BIDI_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES
            ),
            None,
        )
        if bad is not None:
            what = " ".join(filter(None, (f"U+{ord(bad):04X}", unicodedata.name(bad, ""))))
            raise AttachmentError(
                f"The file name {name!r} contains control characters ({what}), which can hide "
                "what the file really is; rename the file and attach it again."
            )
        if len(input.mime_type) > _MAX_NAME_CHARS or not input.mime_type.isprintable():
            raise AttachmentError(
                f"The type of {name!r} ({input.mime_type[:40]!r}...) is not a MIME type (too "
                "long, or with control characters); attach the file again."
            )
        if input.size < 0:
            raise AttachmentError(
                f"{name!r} declares a negative size ({input.size}); attach the file again."
            )
        max_size = self.size_limit(input.mime_type)
        if max_size is not None and input.size > max_size:
            raise AttachmentError(
                f"{name!r} is {_human(input.size)}, more than the {_human(max_size)} limit. "
                "Attach a smaller file, or raise the limit: `maxSize` in the composer "
                "attachment options, or `max_size=` of FileAttachmentStore."
            )
        if not self._accepts(name, input.mime_type):
            accepted = ", ".join([*self._mime_patterns, *sorted(self._extensions)])
            raise AttachmentError(
                f"{name!r} ({input.mime_type or 'unknown type'}) is not an accepted file type; "
                f"accepted: {accepted}. Attach a file of one of these types, or widen `accept` "
                "in the composer attachment options."
            )

    def size_limit(self, mime_type: str) -> int | None:
        """The largest accepted size in bytes for a file of this type; ``None`` for no limit.

        With per-type limits, an exact type wins over ``type/*``, which wins over the ``"*"``
        (or ``""``) fallback; a type none of them matches gets ``DEFAULT_MAX_SIZE``.
        """
        limits = self.max_size
        if not isinstance(limits, Mapping):
            return limits
        media = _media_type(mime_type)
        for key in (media, media.split("/", 1)[0] + "/*", "*/*", "*", ""):
            if key in limits:
                return limits[key]
        return DEFAULT_MAX_SIZE

    def _accepts(self, name: str, mime_type: str) -> bool:
        if self.accept is None:
            return True
        media = _media_type(mime_type)
        for pattern in self._mime_patterns:
            if pattern in ("*", "*/*") or pattern == media:
                return True
            if pattern.endswith("/*") and media.startswith(pattern[:-1]):
                return True
        return _extension(name) in self._extensions


async def attachment_to_input(
    attachment: Attachment,
    attachment_store: AttachmentStore[Any] | None,
    context: Any,
    *,
    max_text_bytes: int = MAX_TEXT_BYTES,
) -> ResponseInputContentParam:
    """Turn an attachment into a Responses API input part, for a ``ThreadItemConverter``.

    Plug it into ``ThreadItemConverter.attachment_to_message_content``, which gets only the
    attachment, by closing over the store and the request context.

    Args:
        attachment: The attachment of a user message.
        attachment_store: Where its bytes are: a ``FileAttachmentStore`` or any store with an
            ``async read_bytes(attachment_id, context)``. Without one, the model is told that
            the file cannot be read.
        context: The request context; decides the user.
        max_text_bytes: How much of a text file to include; the rest is cut with a note.

    Returns:
        ``input_image`` with a ``data:`` URL for PNG, JPEG, GIF and WebP images; ``input_text``
        with the file's name and content for text-like files; otherwise an ``input_text`` that
        tells the model a file of that name and type was attached but cannot be read.
    """
    media = _media_type(attachment.mime_type)
    readable_image = media in _MODEL_IMAGE_TYPES
    if not readable_image and not _is_text(attachment):
        return {
            "type": "input_text",
            "text": (
                f"[The user attached a file named {attachment.name!r} "
                f"({attachment.mime_type or 'unknown type'}), which cannot be read here.]"
            ),
        }
    read_bytes = getattr(attachment_store, "read_bytes", None)
    if read_bytes is None:
        return {
            "type": "input_text",
            "text": (
                f"[The user attached {attachment.name!r} ({attachment.mime_type}), but this "
                "server has no attachment store that can read files.]"
            ),
        }
    try:
        data: bytes = await read_bytes(attachment.id, context)
    except (AttachmentError, NotFoundError, FileNotFoundError):
        return {
            "type": "input_text",
            "text": (
                f"[The user attached {attachment.name!r}, but its upload did not finish, so "
                "its content is not available.]"
            ),
        }
    if readable_image:
        encoded = base64.b64encode(data).decode("ascii")
        return {
            "type": "input_image",
            "image_url": f"data:{media};base64,{encoded}",
            "detail": "auto",
        }
    # An incremental decoder with final=False drops a character cut in half at the limit
    # instead of turning it into a replacement character.
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    text = decoder.decode(data[:max_text_bytes], final=len(data) <= max_text_bytes)
    if len(data) > max_text_bytes:
        text += (
            f"\n[... cut: only the first {_human(max_text_bytes)} of {_human(len(data))} are shown]"
        )
    return {"type": "input_text", "text": f"{attachment.name}:\n{text}"}
