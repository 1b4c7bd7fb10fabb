"""Readable terminal rendering of an Answer (the CLI's `ask`)."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from .models import Answer

_WHY = {
    "no_passages": ": nothing in them matches it",
    "unknown_figure": ": it names a year or code they never mention",
    "low_confidence": ": no passage is close enough to it",
    "no_amount": ": no passage gives a figure in the unit it asks for",
    "concept_missing": ": the closest passages are on its topic but do not say what it asks",
}


def print_answer(console: Console, answer: Answer) -> None:
    if answer.abstained or answer.answer is None:
        why = _WHY.get(answer.abstain_reason or "", "")
        console.print(Panel(f"The documents do not answer this question{why}. Closest passages:", style="yellow"))
    else:
        console.print(Panel(Text(answer.answer.text, style="bold"), title="Answer", subtitle=answer.answer.doc))
    for n, c in enumerate(answer.citations, 1):
        body = Text(c.text if len(c.text) <= 600 else c.text[:600] + "…")
        if answer.answer and answer.answer.doc == c.doc and c.start <= answer.answer.start < c.end:
            a = answer.answer.start - c.start
            body.stylize("bold yellow", a, min(a + len(answer.answer.text), len(body)))
        for s, e in c.matches:
            if e <= len(body):
                body.stylize("underline", s, e)
        console.print(f"[bold]{n}.[/] {c.title} [dim]› {c.section.split(' › ', 1)[-1]} · {c.doc} "
                      f"[{c.start}:{c.end}] · {c.score:.3f}[/]")
        console.print(body)
        console.print()
