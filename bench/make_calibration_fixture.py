"""Writes tests/fixtures/calibration_sklearn.json: log-odds, outcomes, and what scikit-learn's
Platt scaling (CalibratedClassifierCV's sigmoid: Platt's targets pulled in from 0 and 1, fitted
by Newton's method; and a plain LogisticRegression on the log-odds, no penalty) and IsotonicRegression
(out_of_bounds="clip") predict, and the blend (LogisticRegression on [log-odds, rule points]),
for tests/calibration_sklearn.rs.

    python3 bench/make_calibration_fixture.py
"""
import json

import numpy as np
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from common import ROOT

rng = np.random.default_rng(7)
n = 3000
z = rng.normal(-1.0, 1.5, n)
# Outcomes from a miscalibrated truth: the model is over-confident.
y = rng.random(n) < 1 / (1 + np.exp(-(0.6 * z - 0.3)))
# Ties, as rounded scores have them.
z[:300] = np.round(z[:300], 1)
probe = np.linspace(-6, 4, 41)

platt = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(z.reshape(-1, 1), y)
# P = 1 / (1 + exp(a z + b)) with Platt's smoothed targets, as CalibratedClassifierCV fits it.
a, b = _sigmoid_calibration(z, y)
p = 1 / (1 + np.exp(-z))
iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, y)
probe_p = 1 / (1 + np.exp(-probe))

# Rule points: partly informative, on their own scale.
points = np.round(rng.normal(20, 15, n) + 10 * y)
blend = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(np.column_stack([z, points]), y)

fixture = {
    "generator": "bench/make_calibration_fixture.py",
    "z": z.tolist(),
    "outcome": y.astype(int).tolist(),
    "probe_z": probe.tolist(),
    "platt_slope": float(platt.coef_[0][0]),
    "platt_intercept": float(platt.intercept_[0]),
    "platt_probe": platt.predict_proba(probe.reshape(-1, 1))[:, 1].tolist(),
    "platt_smoothed_slope": float(-a),
    "platt_smoothed_intercept": float(-b),
    "platt_smoothed_probe": (1 / (1 + np.exp(a * probe + b))).tolist(),
    "isotonic_probe": iso.predict(probe_p).tolist(),
    "isotonic_train": iso.predict(p).tolist(),
    "points": points.tolist(),
    "blend_model_weight": float(blend.coef_[0][0]),
    "blend_points_weight": float(blend.coef_[0][1]),
    "blend_intercept": float(blend.intercept_[0]),
}
path = ROOT / "tests" / "fixtures" / "calibration_sklearn.json"
path.write_text(json.dumps(fixture))
print(f"wrote {path}")
