"""A local spool for log rows the database could not take (PostgreSQL down): kept on disk, delivered later.

Each writer appends to its own file and holds an exclusive `flock` on it while it lives; whoever drains takes
only files it can lock (its own, closed first, or those of a writer that has died), so two replicas sharing a
volume never deliver or delete the same file twice, and a crash between spooling and delivery loses nothing.
A lock can outlive `close`: a process forked while the file was open (any `subprocess` call, between its fork and
exec) shares the lock until it drops its copy, so `drain` may find even its own file busy; `undelivered()` says so,
and the writer keeps retrying instead of taking an empty drain for "everything delivered".
Rows are redacted before they are queued, so nothing personal reaches the disk here either.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

Row = tuple[str, dict[str, Any]]  # (table, values)


class Spool:
    """Append-only JSON-lines files under `folder`; `drain(deliver)` hands every locked file's rows to `deliver`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._file: IO[str] | None = None
        self._own: set[Path] = set()  # files this spool wrote that are still on disk

    def append(self, rows: list[Row]) -> None:
        """Keep `rows` on disk (fsynced: they are the only copy)."""
        if self._file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{uuid.uuid4().hex}.jsonl"
            self._file = path.open("a", encoding="utf-8")
            fcntl.flock(self._file, fcntl.LOCK_EX)
            self._own.add(path)
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
                self._own.discard(path)
                delivered += len(rows)
        if delivered:
            logger.info("delivered %d spooled log rows", delivered)
        return delivered

    def undelivered(self) -> int:
        """Files this spool wrote that are still waiting (busy at the last `drain`, or never drained)."""
        self._own = {path for path in self._own if path.exists()}  # another process may have delivered one
        return len(self._own)

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            with suppress(OSError):  # a full disk fails the last flush (the writer holds those rows); fd closed
                file.close()  # releases the lock


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
