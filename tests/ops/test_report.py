"""Operator report over a real SQLite query log filled through QueryLog (timestamps spread over days afterwards)."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from ops.querylog import QueryLog
from ops.report import build_report, write_chart, write_csv
from ops.report_cli import report_command

DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# (question, abstained, day offset); near-duplicate unanswered questions in Kazakh and in Russian
LOG = [
    ("ЖСН қалай алуға болады?", True, 0),
    ("жсн калай алуга болады", True, 0),
    ("ЖСН-ды қалай алуға болады?", True, 1),
    ("ЖСН қалай алуға болады?", True, 2),
    ("Как получить справку о несудимости?", True, 1),
    ("как получить справку о не судимости", True, 1),
    ("Справка о несудимости как получить онлайн", True, 2),
    ("Где находится ЦОН?", True, 2),
    ("Зейнетақы қашан төленеді?", True, 2),
    ("Порталды күн сайын қанша адам пайдаланады?", False, 0),
    ("порталды кун сайын канша адам пайдаланады", False, 1),
    ("Номер контакт-центра 1414?", False, 1),
    ('=HYPERLINK("http://evil") ЖСН 880101300123', False, 2),
]


@pytest.fixture()
def querylog(tmp_path: Path) -> QueryLog:
    log = QueryLog(tmp_path / "querylog.sqlite3")
    for n, (question, abstained, _day) in enumerate(LOG):
        log.log_question(
            answer_id=f"a{n}",
            channel="telegram" if n % 3 == 0 else "web",
            question=question,
            lang="ru" if "как" in question.lower() else "kk",
            abstained=abstained,
            confidence=0.1 if abstained else 0.8,
            top_doc=None if abstained else "egov-portal.txt",
            latency_ms=20.0,
        )
    log.set_feedback(
        answer_id="a10", rating=-1, reason="Жауап толық емес, маған 87011234567 хабарласыңыз", channel="web"
    )
    log.set_feedback(answer_id="a11", rating=1, reason=None, channel="web")
    log.set_feedback(answer_id="a9", rating=1, reason=None, channel="telegram")
    log.flush()
    with sqlite3.connect(log.path) as conn:  # spread the records over three days, as a real log would be
        for n, (_, _, day) in enumerate(LOG):
            moment = (DAY1 + timedelta(days=day, minutes=n)).isoformat()
            conn.execute("UPDATE questions SET created_at = ? WHERE answer_id = ?", (moment, f"a{n}"))
            conn.execute("UPDATE feedback SET created_at = ? WHERE answer_id = ?", (moment, f"a{n}"))
    yield log
    log.close()


def test_near_duplicate_unanswered_questions_form_one_gap_each(querylog: QueryLog) -> None:
    report = build_report(querylog)
    groups = [sorted(q.question for q in gap.questions) for gap in report.gaps]
    # the same words typed without Kazakh letters are one question (counted twice); the suffixed form is a variant
    assert [(q.question, q.count) for q in report.gaps[0].questions] == [
        ("ЖСН қалай алуға болады?", 3),
        ("ЖСН-ды қалай алуға болады?", 1),
    ]
    assert report.gaps[0].count == 4 and report.gaps[0].representative == "ЖСН қалай алуға болады?"
    assert groups[1] == sorted(
        [
            "Как получить справку о несудимости?",
            "как получить справку о не судимости",
            "Справка о несудимости как получить онлайн",
        ]
    )
    assert ["Где находится ЦОН?"] in groups and ["Зейнетақы қашан төленеді?"] in groups
    assert len(report.gaps) == 4
    answered = {q for q, abstained, _ in LOG if not abstained}
    assert not answered & {q.question for gap in report.gaps for q in gap.questions}


def test_volume_abstention_and_feedback_per_day(querylog: QueryLog) -> None:
    report = build_report(querylog)
    assert report.total == len(LOG) and report.abstained == 9
    assert report.abstention_rate == pytest.approx(9 / 13)
    assert [(d.day.isoformat(), d.questions, d.abstained) for d in report.days] == [
        ("2026-11-02", 3, 2),
        ("2026-11-03", 5, 3),
        ("2026-11-04", 5, 4),
    ]
    assert report.days[1].abstention_rate == pytest.approx(0.6)
    assert (report.thumbs_up, report.thumbs_down_count) == (2, 1)
    assert sum(report.channels.values()) == len(LOG) and set(report.channels) == {"web", "telegram"}


def test_top_questions_count_spelling_variants_together(querylog: QueryLog) -> None:
    top = build_report(querylog).top_questions
    assert (top[0].question, top[0].count, top[0].abstained) == ("ЖСН қалай алуға болады?", 3, 3)
    portal = next(q for q in top if "ортал" in q.question.lower())
    assert portal.count == 2 and portal.abstained == 0


def test_thumbs_down_carries_question_and_redacted_reason(querylog: QueryLog) -> None:
    [down] = build_report(querylog).thumbs_down
    assert down.question == "порталды кун сайын канша адам пайдаланады"
    assert down.reason is not None and "87011234567" not in down.reason and "Жауап толық емес" in down.reason
    assert down.top_doc == "egov-portal.txt"


def test_since_limits_the_window(querylog: QueryLog) -> None:
    report = build_report(querylog, since=datetime(2026, 11, 4))  # naive = UTC
    assert report.total == 5
    assert [d.day.isoformat() for d in report.days] == ["2026-11-04"]
    assert report.thumbs_down == []


def test_embedder_vectors_group_paraphrases_that_spelling_cannot(querylog: QueryLog) -> None:
    class TopicEmbedder:
        """Maps questions about the same topic to the same vector, as a good multilingual model would."""

        topics = (("жсн",), ("несудим", "не судим"), ("цон",), ("зейнет", "пенси"))

        def embed_queries(self, texts: list[str]) -> np.ndarray:
            rows = np.zeros((len(texts), len(self.topics) + 1), np.float32)
            for i, text in enumerate(texts):
                hit = [j for j, words in enumerate(self.topics) if any(w in text.lower() for w in words)]
                rows[i, hit[0] if hit else -1] = 1.0
            return rows

    querylog.log_question(
        answer_id="p1",
        channel="web",
        question="Пенсия төлемі қай күні түседі?",
        lang="kk",
        abstained=True,
        confidence=0.1,
        top_doc=None,
        latency_ms=1.0,
    )
    querylog.flush()
    by_spelling = build_report(querylog)
    by_meaning = build_report(querylog, embedder=TopicEmbedder())
    assert len(by_spelling.gaps) == 5
    assert len(by_meaning.gaps) == 4
    pension = next(g for g in by_meaning.gaps if "Зейнетақы қашан төленеді?" in [q.question for q in g.questions])
    assert len(pension.questions) == 2


def test_csv_and_png_are_written(querylog: QueryLog, tmp_path: Path) -> None:
    report = build_report(querylog)
    paths = write_csv(report, tmp_path / "out")
    assert {p.name for p in paths} == {"daily.csv", "top_questions.csv", "content_gaps.csv", "thumbs_down.csv"}
    with (tmp_path / "out" / "content_gaps.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["gap"] for r in rows if r["representative"] == "ЖСН қалай алуға болады?"} == {"1"}
    assert [r["question"] for r in rows if r["gap"] == "1"] == ["ЖСН қалай алуға болады?", "ЖСН-ды қалай алуға болады?"]
    with (tmp_path / "out" / "top_questions.csv").open(encoding="utf-8-sig") as fh:
        questions = [r["question"] for r in csv.DictReader(fh)]
    injected = next(q for q in questions if "HYPERLINK" in q)
    assert injected.startswith("'=")  # a spreadsheet shows it as text instead of running it
    everything = "".join(p.read_text(encoding="utf-8-sig") for p in paths)
    assert "880101300123" not in everything and "87011234567" not in everything
    chart = write_chart(report, tmp_path / "out" / "report.png")
    data = chart.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_empty_log_still_gives_a_report_and_a_chart(tmp_path: Path) -> None:
    with QueryLog(tmp_path / "empty.sqlite3") as log:
        report = build_report(log)
    assert report.total == 0 and report.gaps == [] and report.abstention_rate == 0.0
    assert write_chart(report, tmp_path / "empty.png").read_bytes().startswith(b"\x89PNG")
    assert all(p.read_text(encoding="utf-8-sig").count("\n") == 1 for p in write_csv(report, tmp_path / "csv"))


def test_report_is_json_ready_for_the_admin_endpoint(querylog: QueryLog) -> None:
    data = json.loads(json.dumps(build_report(querylog).to_dict()))
    assert data["total"] == len(LOG)
    assert data["days"][0] == {
        "day": "2026-11-02",
        "questions": 3,
        "abstained": 2,
        "thumbs_up": 1,
        "thumbs_down": 0,
        "abstention_rate": 0.6667,
    }
    assert data["gaps"][0]["count"] == 4 and data["gaps"][0]["representative"] == "ЖСН қалай алуға болады?"


def test_report_command_prints_and_exports(querylog: QueryLog, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("noop")(lambda: None)  # two commands, so `report` is addressed by name as in `python -m ops`
    out = tmp_path / "export"
    result = CliRunner().invoke(
        app, ["report", "--log", str(querylog.path), "--out", str(out), "--since", "2026-11-03"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Content gaps" in result.output and "Top questions" in result.output
    assert "несудимости" in result.output
    assert (out / "report.png").stat().st_size > 0 and (out / "daily.csv").stat().st_size > 0
    with (out / "daily.csv").open(encoding="utf-8-sig") as fh:
        assert [r["day"] for r in csv.DictReader(fh)] == ["2026-11-03", "2026-11-04"]


def test_report_command_without_a_log_says_where_it_looked(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["report", "--log", str(tmp_path / "none.sqlite3")], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "No query log" in result.output
    assert not (tmp_path / "none.sqlite3").exists()  # the report never creates an empty log by accident


def test_quiet_days_appear_as_zero_rows(querylog: QueryLog) -> None:
    with sqlite3.connect(querylog.path) as conn:
        conn.execute(
            "UPDATE questions SET created_at = ? WHERE answer_id = 'a0'", ((DAY1 + timedelta(days=5)).isoformat(),)
        )
    days = build_report(querylog).days
    assert [d.day.isoformat() for d in days] == [f"2026-11-0{n}" for n in range(2, 8)]
    assert [(d.questions, d.abstention_rate) for d in days[3:5]] == [(0, 0.0), (0, 0.0)]
    assert days[5].questions == 1
