"""Operator report over the query/feedback log: what citizens ask, and where the documents fail them.

`build_report` is pure over a `QueryLog` (the API's `GET /admin/report` serves `Report.to_dict()`); `write_csv` and
`write_chart` export it; `python -m ops report` is its CLI (`ops.report_cli`).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ops.gaps import QueryEmbedder, group_similar, question_key
from ops.querylog import QueryLog
from ops.redact import redact

TOP_QUESTIONS = 20
MAX_GAP_QUESTIONS = 2000  # distinct unanswered questions clustered (most asked first); bounds memory and time


@dataclass(frozen=True)
class DayStats:
    day: date
    questions: int
    abstained: int
    thumbs_up: int = 0
    thumbs_down: int = 0

    @property
    def abstention_rate(self) -> float:
        return self.abstained / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class QuestionCount:
    question: str  # the most common spelling among those counted together
    count: int
    abstained: int


@dataclass(frozen=True)
class Gap:
    """Unanswered questions that ask for the same thing: a passage the corpus lacks (or cannot be found)."""

    questions: list[QuestionCount]  # most asked first

    @property
    def count(self) -> int:
        return sum(q.count for q in self.questions)

    @property
    def representative(self) -> str:
        return self.questions[0].question


@dataclass(frozen=True)
class ThumbsDown:
    created_at: datetime
    answer_id: str
    channel: str
    question: str | None  # None when the question is outside the report window or was never logged
    reason: str | None
    top_doc: str | None


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    since: datetime | None
    total: int
    abstained: int
    thumbs_up: int
    thumbs_down_count: int
    days: list[DayStats]
    channels: dict[str, int]
    top_questions: list[QuestionCount]
    gaps: list[Gap]
    thumbs_down: list[ThumbsDown] = field(default_factory=list)  # newest first
    gaps_truncated: int = 0  # distinct unanswered questions beyond MAX_GAP_QUESTIONS, not clustered

    @property
    def abstention_rate(self) -> float:
        return self.abstained / self.total if self.total else 0.0

    def to_dict(self) -> dict:
        """JSON-ready form (dates as ISO strings) for the admin endpoint."""
        data = asdict(self)
        data["abstention_rate"] = round(self.abstention_rate, 4)
        for day, stats in zip(data["days"], self.days, strict=True):
            day["abstention_rate"] = round(stats.abstention_rate, 4)
        for gap, source in zip(data["gaps"], self.gaps, strict=True):
            gap["count"] = source.count
            gap["representative"] = source.representative
        return _iso(data)


def _iso(value: object) -> object:
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _every_day(days: Iterable[date]) -> list[date]:
    days = sorted(days)
    if not days:
        return []
    return [days[0] + timedelta(days=n) for n in range((days[-1] - days[0]).days + 1)]


def _count_questions(texts: list[tuple[str, bool]]) -> list[QuestionCount]:
    """Count (question, abstained) pairs under `question_key`, most asked first (ties: first asked first)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    abstained: Counter[str] = Counter()
    for text, was_abstained in texts:
        key = question_key(text) or text.strip()
        spellings[key][text.strip()] += 1
        abstained[key] += was_abstained
    counts = [
        QuestionCount(forms.most_common(1)[0][0], sum(forms.values()), abstained[key])
        for key, forms in spellings.items()
    ]
    return sorted(counts, key=lambda q: -q.count)  # stable: insertion (first asked) order breaks ties


