"""A local spool for log rows the database could not take (PostgreSQL down): kept on disk, delivered later.

Each writer appends to its own file and holds an exclusive `flock` on it while it lives; whoever drains takes
only files it can lock (its own, closed first, or those of a writer that has died), so two replicas sharing a
volume never deliver or delete the same file twice, and a crash between spooling and delivery loses nothing.
Rows are redacted before they are queued, so nothing personal reaches the disk here either.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

Row = tuple[str, dict[str, Any]]  # (table, values)


class Spool:
    """Append-only JSON-lines files under `folder`; `drain(deliver)` hands every locked file's rows to `deliver`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._file: IO[str] | None = None

    def append(self, rows: list[Row]) -> None:
        """Keep `rows` on disk (fsynced: they are the only copy)."""
        if self._file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._file = (self.folder / f"{uuid.uuid4().hex}.jsonl").open("a", encoding="utf-8")
            fcntl.flock(self._file, fcntl.LOCK_EX)
        for table, values in rows:
            self._file.write(json.dumps([table, values], ensure_ascii=False, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def pending(self) -> int:
        """Spooled files waiting for delivery (this writer's own and any left by others)."""
        return len(list(self.folder.glob("*.jsonl"))) if self.folder.exists() else 0

    def drain(self, deliver: Callable[[list[Row]], None]) -> int:
        """Deliver and delete every spool file this process can lock; returns the rows delivered.

        If `deliver` raises, the file stays for the next attempt (delivery is an idempotent upsert).
        """
        self.close()
        delivered = 0
        for path in sorted(self.folder.glob("*.jsonl")) if self.folder.exists() else []:
            with _locked(path) as handle:
                if handle is None:
                    continue  # a live writer's file
                rows = [row for line in handle if (row := _row(line)) is not None]
                if rows:
                    deliver(rows)
                path.unlink()
                delivered += len(rows)
        if delivered:
            logger.info("delivered %d spooled log rows", delivered)
        return delivered

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None


def _row(line: str) -> Row | None:
    """One spooled row; None for a blank line or the torn last line of a writer killed mid-append."""
    try:
        table, values = json.loads(line)
    except ValueError:
        if line.strip():
            logger.warning("skipping a torn line in the log spool")
        return None
    return table, values


@contextmanager
def _locked(path: Path) -> Iterator[IO[str] | None]:
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:  # delivered by another process meanwhile
        yield None
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        if not path.exists():  # unlinked by the process that held it before us
            yield None
            return
        yield handle
    finally:
        handle.close()
