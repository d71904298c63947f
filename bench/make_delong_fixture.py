"""Writes tests/fixtures/delong.json: outcomes, two scores of the same leads, and DeLong's
paired comparison of their ROC AUCs computed here from the definition (every converter against
every non-converter, O(m·n)), for the Rust test in tests/compare.rs. Rerun after changing the
cases:

    python3 bench/make_delong_fixture.py

The reference follows DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or
more correlated receiver operating characteristic curves: a nonparametric approach",
Biometrics 44(3): for converter i and non-converter j, psi = 1 if x_i > y_j, 1/2 if equal, 0
if below; V10_i = mean_j psi, V01_j = mean_i psi; S10 and S01 their sample covariance
matrices (n - 1) across the two scores; var(AUC_b - AUC_a) = c' (S10/m + S01/n) c with
c = (-1, 1). The p-value is two-sided from the normal distribution (scipy).
"""
import json

import numpy as np
from scipy.stats import norm

from common import ROOT


def psi(x, y):
    return (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])


def delong(y, a, b):
    y = np.asarray(y, dtype=bool)
    v10, v01 = [], []
    for s in (np.asarray(a, float), np.asarray(b, float)):
        p = psi(s[y], s[~y])
        v10.append(p.mean(axis=1))
        v01.append(p.mean(axis=0))
    m, n = y.sum(), (~y).sum()
    s10 = np.cov(np.vstack(v10))
    s01 = np.cov(np.vstack(v01))
    s = s10 / m + s01 / n
    c = np.array([-1.0, 1.0])
    variance = float(c @ s @ c)
    auc = [float(v.mean()) for v in v10]
    diff = auc[1] - auc[0]
    half = norm.ppf(0.975) * np.sqrt(variance)
    p = float(2 * norm.sf(abs(diff) / np.sqrt(variance))) if variance > 0 else 1.0
    return {"auc_a": auc[0], "auc_b": auc[1], "difference": diff, "variance": variance,
            "low": diff - half, "high": diff + half, "p_value": p}


def case(name, y, a, b):
    return {"name": name, "outcome": [int(v) for v in y], "a": [float(v) for v in a],
            "b": [float(v) for v in b], **delong(y, a, b)}


def main():
    rng = np.random.default_rng(19)
    cases = []
    # Two correlated scores of 400 leads, the second a little better.
    n = 400
    signal = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(signal - 1.2)))
    a = signal + rng.normal(scale=1.0, size=n)
    b = signal + rng.normal(scale=0.6, size=n)
    cases.append(case("correlated", y, a, b))
    # The same, as 0-100 scores with many ties.
    to_score = lambda s: np.round(100 / (1 + np.exp(-(s - 1.2))))
    cases.append(case("0-100 scores with ties", y, to_score(a), to_score(b)))
    # Few leads, a handful of converters.
    y = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0], dtype=bool)
    a = np.array([0.9, 0.3, 0.4, 0.35, 0.1, 0.6, 0.2, 0.8, 0.3, 0.5, 0.7, 0.2])
    b = np.array([0.7, 0.3, 0.6, 0.5, 0.2, 0.4, 0.2, 0.9, 0.1, 0.5, 0.8, 0.3])
    cases.append(case("twelve leads", y, a, b))
    path = ROOT / "tests" / "fixtures" / "delong.json"
    path.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
