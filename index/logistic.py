"""A logistic regression on standardised features with a threshold, stored as plain lists in a model file: the
answer model's abstention (`learned`) and the target gate (`target_gate`) are both one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class Logistic:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # the caller's cut on `probability`

    def probability(self, x: np.ndarray) -> float:
        z = float(((x[0] - self.mean) / self.scale) @ self.coef + self.intercept)
        return 1 / (1 + np.exp(-z))

    def to_dict(self) -> dict:
        return {
            "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
            "intercept": self.intercept, "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Logistic:
        arr = {k: np.array(d[k], np.float64) for k in ("mean", "scale", "coef")}
        return cls(**arr, intercept=float(d["intercept"]), threshold=float(d["threshold"]))


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 0.5) -> Logistic:
    """Fitted on standardised `x` (threshold 0: the caller sets it); a constant when `y` has one class (a fold of a
    tiny set)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    if len(np.unique(y)) < 2:
        p = float(np.clip(y.mean() if len(y) else 0.5, 0.01, 0.99))
        return Logistic(mean, scale, np.zeros(x.shape[1]), float(np.log(p / (1 - p))), 0.0)
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    return Logistic(mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), 0.0)
