"""Training speed and memory against pandas + scikit-learn on 1,000,000 leads.

Builds the X Education rows resampled to N leads (default 1,000,000; numerics get multiplicative
noise, ids are made unique), splits them 80/20 into bench/out/x1m.train.csv and .test.csv, then
runs, one after the other on the same machine:

  leadscore train --data train --validation-data test --config data/x_education.toml
  python3 bench/sklearn_train.py train test   (read_csv + reference pipeline fit + predict_proba)

and prints both wall times, the ratio, both validation ROC AUCs and both peak RSS figures.

    python3 bench/speed_train.py [N]
"""
import json
import sys

import numpy as np
import pandas as pd

from common import DATASETS, OUT, BINARY, ROOT, build_leadscore, machine, median_of_runs, require_datasets, run_measured


def build(n):
    train_path, test_path = OUT / f"x{n}.train.csv", OUT / f"x{n}.test.csv"
    if train_path.is_file() and test_path.is_file():
        return train_path, test_path
    rng = np.random.default_rng(0)
    base = pd.read_csv(DATASETS / "leads_x_education.csv")
    rows = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    for column in ["TotalVisits", "Total Time Spent on Website", "Page Views Per Visit"]:
        noisy = rows[column] * rng.lognormal(0.0, 0.1, n)
        rows[column] = noisy.round(0 if column != "Page Views Per Visit" else 2)
    rows["Prospect ID"] = [f"P{i:07d}" for i in range(n)]
    rows["Lead Number"] = np.arange(1, n + 1)
    split = rng.random(n) < 0.8
    OUT.mkdir(parents=True, exist_ok=True)
    rows[split].to_csv(train_path, index=False)
    rows[~split].to_csv(test_path, index=False)
    return train_path, test_path


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    require_datasets()
    build_leadscore()
    train, test = build(n)
    model = OUT / f"x{n}.lsm"
    ls_seconds, ls_rss, *_ = median_of_runs(lambda: run_measured([
        BINARY, "train", "--data", train, "--validation-data", test, "--config", ROOT / "data" / "x_education.toml", "--out", model,
    ]), [model])
    out = json.loads(__import__("subprocess").run([BINARY, "inspect", model, "--json"], capture_output=True, text=True, check=True).stdout)
    ls_auc = out["artifact"]["training"]["validation"]["roc_auc"]
    sk_seconds, sk_rss, sk_out, _ = median_of_runs(
        lambda: run_measured([sys.executable, ROOT / "bench" / "sklearn_train.py", train, test], cwd=ROOT / "bench"))
    sk = json.loads(sk_out.strip().splitlines()[-1])
    print(f"machine: {machine()}")
    print(f"{n:,} leads (80 % train, 20 % validation), X Education columns without the sales-filled ones; median of 3 runs")
    print(f"{'':24} {'seconds':>8} {'peak RSS MiB':>13} {'ROC AUC':>8}")
    print(f"{'pandas + scikit-learn':24} {sk_seconds:8.1f} {sk_rss:13.0f} {sk['roc_auc']:8.4f}")
    print(f"{'leadscore train':24} {ls_seconds:8.1f} {ls_rss:13.0f} {ls_auc:8.4f}")
    print(f"speed-up {sk_seconds / ls_seconds:.1f}x (target ≥ 10x); ROC AUC difference {ls_auc - sk['roc_auc']:+.4f} (target: not below −0.002); "
          f"memory {ls_rss / sk_rss:.2f}x of the baseline")


if __name__ == "__main__":
    main()
