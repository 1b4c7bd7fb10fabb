"""End to end through aiogram long polling against a loopback Bot API server, with the real QAService."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys

import pytest
from bot_harness import bot_settings, polling
from fake_telegram import BOT_USERNAME, MALFORMED, ME, STALL, buttons, callback, inline_query, message, sticker

from bot.texts import t

QUESTION_KK = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


def test_kazakh_question_gets_cited_answer_with_the_figure(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(message(QUESTION_KK, user_id=201))
            await telegram.until("sendMessage")

    asyncio.run(scenario())
    sent = telegram.calls_of("sendMessage")[0]
    assert sent["chat_id"] == 201
    assert sent["parse_mode"] == "HTML"
    assert "25 000" in sent["text"]
    assert "Дереккөздер" in sent["text"]
    assert "<blockquote expandable>" in sent["text"]
    assert "«Электрондық үкімет» порталы" in sent["text"]
    assert telegram.wait_for("sendChatAction")[0]["action"] == "typing"
    datas = [b.get("callback_data", "") for b in buttons(sent)]
    assert any(d.startswith("a:up:") for d in datas) and any(d.startswith("a:down:") for d in datas)
    assert all(len(d.encode()) <= 64 for d in datas)
    querylog.flush()
    [row] = querylog.questions()
    assert row.channel == "telegram" and row.top_doc == "egov-portal.txt" and not row.abstained


def test_sticker_gets_text_only_reply(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(sticker(user_id=202, language_code="ru"))
            await telegram.until("sendMessage")

    asyncio.run(scenario())
    assert telegram.texts(202) == [t("text_only", "ru")]


def test_iin_in_marked_up_question_never_reaches_logs_or_querylog(telegram, service, querylog, caplog) -> None:
    iin = "880101300123"
    text = f"<b>Менің ЖСН {iin}</b> & <script>x</script> 😀 1414 байланыс орталығы қашан жұмыс істейді?"
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            bold = {"type": "bold", "offset": 0, "length": 12}
            telegram.push(message(text, user_id=203, entities=[bold]))
            await telegram.until("sendMessage")

    asyncio.run(scenario())
    reply = telegram.texts(203)[0]
    assert "1414" in reply
    assert "<script>" not in reply and iin not in reply
    querylog.flush()
    [row] = querylog.questions()
    assert iin not in row.question and "[IIN]" in row.question
    assert iin not in caplog.text
    assert all(iin not in r.getMessage() for r in caplog.records)
    assert any("[IIN]" in r.getMessage() for r in caplog.records)  # the update was logged, redacted


def test_thumbs_up_is_stored_and_thumbs_down_asks_a_reason(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(message(QUESTION_KK, user_id=204))
            [answer] = await telegram.until("sendMessage")
            up = next(b["callback_data"] for b in buttons(answer) if b.get("callback_data", "").startswith("a:up:"))
            telegram.push(callback(up, answer, user_id=204))
            await telegram.until("answerCallbackQuery")
            telegram.push(message("Байланыс орталығының нөмірі қандай?", user_id=204))
            second = (await telegram.until("sendMessage", 2))[1]
            down = next(b["callback_data"] for b in buttons(second) if b.get("callback_data", "").startswith("a:down"))
            telegram.push(callback(down, second, user_id=204))
            prompt = (await telegram.until("sendMessage", 3))[2]
            reason = next(b["callback_data"] for b in buttons(prompt) if b["callback_data"].endswith(":unclear"))
            telegram.push(callback(reason, prompt, user_id=204))
            await telegram.until("editMessageText")

    asyncio.run(scenario())
    querylog.flush()
    first, second = querylog.questions()
    ratings = {f.answer_id: (f.rating, f.reason, f.channel) for f in querylog.feedback()}
    assert ratings == {first.answer_id: (1, None, "telegram"), second.answer_id: (-1, "unclear", "telegram")}
    # the 👍/👎 row is removed once rated, the other buttons stay
    edited = telegram.calls_of("editMessageReplyMarkup")[0]
    assert not any(b.get("callback_data", "").startswith("a:up") for b in buttons(edited))


@pytest.mark.parametrize(
    ("failures", "user"),
    [
        ((500, 502), 205),
        # regression (soak, Bot API fault): a proxy's HTML error page made the answer fail without a retry
        ((MALFORMED, MALFORMED), 219),
    ],
    ids=["server-errors", "not-json"],
)
def test_a_failed_send_message_is_retried(telegram, service, querylog, failures, user) -> None:
    telegram.fail("sendMessage", *failures)

    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(message(QUESTION_KK, user_id=user))
            await telegram.until("sendMessage", 3)

    asyncio.run(scenario())
    texts = telegram.texts(user)
    assert len(texts) == 3 and texts[0] == texts[2] and "25 000" in texts[2]


def test_flood_control_and_timeouts_are_retried(telegram, service, querylog) -> None:
    telegram.fail("sendMessage", 429, STALL)

    async def scenario() -> None:
        async with polling(telegram, service, querylog, bot_settings(telegram, request_timeout=0.5)):
            telegram.push(message(QUESTION_KK, user_id=218))
            await telegram.until("sendMessage", 3)
            telegram.push(message("/help", user_id=218))
            await telegram.until("sendMessage", 4)

    asyncio.run(scenario())
    texts = telegram.texts(218)
    assert texts[0] == texts[1] == texts[2] and "25 000" in texts[2]
    assert "Сұрақ мысалдары" in texts[3]


def test_bot_apologises_and_keeps_running_when_sending_fails_for_good(telegram, service, querylog, caplog) -> None:
    other = "Байланыс орталығының нөмірі қандай?"

    async def scenario() -> None:
        async with polling(telegram, service, querylog, bot_settings(telegram, retries=1)):
            telegram.fail("sendMessage", 500, 500)  # the answer and its one retry fail: the error handler apologises
            telegram.push(message(other, user_id=206))
            await telegram.until("sendMessage", 3)
            telegram.fail("sendMessage", 500, 500, 500, 500)  # now even the apology fails
            telegram.push(message(other, user_id=206))
            await telegram.until("sendMessage", 7)
            telegram.push(message(QUESTION_KK, user_id=206))
            await telegram.until("sendMessage", 8)

    asyncio.run(scenario())
    texts = telegram.texts(206)
    assert texts[2] == t("error", "kk") and texts[5] == texts[6] == t("error", "kk")
    assert "25 000" in texts[7]
    assert sum("failed" in r.getMessage() for r in caplog.records if r.name == "bot.routers.errors") == 2


def test_group_messages_are_ignored_unless_the_bot_is_addressed(telegram, service, querylog) -> None:
    group = -1001
    mention = f"@{BOT_USERNAME}"
    addressed = f"{mention} Байланыс орталығының нөмірі қандай?"

    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(
                message(
                    "Сәлем бәріне! Порталда 1414 туралы не жазылған?",
                    user_id=207,
                    chat_id=group,
                    chat_type="supergroup",
                )
            )
            telegram.push(sticker(user_id=207, chat_id=group, chat_type="supergroup"))
            entity = {"type": "mention", "offset": 0, "length": len(mention)}
            telegram.push(message(addressed, user_id=207, chat_id=group, chat_type="supergroup", entities=[entity]))
            await telegram.until("sendMessage")
            bot_message = {
                "message_id": 77,
                "date": 0,
                "chat": {"id": group, "type": "supergroup"},
                "from": ME,
                "text": "answer",
            }
            telegram.push(
                message(QUESTION_KK, user_id=208, chat_id=group, chat_type="supergroup", reply_to_message=bot_message)
            )
            await telegram.until("sendMessage", 2)
            telegram.push(message("рақмет", user_id=208, chat_id=group, chat_type="supergroup"))
            telegram.push(message(QUESTION_KK, user_id=209, language_code="ru"))  # a marker: handled after the above
            await telegram.until("sendMessage", 3)

    asyncio.run(scenario())
    group_texts = telegram.texts(group)
    assert len(group_texts) == 2
    assert "1414" in group_texts[0] and "25 000" in group_texts[1]
    replies = [p for p in telegram.calls_of("sendMessage") if p["chat_id"] == group]
    assert all("reply_parameters" in p for p in replies)  # answers in groups quote the question
    assert "Источники" in telegram.texts(209)[0]


def test_inline_query_returns_cited_articles(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(inline_query(QUESTION_KK, user_id=210))
            telegram.push(inline_query("   ", user_id=211))
            await telegram.until("answerInlineQuery", 2)

    asyncio.run(scenario())
    answered, empty = sorted(telegram.calls_of("answerInlineQuery"), key=lambda p: len(p["results"]), reverse=True)
    results = answered["results"]
    assert 2 <= len(results) <= 5
    assert "25 000" in results[0]["title"]
    content = results[0]["input_message_content"]
    assert "25 000" in content["message_text"] and content["parse_mode"] == "HTML"
    assert all(len(r["id"].encode()) <= 64 for r in results)
    assert len({r["id"] for r in results}) == len(results)
    assert empty["results"] == [] and "button" in empty


def test_ten_thousand_character_message_is_answered_politely(telegram, service, querylog) -> None:
    long_text = ("Порталды қанша адам пайдаланады? " * 400)[:10_000]

    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(message(long_text, user_id=212, language_code="ru"))
            await telegram.until("sendMessage")
            telegram.push(message(QUESTION_KK, user_id=212, language_code="ru"))
            await telegram.until("sendMessage", 2)

    asyncio.run(scenario())
    first, second = telegram.texts(212)
    limit = service.settings.retrieval.max_question_chars
    assert first == t("too_long", "ru", length=10_000, limit=limit)
    assert "25 000" in second


def test_start_offers_languages_and_lang_choice_is_remembered(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(message("/start", user_id=213, language_code="ru"))
            [greeting] = await telegram.until("sendMessage")
            kk = next(b["callback_data"] for b in buttons(greeting) if b["text"].endswith("Қазақша"))
            telegram.push(callback(kk, greeting, user_id=213, language_code="ru"))
            await telegram.until("sendMessage", 2)
            telegram.push(message("/help", user_id=213, language_code="ru"))
            await telegram.until("sendMessage", 3)
            telegram.push(message("/lang", user_id=213, language_code="ru"))
            await telegram.until("sendMessage", 4)

    asyncio.run(scenario())
    greeting, chosen, help_text, choose = telegram.texts(213)
    assert greeting == t("greeting", "ru")
    assert chosen == t("lang_set", "kk")
    assert "«Электрондық үкімет» порталы" in help_text and "Сұрақ мысалдары" in help_text  # Kazakh from now on
    assert choose == t("choose_lang", "kk")
    menus = {p.get("language_code"): p["commands"] for p in telegram.calls_of("setMyCommands")}
    assert set(menus) == {None, "kk", "ru"}
    assert {c["command"] for c in menus["ru"]} == {"start", "help", "targets", "lang"}
    assert menus["ru"][0]["description"] == t("cmd_start", "ru")
    assert menus["kk"][0]["description"] == t("cmd_start", "kk")


def test_more_results_and_full_passage_buttons(telegram, service, querylog) -> None:
    settings = bot_settings(telegram, sources_per_message=1)

    async def scenario() -> None:
        async with polling(telegram, service, querylog, settings):
            telegram.push(message(QUESTION_KK, user_id=214))
            [answer] = await telegram.until("sendMessage")
            datas = [b.get("callback_data", "") for b in buttons(answer)]
            more = next(d for d in datas if d.startswith("a:more:"))
            full = next(d for d in datas if d.startswith("a:full:"))
            telegram.push(callback(more, answer, user_id=214))
            await telegram.until("sendMessage", 2)
            telegram.push(callback(full, answer, user_id=214))
            await telegram.until("sendMessage", 3)
            telegram.push(callback(more.replace(more.split(":")[2], "0" * 16), answer, user_id=214))
            await telegram.until("answerCallbackQuery", 3)
            telegram.push(callback("zz:unknown", answer, user_id=214))
            await telegram.until("answerCallbackQuery", 4)

    asyncio.run(scenario())
    answer, more, full = telegram.texts(214)
    assert "<b>1. " in answer and "<b>2. " not in answer
    assert more.count("<blockquote expandable>") == 1 and "<b>2. " in more
    assert "📄" in full and "25 000" in full
    links = [b["url"] for b in buttons(telegram.calls_of("sendMessage")[0]) if "url" in b]
    assert links and links[0].startswith("https://jauap.example.kz/view/egov-portal.txt?start=")
    forgotten, unknown = telegram.calls_of("answerCallbackQuery")[-2:]
    assert forgotten["text"] == unknown["text"] == t("expired", "kk")


def test_throttling_limits_a_flooding_user(telegram, service, querylog) -> None:
    settings = bot_settings(telegram, throttle_rate=0.001, throttle_burst=2)

    async def scenario() -> None:
        async with polling(telegram, service, querylog, settings):
            for _ in range(5):
                telegram.push(message(QUESTION_KK, user_id=215))
            telegram.push(message(QUESTION_KK, user_id=216))  # another user is not affected
            await telegram.until("sendMessage", 4)
            telegram.push(message("/help", user_id=216))
            await telegram.until("sendMessage", 5)

    asyncio.run(scenario())
    texts = telegram.texts(215)
    assert sum("25 000" in x for x in texts) == 2
    assert texts.count(t("throttled", "kk")) == 1
    assert len(telegram.texts(216)) == 2


def test_abstention_is_polite_with_related_passages_and_1414(telegram, index_settings, querylog) -> None:
    from index.service import build_service

    strict = build_service(index_settings.replace(abstain_below=2.0))  # nothing is confident enough

    async def scenario() -> None:
        async with polling(telegram, strict, querylog):
            telegram.push(message("Марсқа ұшу қанша тұрады?", user_id=217, language_code="ru"))
            await telegram.until("sendMessage")

    asyncio.run(scenario())
    [text] = telegram.texts(217)
    assert t("abstain", "ru") in text and t("maybe_related", "ru") in text and "1414" in text
    querylog.flush()
    assert querylog.questions()[0].abstained


def test_run_polling_entry_point_drops_the_webhook_and_answers(telegram, service, querylog) -> None:
    from bot.__main__ import run_polling

    async def scenario() -> None:
        task = asyncio.create_task(run_polling(bot_settings(telegram), service, querylog))
        await telegram.until("deleteWebhook")
        telegram.push(message(QUESTION_KK, user_id=219))
        await telegram.until("sendMessage")
        await asyncio.to_thread(telegram.wait_confirmed)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert "25 000" in telegram.texts(219)[0]


def test_python_m_bot_without_a_token_says_what_to_set(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAUAP_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "JAUAP_BOT_TOKEN" in result.stderr


def test_targets_command_offers_programmes_and_shows_their_indicators(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            telegram.push(message("/targets", user_id=219))
            [menu] = await telegram.until("sendMessage")
            programme = buttons(menu)[0]
            assert programme["text"] == "«Электрондық үкімет» порталы"
            telegram.push(callback(programme["callback_data"], menu, user_id=219))
            [shown] = await telegram.until("editMessageText")
            back = next(b["callback_data"] for b in buttons(shown) if b["text"].startswith("↩"))
            telegram.push(callback(back, menu, user_id=219))
            await telegram.until("editMessageText", 2)

    asyncio.run(scenario())
    menu = telegram.calls_of("sendMessage")[0]
    assert menu["text"] == t("targets_choose", "kk")
    shown, again = telegram.calls_of("editMessageText")
    assert "нысаналы көрсеткіштер (1/1)" in shown["text"]
    assert "компьютерлік сауаттылық деңгейі</a> — <b>2020: 80 %</b>" in shown["text"]
    assert "2020: ≤ 3 жұмыс күні" in shown["text"]
    assert 'href="https://jauap.example.kz/view/egov-portal.txt?start=' in shown["text"]
    assert again["text"] == t("targets_choose", "kk")
