"""POST /feedback: one 👍/👎 per answer, changeable (the last rating counts)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import MetricsDep, QueryLogDep, rate_limited
from api.schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(tags=["feedback"], dependencies=[Depends(rate_limited)])


@router.post("/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, querylog: QueryLogDep, metrics: MetricsDep) -> FeedbackResponse:
    """Rate an answer by its `answer_id`; rating again replaces the earlier rating."""
    querylog.set_feedback(answer_id=body.answer_id, rating=body.rating, reason=body.reason or None, channel="web")
    metrics.feedback.labels(str(body.rating)).inc()
    return FeedbackResponse(answer_id=body.answer_id, rating=body.rating)