def build_report(
    querylog: QueryLog,
    since: datetime | None = None,
    embedder: QueryEmbedder | None = None,
    *,
    top: int = TOP_QUESTIONS,
    gap_similarity: float | None = None,
) -> Report:
    """Summarise the log from `since` (UTC; naive means UTC) on.

    Unanswered questions are grouped with the embedder's vectors when one is given (paraphrases group), else by
    character n-gram TF-IDF (spelling and script variants group). Text is redacted again on the way out: the log
    stores it redacted already, but a report is exported and mailed around, so it must not rely on that alone.
    """
    since = _utc(since) if since else None
    records = querylog.questions(since=since)
    feedback = [f for f in querylog.feedback() if since is None or _utc(f.created_at) >= since]
    by_answer = {r.answer_id: r for r in records}

    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for r in records:
        stats = per_day[_utc(r.created_at).date()]
        stats["questions"] += 1
        stats["abstained"] += r.abstained
    for f in feedback:
        per_day[_utc(f.created_at).date()]["thumbs_up" if f.rating > 0 else "thumbs_down"] += 1
    days = [
        DayStats(day, **{k: per_day[day][k] for k in DayStats.__dataclass_fields__ if k != "day"})
        for day in _every_day(per_day.keys())  # quiet days stay visible as zeros (an outage looks like one)
    ]

    questions = [(redact(r.question), r.abstained) for r in records]
    unanswered = _count_questions([q for q in questions if q[1]])
    clustered = unanswered[:MAX_GAP_QUESTIONS]
    groups = group_similar([q.question for q in clustered], embedder=embedder, similarity=gap_similarity)
    gaps = sorted((Gap([clustered[i] for i in g]) for g in groups), key=lambda g: -g.count)

    downs = []
    for f in sorted(feedback, key=lambda f: f.created_at, reverse=True):
        if f.rating >= 0:
            continue
        asked = by_answer.get(f.answer_id)
        downs.append(
            ThumbsDown(
                created_at=_utc(f.created_at),
                answer_id=f.answer_id,
                channel=f.channel,
                question=redact(asked.question) if asked else None,
                reason=redact(f.reason) if f.reason else None,
                top_doc=asked.top_doc if asked else None,
            )
        )
    return Report(
        generated_at=datetime.now(UTC),
        since=since,
        total=len(records),
        abstained=sum(r.abstained for r in records),
        thumbs_up=sum(f.rating > 0 for f in feedback),
        thumbs_down_count=len(downs),
        days=days,
        channels=dict(Counter(r.channel for r in records).most_common()),
        top_questions=_count_questions(questions)[:top],
        gaps=gaps,
        thumbs_down=downs,
        gaps_truncated=max(0, len(unanswered) - MAX_GAP_QUESTIONS),
    )


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas: a citizen's question must never execute when an operator opens the CSV."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    # utf-8-sig: spreadsheet programs read Cyrillic CSV correctly only with the BOM
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)
    return path


def write_csv(report: Report, out_dir: Path) -> list[Path]:
    """One CSV per table (daily, top questions, content gaps, thumbs-down); returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    daily = [
        [d.day.isoformat(), d.questions, d.abstained, f"{d.abstention_rate:.4f}", d.thumbs_up, d.thumbs_down]
        for d in report.days
    ]
    top = [[q.question, q.count, q.abstained] for q in report.top_questions]
    gaps = [
        [number, gap.count, gap.representative, q.question, q.count]
        for number, gap in enumerate(report.gaps, start=1)
        for q in gap.questions
    ]
    downs = [
        [d.created_at.isoformat(), d.answer_id, d.channel, d.question or "", d.reason or "", d.top_doc or ""]
        for d in report.thumbs_down
    ]
    return [
        _write(
            out_dir / "daily.csv",
            ["day", "questions", "abstained", "abstention_rate", "thumbs_up", "thumbs_down"],
            daily,
        ),
        _write(out_dir / "top_questions.csv", ["question", "count", "abstained"], top),
        _write(out_dir / "content_gaps.csv", ["gap", "gap_count", "representative", "question", "count"], gaps),
        _write(
            out_dir / "thumbs_down.csv", ["created_at", "answer_id", "channel", "question", "reason", "top_doc"], downs
        ),
    ]


def write_chart(report: Report, path: Path) -> Path:
    """PNG of questions per day (bars) and abstention rate (line), drawn without pyplot's global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(10, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    volume = figure.add_subplot()
    volume.set_title("Jauap: questions per day and abstention rate")
    if report.days:
        days = [d.day for d in report.days]
        volume.bar(days, [d.questions for d in report.days], color="#4c78a8", label="questions")
        volume.set_ylabel("questions")
        rate = volume.twinx()
        rate.plot(
            days, [100 * d.abstention_rate for d in report.days], color="#e45756", marker="o", label="abstained, %"
        )
        rate.set_ylim(0, 100)
        rate.set_ylabel("abstained, %")
        figure.autofmt_xdate()
        handles = volume.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
        volume.legend(handles=handles, loc="upper left")
    else:
        volume.text(0.5, 0.5, "no questions in this period", ha="center", va="center", transform=volume.transAxes)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path

