"""The bot's FSM storage when Redis holds it: while Redis is unreachable, process memory stands in.

Every update reads the user's state, so an unreachable Redis would otherwise stop the bot answering. Falling back
to memory keeps answers flowing; what is lost is only continuity (a language choice made before the outage, a
"more results" page of an answer given by another replica) until Redis is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0


class FallbackStorage(BaseStorage):
    """`primary` (Redis) for every call; `MemoryStorage` for a few seconds after it fails, then Redis again."""

    def __init__(self, primary: BaseStorage) -> None:
        self.primary = primary
        self.memory = MemoryStorage()
        self.degraded: str | None = None
        self._retry_at = 0.0

    async def _call(self, name: str, *args: Any) -> Any:
        if time.monotonic() >= self._retry_at:
            try:
                result = await getattr(self.primary, name)(*args)
            except (RedisError, OSError) as exc:
                if self.degraded is None:
                    logger.error("bot state: Redis unavailable, using process memory: %s", exc)
                self.degraded = str(exc)[:200] or type(exc).__name__
                self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            else:
                if self.degraded is not None:
                    logger.info("bot state: Redis is back")
                self.degraded = None
                return result
        return await getattr(self.memory, name)(*args)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._call("set_state", key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._call("get_state", key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._call("set_data", key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self._call("get_data", key)

    async def close(self) -> None:
        await self.primary.close()
        await self.memory.close()
