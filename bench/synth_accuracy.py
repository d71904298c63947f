"""How close the model gets to the planted truth of `leadscore synth` data.

Generates N synthetic leads (default 200,000) with events, splits the leads 80/20 (stratified,
random_state=42), trains on the 80 % with the events and validates on the 20 %, then prints the
model's validation ROC AUC beside the ROC AUC of the planted true probabilities on the same
leads. Target: within 0.01.

    python3 bench/synth_accuracy.py [N]
"""
import sys

import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from common import OUT, BINARY, ROOT, build_leadscore, inspect_json, machine, run_measured


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    build_leadscore()
    data = OUT / f"synth-{n}"
    run_measured([BINARY, "synth", "--leads", n, "--seed", 7, "--out", data])
    leads = pd.read_csv(data / "leads.csv")
    truth = pd.read_csv(data / "truth.csv")
    train, test = train_test_split(leads, test_size=0.2, stratify=leads["converted"], random_state=42)
    train.to_csv(data / "train.csv", index=False)
    test.to_csv(data / "test.csv", index=False)
    model = data / "model.lsm"
    seconds, rss, _, _ = run_measured([
        BINARY, "train", "--data", data / "train.csv", "--events", data / "events.csv",
        "--validation-data", data / "test.csv", "--config", ROOT / "data" / "synth.toml", "--out", model,
    ])
    model_auc = inspect_json(model)["artifact"]["training"]["validation"]["roc_auc"]
    true_p = test[["lead_id", "converted"]].merge(truth, on="lead_id")
    truth_auc = roc_auc_score(true_p["converted"], true_p["true_probability"])
    print(f"machine: {machine()}")
    print(f"{n:,} synthetic leads, {len(test):,} validation leads, training took {seconds:.1f} s, peak RSS {rss:.0f} MiB")
    print(f"  model ROC AUC        {model_auc:.4f}")
    print(f"  planted truth ROC AUC {truth_auc:.4f}")
    print(f"  gap                  {truth_auc - model_auc:+.4f} (target ≤ 0.01)")
    return 0 if truth_auc - model_auc <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
