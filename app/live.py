"""The index a replica serves: one holder that loads a published version, swaps it in, and watches for the next.

`index/store.py` publishes a build by switching the `JAUAP_INDEX_DIR` link to a new versioned folder; that
folder's name is the version every replica reports. Each replica polls the link and loads a new version beside
the serving one, so requests in flight finish on the old one and none fails; a version that cannot be loaded is
reported (in /readyz and /metrics) while the previous one keeps serving.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from config import Settings
from index.errors import JauapError

logger = logging.getLogger(__name__)

Builder = Callable[[Settings], Any]


class ReloadError(JauapError):
    """A published index version could not be loaded; the previous one is still served."""


def published_version(index_dir: Path) -> str:
    """The version the link points to now (the versioned folder's name; the folder itself for an unlinked dir)."""
    return Path(os.path.realpath(index_dir)).name


class Holder(Protocol):
    """Where the served service is kept, for the code that reads it on every request (the API's `app.state`)."""

    service: Any


class LiveIndex:
    """Serves a service on `state.service` (a holder its owner hands in) and knows its version; the only swapper.

    `count(outcome)` is told of each switch after the first ("ok") and each failed load ("failed"), for metrics.
    """

    def __init__(
        self,
        state: Holder,
        settings: Settings,
        build: Builder | None = None,
        count: Callable[[str], None] | None = None,
    ) -> None:
        self.state = state
        self.count = count
        self.settings = settings
        self._build = build
        self.version: str | None = None
        self.failed: str | None = None  # why the newest published version is not the one served
        self._failed_version: str | None = None
        self._lock = asyncio.Lock()
        self.on_switch: list[Callable[[Any, str], None]] = []

    def _builder(self) -> Builder:
        if self._build is None:
            from index.service import build_service

            self._build = build_service
        return self._build

    async def reload(self, force: bool = True) -> Any:
        """Load the published version and serve it; on failure keep the old one, remember why, and raise.

        The link is resolved once and the folder it names is loaded, so the version reported is the one served
        even if another build is published meanwhile.
        """
        async with self._lock:
            folder = Path(os.path.realpath(self.settings.retrieval.index_dir))
            version = folder.name
            if not force and version in (self.version, self._failed_version):
                return self.state.service
            pinned = self.settings.replace(index_dir=folder) if folder.exists() else self.settings
            try:
                service = await asyncio.to_thread(self._builder(), pinned)
            except Exception as exc:
                self._failed_version = version
                self.failed = f"index version {version} failed to load ({exc}); serving {self.version or 'none'}"
                self._count("failed")
                logger.error("%s", self.failed)
                if isinstance(exc, JauapError):
                    raise
                raise ReloadError(str(exc)) from exc
            service.index_version = version  # answers report the version of the service that gave them
            self.state.service = service
            previous, self.version = self.version, version
            self.failed = self._failed_version = None
            for callback in self.on_switch:
                callback(service, version)
        if previous is not None:
            self._count("ok")
            logger.info("index switched from %s to %s", previous, version)
        return service

    def _count(self, outcome: str) -> None:
        if self.count is not None and self.version is not None:
            self.count(outcome)

    async def watch(self, interval: float) -> None:
        """Poll the link every `interval` seconds and switch when it names a new version (until cancelled)."""
        while True:
            await asyncio.sleep(interval)
            try:
                version = published_version(self.settings.retrieval.index_dir)
            except OSError:
                continue
            if version in (self.version, self._failed_version):
                continue
            logger.info("index version %s published; loading it", version)
            try:
                await self.reload(force=False)
            except Exception:  # reported in /readyz and /metrics; the old version keeps serving
                continue


class CurrentService:
    """Forwards to the service a `LiveIndex` serves now, for code that keeps one reference (the polling bot)."""

    def __init__(self, live: LiveIndex) -> None:
        self._live = live

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live.state.service, name)


def pin_file_digest(path: Path) -> str:
    """sha256 of the curated pin file ('absent' when there is none), for the pin audit."""
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "absent"
