"""A loopback Bot API server for the bot's end-to-end tests: serves queued updates and records every call.

It runs in its own thread (plain `http.server`), so the bot under test — in the test's event loop, or in the API
app's loop under TestClient — talks to it over real HTTP exactly as it would to api.telegram.org.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TOKEN = "123456789:TEST-token_for-jauap"
BOT_ID = 123456789
BOT_USERNAME = "jauap_test_bot"
ME = {"id": BOT_ID, "is_bot": True, "first_name": "Jauap", "username": BOT_USERNAME, "supports_inline_queries": True}
STALL, STALL_SECONDS = 0, 1.5  # fail(method, STALL): answer too late for a 0.5 s client timeout
MALFORMED = 1  # fail(method, MALFORMED): 502 with a body that is not JSON (a proxy's error page, a cut-off reply)
MAX_POLL_WAIT = 0.3  # seconds a getUpdates call waits for updates (keeps polling shutdown quick)


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeTelegram:
    """Records calls as (method, params); `push` queues updates; `fail` makes the next calls of a method fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answered: list[tuple[str, dict[str, Any]]] = []  # the calls that got a successful reply
        self._updates: list[dict[str, Any]] = []
        self._failures: dict[str, list[int]] = {}
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._last_pushed = 0
        self._confirmed = 0  # highest update_id the bot confirmed (by asking for a later offset)
        self._message_ids = itertools.count(1000)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._serve(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- test controls -------------------------------------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (its update_id is assigned here) for the next getUpdates."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._last_pushed = update["update_id"]
            self._cond.notify_all()
            return update["update_id"]

    def fail(self, method: str, *statuses: int) -> None:
        """Answer the next calls of `method` with these HTTP error statuses, one each.

        429 comes with `retry_after: 1` (flood control); `STALL` answers only after `STALL_SECONDS` (a timeout);
        `MALFORMED` answers 502 with a truncated, non-JSON body.
        """
        with self._cond:
            self._failures.setdefault(method, []).extend(statuses)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._cond:
            return [params for name, params in self.calls if name == method]

    def answered_of(self, method: str) -> list[dict[str, Any]]:
        """Params of the calls of `method` that got a successful reply (failed attempts left out)."""
        with self._cond:
            return [params for name, params in self.answered if name == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Block until `method` was called `count` times (a guard against hanging, not a speed assertion)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([1 for name, _ in self.calls if name == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [name for name, _ in self.calls]
                    raise AssertionError(f"{method} was not called {count} times; calls: {seen}")
                self._cond.wait(left)
            return [params for name, params in self.calls if name == method]

    def wait_confirmed(self, timeout: float = 15.0) -> None:
        """Block until the bot confirmed every pushed update (so a next bot instance won't get them again)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._confirmed >= self._last_pushed, timeout):
                raise AssertionError(f"updates up to {self._last_pushed} not confirmed (at {self._confirmed})")

    async def until(self, method: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        """`wait_for` without blocking the event loop the bot runs in."""
        return await asyncio.to_thread(self.wait_for, method, count, timeout)

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts the bot sent with sendMessage (to `chat_id`, when given), in order."""
        return [p["text"] for p in self.calls_of("sendMessage") if chat_id is None or p.get("chat_id") == chat_id]

    # -- HTTP ----------------------------------------------------------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != f"bot{TOKEN}":
            self._reply(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = parts[1]
        params = self._params(request)
        if method == "getUpdates":
            self._reply(request, 200, {"ok": True, "result": self._get_updates(params)})
            return
        with self._cond:
            self.calls.append((method, params))
            self._cond.notify_all()
            failures = self._failures.get(method)
            status = failures.pop(0) if failures else None
        if status == STALL:
            time.sleep(STALL_SECONDS)
        elif status == MALFORMED:
            self._reply_raw(request, 502, b'<html><body>502 Bad Gateway</body></html>{"ok": tr')
            return
        elif status is not None:
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": f"Error {status} (test)"}
            if status == 429:
                body["parameters"] = {"retry_after": 1}
            self._reply(request, status, body)
            return
        with self._cond:
            self.answered.append((method, params))
        self._reply(request, 200, {"ok": True, "result": self._result(method, params)})

    @staticmethod
    def _params(request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            return {
                part.get_param("name", header="content-disposition"): _decode(part.get_content())
                for part in message.iter_parts()
            }
        if ctype.startswith("application/json"):
            return json.loads(raw or b"{}")
        return {k: _decode(v[-1]) for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), MAX_POLL_WAIT)
        with self._cond:
            self._confirmed = max(self._confirmed, offset - 1)
            self._cond.notify_all()
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates:
                self._cond.wait(wait)
            return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return ME
        if method in {"sendMessage", "editMessageText", "editMessageReplyMarkup"}:
            if "inline_message_id" in params:
                return True
            chat_id = int(params.get("chat_id") or 0)
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": ME,
                "text": str(params.get("text") or "…"),
            }
            if isinstance(params.get("reply_markup"), dict):
                message["reply_markup"] = params["reply_markup"]
            return message
        return True

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        FakeTelegram._reply_raw(request, status, json.dumps(body).encode())

    @staticmethod
    def _reply_raw(request: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bot stopped waiting (shutdown)
            request.wfile.write(data)


# -- update builders ---------------------------------------------------------------------------------------------
def user(user_id: int = 111, language_code: str = "kk") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Азамат", "language_code": language_code}


def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Азамат"}
    return {"id": chat_id, "type": chat_type, "title": "ХҚКО қызметкерлері"}


_message_ids = itertools.count(1)


def message(
    text: str | None = "",
    *,
    user_id: int = 111,
    chat_id: int | None = None,
    chat_type: str = "private",
    language_code: str = "kk",
    **extra: Any,
) -> dict[str, Any]:
    """A `message` update from a user (in their private chat unless `chat_id`/`chat_type` say otherwise)."""
    body: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat(chat_id if chat_id is not None else user_id, chat_type),
        "from": user(user_id, language_code),
        **extra,
    }
    if text is not None:
        body["text"] = text
    return {"message": body}


def sticker(**kwargs: Any) -> dict[str, Any]:
    sticker_ = {
        "file_id": "CAACAgIAAxkBAAEB",
        "file_unique_id": "AgADAQAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    return message(None, sticker=sticker_, **kwargs)


def callback(data: str, sent: dict[str, Any], *, user_id: int = 111, language_code: str = "kk") -> dict[str, Any]:
    """A button press on a message the bot sent (`sent`: sendMessage params recorded by FakeTelegram)."""
    chat_id = int(sent["chat_id"])
    bot_message = {
        "message_id": 5000 + next(_message_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, "private" if chat_id > 0 else "supergroup"),
        "from": ME,
        "text": "answer",
    }
    if isinstance(sent.get("reply_markup"), dict):
        bot_message["reply_markup"] = sent["reply_markup"]
    return {
        "callback_query": {
            "id": f"cb{next(_message_ids)}",
            "from": user(user_id, language_code),
            "chat_instance": "42",
            "data": data,
            "message": bot_message,
        }
    }


def inline_query(query: str, *, user_id: int = 111, language_code: str = "kk") -> dict[str, Any]:
    return {
        "inline_query": {
            "id": f"iq{next(_message_ids)}",
            "from": user(user_id, language_code),
            "query": query,
            "offset": "",
        }
    }


def buttons(params: dict[str, Any]) -> list[dict[str, Any]]:
    """All inline buttons of a recorded sendMessage call."""
    markup = params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]
