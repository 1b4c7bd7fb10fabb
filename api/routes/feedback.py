"""POST /feedback: one 👍/👎 per answer, changeable (the last rating counts)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from api.deps import MetricsDep, QueryLogDep, rate_limited
from api.schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(tags=["feedback"], dependencies=[Depends(rate_limited)])

STORE_WAIT_SECONDS = 3.0  # a rating is acknowledged once stored (database or fsynced spool), or refused


@router.post(
    "/feedback",
    response_model=FeedbackResponse,
    responses={503: {"description": "The rating could not be stored now (database and local disk refused it)"}},
)
def feedback(body: FeedbackRequest, querylog: QueryLogDep, metrics: MetricsDep) -> FeedbackResponse:
    """Rate an answer by its `answer_id`; rating again replaces the earlier rating.

    200 means the rating is stored (a replica killed right after cannot lose it); 503 + Retry-After means it could
    not be stored in time: sending it again is safe (one rating per answer).
    """
    stored = querylog.set_feedback(
        answer_id=body.answer_id, rating=body.rating, reason=body.reason or None, channel="web",
        wait=STORE_WAIT_SECONDS,
    )  # fmt: skip
    if not stored:
        raise HTTPException(503, "The rating could not be stored now; please send it again.", {"Retry-After": "10"})
    metrics.feedback.labels(str(body.rating)).inc()
    return FeedbackResponse(answer_id=body.answer_id, rating=body.rating)
