"""Accuracy on the small data real teams have: leadscore against a scikit-learn notebook.

X Education (without the sales-filled columns) and bank marketing (without `duration`): one
stratified 20 % test split (random_state=42); from the other 80 %, stratified subsamples of
1,000, 2,000 and 5,000 training leads (five seeds each), and the whole 80 % (of five test
splits, random_state 42-46). On each:

  leadscore       `train` with its defaults on the training leads, `score` on the test leads:
                  ROC AUC of the 0-100 score (as people rank by it) and of its probability, ECE
  scikit-learn    the reference pipeline of ../shared/datasets/README.md (C = 1) fitted on all the
                  training leads; CalibratedClassifierCV(cv=5) of it for calibration;
                  HistGradientBoostingClassifier on the same inputs, for reference

Targets: leadscore's score ROC AUC ≥ scikit-learn's − 0.002 at every size (mean of the seeds),
and its ECE no worse than CalibratedClassifierCV's.

    python3 bench/small_data.py [--sizes 1000,2000] [--seeds 5] [--binary PATH]
"""
import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from common import BINARY, DATASETS, X_EDUCATION_LEAKY, build_leadscore, machine, reference_pipeline, require_datasets, run_measured

CASES = [
    ("X Education", "leads_x_education.csv", ",", "Converted", "Prospect ID", ["Lead Number", *X_EDUCATION_LEAKY]),
    ("Bank marketing", "bank_marketing.csv", ";", "y", None, ["duration"]),
]
BINS = 10


def ece(y, p):
    """Expected calibration error over 10 equal-count bins of the sorted probabilities, as
    leadscore's report computes it (metrics::expected_calibration_error)."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    n, total = len(p), 0.0
    for b in range(BINS):
        members = order[b * n // BINS:(b + 1) * n // BINS]
        if len(members):
            total += len(members) / n * abs(p[members].mean() - y[members].mean())
    return total


def leadscore(binary, train, test, target, id_column, drop, sep, work, extra=""):
    train_path, test_path = work / "train.csv", work / "test.csv"
    train.to_csv(train_path, index=False, sep=sep)
    test.to_csv(test_path, index=False, sep=sep)
    config = work / "leadscore.toml"
    excluded = ", ".join(f'"{c}"' for c in drop)
    config.write_text(f'[data]\ntarget = "{target}"\n' + (f'id = "{id_column}"\n' if id_column else "")
                      + extra.replace("\\n", "\n").replace("[features]\n", f"[features]\nexclude = [{excluded}]\n")
                      + ("" if "[features]" in extra else f"[features]\nexclude = [{excluded}]\n"))
    model, scores = work / "model.lsm", work / "scores.csv"
    run_measured([binary, "train", "--data", train_path, "--config", config, "--out", model])
    run_measured([binary, "score", "--model", model, "--data", test_path, "--out", scores])
    scored = pd.read_csv(scores)
    return scored["score"].to_numpy(), scored["probability"].to_numpy()


def scikit_learn(train, test, target, drop, y_train, y_test):
    X_train, pipeline = reference_pipeline(train, target, drop)
    X_test, _ = reference_pipeline(test, target, drop)
    pipeline.fit(X_train, y_train)
    p = pipeline.predict_proba(X_test)[:, 1]
    _, for_calibration = reference_pipeline(train, target, drop)
    calibrated = CalibratedClassifierCV(for_calibration, cv=5).fit(X_train, y_train)
    p_calibrated = calibrated.predict_proba(X_test)[:, 1]
    pre = pipeline.named_steps["pre"]
    boosted = HistGradientBoostingClassifier(random_state=0).fit(pre.transform(X_train).toarray() if hasattr(pre.transform(X_train), "toarray") else pre.transform(X_train), y_train)
    X_test_pre = pre.transform(X_test)
    p_boosted = boosted.predict_proba(X_test_pre.toarray() if hasattr(X_test_pre, "toarray") else X_test_pre)[:, 1]
    return p, p_calibrated, p_boosted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,2000,5000,all")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--binary", default=str(BINARY))
    parser.add_argument("--test-split", choices=["fixed", "per-seed"], default="fixed",
                        help="fixed: every seed's subsample is measured on the one test split of random_state 42; "
                             "per-seed: seed k draws its own test split (random_state 42 + k) and its subsample from the rest")
    parser.add_argument("--config-extra", default="", help="TOML appended to leadscore's config (\\n for line breaks), to try settings")
    args = parser.parse_args()
    require_datasets()
    if args.binary == str(BINARY):
        build_leadscore()
    sizes = args.sizes.split(",")
    print(f"machine: {machine()}; leadscore {args.binary}; {args.seeds} seeds, test split {args.test_split}")
    print(f"{'data':15} {'train':>6} | {'ROC AUC: score':>14} {'probability':>11} {'sklearn LR':>10} {'diff':>7} {'HGB':>6} "
          f"| {'ECE: leadscore':>14} {'sklearn CCCV':>12} {'paired diff ± s.e.':>19}")
    failures = []
    for name, file, sep, target, id_column, drop in CASES:
        frame = pd.read_csv(DATASETS / file, sep=sep)
        y = frame[target].map(lambda v: 1 if str(v).strip().lower() in ("1", "yes") else 0)
        drop_all = drop + ([id_column] if id_column else [])
        for size in sizes:
            rows = []
            for seed in range(args.seeds):
                # Subsamples share one test split; the whole data is measured on a test split per seed.
                pool, test = train_test_split(frame, test_size=0.2, stratify=y, random_state=42 + (seed if size == "all" or args.test_split == "per-seed" else 0))
                y_test = y.loc[test.index]
                if size == "all":
                    train = pool
                else:
                    train, _ = train_test_split(pool, train_size=int(size), stratify=y.loc[pool.index], random_state=seed)
                y_train = y.loc[train.index]
                with tempfile.TemporaryDirectory() as work:
                    score, probability = leadscore(args.binary, train, test, target, id_column, drop, sep, Path(work), args.config_extra)
                p, p_calibrated, p_boosted = scikit_learn(train, test, target, drop_all, y_train, y_test)
                rows.append((roc_auc_score(y_test, score), roc_auc_score(y_test, probability), roc_auc_score(y_test, p),
                             roc_auc_score(y_test, p_boosted), ece(y_test, probability), ece(y_test, p_calibrated)))
            mean = [statistics.mean(column) for column in zip(*rows)]
            diff = mean[0] - mean[2]
            # The ECE difference seed by seed (both on the same test leads), and its standard error.
            ece_diffs = [row[4] - row[5] for row in rows]
            ece_se = statistics.stdev(ece_diffs) / len(ece_diffs) ** 0.5 if len(ece_diffs) > 1 else float("nan")
            print(f"{name:15} {size:>6} | {mean[0]:14.4f} {mean[1]:11.4f} {mean[2]:10.4f} {diff:+7.4f} {mean[3]:6.4f} "
                  f"| {mean[4]:14.4f} {mean[5]:12.4f} {statistics.mean(ece_diffs):+10.4f} ± {ece_se:.4f}")
            if diff < -0.002:
                failures.append(f"{name} at {size}: ROC AUC {diff:+.4f} against scikit-learn")
            if mean[4] > mean[5] + 1e-9:
                failures.append(f"{name} at {size}: ECE {mean[4]:.4f} against CalibratedClassifierCV's {mean[5]:.4f}")
    print("targets met" if not failures else "targets missed:\n  " + "\n  ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
