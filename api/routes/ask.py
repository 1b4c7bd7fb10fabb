"""POST /ask: the answer object of the contract, plus an answer id, titles and viewer links."""

from __future__ import annotations

import time
import uuid

from fastapi import APIRouter, Depends, Request

from api.deps import MetricsDep, QueryLogDep, ServiceDep, SettingsDep, answer_cache, rate_limited
from api.links import citation_out, guess_lang, titles
from api.schemas import AskRequest, AskResponse, SpanOut, TargetAnswerOut, TargetRowOut
from index.errors import BadQuestionError

router = APIRouter(tags=["answers"], dependencies=[Depends(rate_limited)])


@router.post(
    "/ask", response_model=AskResponse, responses={422: {"description": "Empty, too long or invalid question"}}
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
    limit = service.settings.max_question_chars
    if len(body.question) > limit:
        raise BadQuestionError(f"The question is too long: {len(body.question)} characters (limit {limit}).")
    started = time.perf_counter()
    version = getattr(service, "index_version", None)  # stamped by api.live on the service it swapped in
    cache, shared = answer_cache(request, service), request.app.state.shared
    answer = shared.get_answer(cache, version, body.question, body.top_k)
    if answer is None:
        answer = service.ask(body.question, top_k=body.top_k)
        shared.put_answer(cache, version, body.question, body.top_k, answer)
    else:
        metrics.cache_hits.inc()
    latency_ms = (time.perf_counter() - started) * 1000
    answer_id = uuid.uuid4().hex
    lang = body.lang or guess_lang(body.question)
    names = titles(service, lang or "kk")
    metrics.answers.inc()
    if answer.abstained:
        metrics.abstentions.labels(answer.abstain_reason or "unknown").inc()
    querylog.log_question(
        answer_id=answer_id,
        channel="web",
        question=body.question,
        lang=lang,
        abstained=answer.abstained,
        confidence=answer.confidence,
        top_doc=answer.citations[0].doc if answer.citations else None,
        latency_ms=latency_ms,
        curated=answer.curated,
        index_version=version,
    )
    return AskResponse(
        answer_id=answer_id,
        abstained=answer.abstained,
        answer=SpanOut(**answer.answer.to_dict()) if answer.answer else None,
        citations=[citation_out(c, names, request, settings) for c in answer.citations],
        confidence=round(float(answer.confidence), 4),
        curated=answer.curated,
        abstain_reason=answer.abstain_reason,
        index_version=version,
        target=target_out(getattr(answer, "target", None)),
    )


def target_out(match: object) -> TargetAnswerOut | None:
    """The target rows an answer carries (`Answer.target`, a `TargetMatch`), when the pipeline set one."""
    if match is None:
        return None
    rows = [TargetRowOut(**{k: getattr(r, k) for k in TargetRowOut.model_fields}) for r in match.rows]
    return TargetAnswerOut(rows=rows, label=match.label, doc=match.doc, start=match.start, end=match.end)
