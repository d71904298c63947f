"""Writes tests/fixtures/metrics_sklearn.json: outcomes, scores and scikit-learn's metrics on
them, for the Rust tests in tests/metrics_sklearn.rs. Rerun after changing the cases:

    python3 bench/make_metric_fixture.py
"""
import json

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score, roc_curve

from common import ROOT


def case(name, y, p):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    return {
        "name": name,
        "outcome": y.tolist(),
        "probability": p.tolist(),
        "roc_auc": roc_auc_score(y, p),
        "average_precision": average_precision_score(y, p),
        "log_loss": log_loss(y, p),
        "brier": brier_score_loss(y, p),
        "reliability": calibration(y, p),
        "ks": ks(y, p),
    }


def calibration(y, p):
    """calibration_curve with 10 uniform bins, plus the lead count of each non-empty bin."""
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    bins = np.searchsorted(np.linspace(0.0, 1.0, 11)[1:-1], p)
    counts = np.bincount(bins, minlength=10)
    return {"observed": observed.tolist(), "predicted": predicted.tolist(), "leads": counts[counts > 0].tolist()}


def ks(y, p):
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


rng = np.random.default_rng(42)
cases = []
# Continuous scores, 10 % converters.
y = rng.random(2000) < 0.1
p = 1 / (1 + np.exp(-(rng.normal(size=2000) + 1.5 * y - 2.2)))
cases.append(case("continuous", y, p))
# Heavy ties: scores rounded to one decimal, as point-like scores are.
y = rng.random(1500) < 0.35
p = np.clip(np.round(rng.beta(2, 4, 1500) + 0.2 * y, 1), 0.01, 0.99)
cases.append(case("ties", y, p))
# Tiny, hand-checkable.
cases.append(case("tiny", [0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4]))

path = ROOT / "tests" / "fixtures" / "metrics_sklearn.json"
path.write_text(json.dumps({"generator": "bench/make_metric_fixture.py", "cases": cases}))
print(f"wrote {path}")
