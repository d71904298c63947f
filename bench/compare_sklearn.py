"""Accuracy against scikit-learn on the public lead data, on the same split.

For X Education (without the sales-filled columns) and bank marketing (without `duration`):
a stratified 80/20 split with random_state=42 is written to bench/out/, scikit-learn's reference
pipeline (../shared/datasets/README.md) is fitted on the 80 % and leadscore is trained on the
same 80 % with `--validation-data` on the same 20 %. Both ROC AUCs are printed, for leadscore
with the same preprocessing (C = 1, no log transform) and with its defaults (C by
cross-validation, log1p for skewed counts).

    python3 bench/compare_sklearn.py
"""
import sys

import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from common import DATASETS, OUT, BINARY, build_leadscore, inspect_json, reference_pipeline, require_datasets, run_measured, machine, X_EDUCATION_LEAKY

CASES = [
    ("X Education", "leads_x_education.csv", ",", "Converted", "Prospect ID", ["Lead Number", *X_EDUCATION_LEAKY]),
    ("Bank marketing", "bank_marketing.csv", ";", "y", None, ["duration"]),
]


def main():
    require_datasets()
    build_leadscore()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"{'data':16} {'scikit-learn':>12} {'leadscore same':>15} {'diff':>8} {'leadscore default':>18}")
    worst = 0.0
    for name, file, sep, target, id_column, drop in CASES:
        frame = pd.read_csv(DATASETS / file, sep=sep)
        y = frame[target].map(lambda v: 1 if str(v).lower() in ("1", "yes") else 0)
        train, test = train_test_split(frame, test_size=0.2, stratify=y, random_state=42)
        stem = file.removesuffix(".csv")
        train_path, test_path = OUT / f"{stem}.train.csv", OUT / f"{stem}.test.csv"
        train.to_csv(train_path, index=False, sep=sep)
        test.to_csv(test_path, index=False, sep=sep)

        drop_ids = drop + ([id_column] if id_column else [])
        X_train, pipeline = reference_pipeline(train, target, drop_ids)
        X_test, _ = reference_pipeline(test, target, drop_ids)
        pipeline.fit(X_train, y.loc[train.index])
        sk_auc = roc_auc_score(y.loc[test.index], pipeline.predict_proba(X_test)[:, 1])

        aucs = []
        for label, extra in [("same", "[model]\nc_grid = [1.0]\n[blend]\ncalibration = \"none\"\n[features]\nlog1p = \"off\"\nshape = \"linear\"\n"), ("default", "")]:
            config = OUT / f"{stem}.{label}.toml"
            excluded = ", ".join(f'"{c}"' for c in drop)
            header = f'[data]\ntarget = "{target}"\n' + (f'id = "{id_column}"\n' if id_column else "")
            body = extra.replace("[features]\n", f"[features]\nexclude = [{excluded}]\n") if "[features]" in extra else extra + f"[features]\nexclude = [{excluded}]\n"
            config.write_text(header + body)
            model = OUT / f"{stem}.{label}.lsm"
            run_measured([BINARY, "train", "--data", train_path, "--validation-data", test_path, "--config", config, "--out", model])
            aucs.append(inspect_json(model)["artifact"]["training"]["validation"]["roc_auc"])
        diff = aucs[0] - sk_auc
        worst = max(worst, abs(diff))
        print(f"{name:16} {sk_auc:12.4f} {aucs[0]:15.4f} {diff:+8.4f} {aucs[1]:18.4f}")
    print(f"largest |difference| with the same preprocessing: {worst:.4f} (target ≤ 0.005)")
    return 0 if worst <= 0.005 else 1


if __name__ == "__main__":
    sys.exit(main())
