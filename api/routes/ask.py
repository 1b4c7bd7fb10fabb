"""POST /ask: the answer object of the contract, plus an answer id, titles and viewer links."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request

from api.deps import MetricsDep, QueryLogDep, ServiceDep, SettingsDep, answer_cache, rate_limited
from api.links import citation_out
from api.openapi_links import ASK_LINKS
from api.schemas import AskRequest, AskResponse, SpanOut, TargetAnswerOut, TargetRowOut
from app.ask import ask_question
from app.cache import AnswerCache
from app.links import doc_titles
from app.shared import SharedState
from index.models import Answer

router = APIRouter(tags=["answers"], dependencies=[Depends(rate_limited)])


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={200: {"links": ASK_LINKS}, 422: {"description": "Empty, too long or invalid question"}},
)
def ask(
    body: AskRequest,
    request: Request,
    service: ServiceDep,
    querylog: QueryLogDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> AskResponse:
    """Answer a question from the documents, with cited passages, or abstain."""
    version = getattr(service, "index_version", None)  # stamped by app.live on the service it swapped in
    cache = ServingAnswers(request.app.state.shared, answer_cache(request, service), version)
    asked = ask_question(
        service, body.question, channel="web", querylog=querylog, top_k=body.top_k, lang=body.lang, metrics=metrics,
        cache=cache,
    )
    answer = asked.answer
    names = doc_titles(service, body.lang or asked.lang)
    return AskResponse(
        answer_id=asked.answer_id,
        abstained=answer.abstained,
        answer=SpanOut(**answer.answer.to_dict()) if answer.answer else None,
        citations=[citation_out(c, names, request, settings) for c in answer.citations],
        confidence=round(float(answer.confidence), 4),
        curated=answer.curated,
        abstain_reason=answer.abstain_reason,
        index_version=asked.index_version,
        target=target_out(getattr(answer, "target", None)),
    )


@dataclass(frozen=True)
class ServingAnswers:
    """The answer cache of the serving index: Redis when every replica shares it, else this process's own."""

    shared: SharedState
    local: AnswerCache
    version: str | None

    def get(self, question: str, top_k: int | None) -> Answer | None:
        return self.shared.get_answer(self.local, self.version, question, top_k)

    def put(self, question: str, top_k: int | None, answer: Answer) -> None:
        self.shared.put_answer(self.local, self.version, question, top_k, answer)


def target_out(match: object) -> TargetAnswerOut | None:
    """The target rows an answer carries (`Answer.target`, a `TargetMatch`), when the pipeline set one."""
    if match is None:
        return None
    rows = [TargetRowOut(**{k: getattr(r, k) for k in TargetRowOut.model_fields}) for r in match.rows]
    return TargetAnswerOut(rows=rows, label=match.label, doc=match.doc, start=match.start, end=match.end)
