"""The schema of ``SQLiteStore`` files, as the list of steps that build it.

Each entry upgrades the schema by one version: entry ``n`` turns version ``n`` into ``n + 1``.
Never edit an entry that has shipped; append a new one. A tuple of single statements rather
than one script, because ``executescript`` commits first and a migration must be atomic.
"""

from __future__ import annotations

from typing import Final

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE threads (
            seq INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            id TEXT NOT NULL,
            created_us INTEGER NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (user_id, id)
        )""",
        "CREATE INDEX threads_by_time ON threads (user_id, created_us, seq)",
        """CREATE TABLE items (
            seq INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            thread_id TEXT NOT NULL,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            variant TEXT,
            created_us INTEGER NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (user_id, thread_id, id)
        )""",
        "CREATE INDEX items_by_time ON items (user_id, thread_id, created_us, seq)",
        """CREATE TABLE attachments (
            seq INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            id TEXT NOT NULL,
            thread_id TEXT,
            created_us INTEGER NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (user_id, id)
        )""",
        "CREATE INDEX attachments_by_thread ON attachments (user_id, thread_id)",
    ),
)

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this release writes; older files are migrated forward when opened."""
