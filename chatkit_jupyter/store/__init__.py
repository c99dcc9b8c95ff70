"""Persistence: ChatKit threads and items in SQLite, attachment files on disk."""

from ._attachments import AttachmentError, FileAttachmentStore, attachment_to_input
from ._sqlite import DEFAULT_USER, SQLiteStore, StoreError, default_store, user_id_of

__all__ = [
    "DEFAULT_USER",
    "AttachmentError",
    "FileAttachmentStore",
    "SQLiteStore",
    "StoreError",
    "attachment_to_input",
    "default_store",
    "user_id_of",
]
