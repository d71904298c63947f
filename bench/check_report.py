"""The evaluation report's figures against scikit-learn on the same scores.

For the X Education leads (trained on a stratified 80 %, evaluated on the other 20 %, without
the sales-filled columns) and for synthetic leads (`leadscore synth`, trained with the example
rules, evaluated on a new batch), `leadscore evaluate` writes its report; this script recomputes
every headline figure, the reliability bins and the gains from the report's scores.csv with
scikit-learn and pandas, and prints the largest difference (target ≤ 1e-6). On the synthetic
leads it also prints the rule audit's suggested points of the forms (the planted ordering: the
demo-request form highest).

    python3 bench/check_report.py
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from common import BINARY, OUT, ROOT, X_EDUCATION_LEAKY, build_leadscore, machine, require_datasets, run_measured, x_education_split

COLUMNS = {"score": "probability", "model": "model_probability", "rules": "rule_points"}


def gains(y, values):
    order = np.argsort(-values, kind="stable")
    converted = y[order]
    n = len(converted)
    bounds = [g * n // 10 for g in range(11)]
    return np.array([converted[: bounds[g + 1]].sum() for g in range(10)]) / converted.sum()


def differences(report_dir):
    """Largest |report − scikit-learn| per figure."""
    report = json.loads((report_dir / "report.json").read_text())
    leads = pd.read_csv(report_dir / "scores.csv")
    y = leads["converted"].to_numpy()
    worst = {}

    def check(name, ours, theirs):
        worst[name] = max(worst.get(name, 0.0), float(np.max(np.abs(np.asarray(ours, float) - np.asarray(theirs, float)))))

    for h in report["headline"]:
        values = leads[COLUMNS[h["kind"]]].to_numpy()
        check("ROC AUC", h["roc_auc"], roc_auc_score(y, values))
        check("PR AUC", h["pr_auc"], average_precision_score(y, values))
        if h.get("as_ranked"):
            # The whole 0-100 score, ties included.
            check("ROC AUC (0-100)", h["as_ranked"]["roc_auc"], roc_auc_score(y, leads["score"].to_numpy()))
            check("PR AUC (0-100)", h["as_ranked"]["pr_auc"], average_precision_score(y, leads["score"].to_numpy()))
        if h["kind"] != "rules":
            check("log loss", h["log_loss"], log_loss(y, values))
            check("Brier", h["brier"], brier_score_loss(y, values))
    for r in report["reliability"]:
        observed, predicted = calibration_curve(y, leads[COLUMNS[r["kind"]]].to_numpy(), n_bins=10, strategy="uniform")
        check("calibration_curve", [b["observed"] for b in r["bins"]], observed)
        check("calibration_curve", [b["predicted"] for b in r["bins"]], predicted)
    for g in report["gains"]:
        check("gains", [row["cumulative_conversions"] for row in g["groups"]], gains(y, leads[COLUMNS[g["kind"]]].to_numpy()))
    return report, worst


def evaluate(model, data, events, out, extra=()):
    cmd = [BINARY, "evaluate", "--model", model, "--data", data, "--out", out, *extra]
    if events:
        cmd += ["--events", events]
    return run_measured(cmd)


def main():
    require_datasets()
    build_leadscore()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    results = []

    # X Education: the 80/20 split of bench/compare_sklearn.py.
    train_path, test_path = x_education_split()
    model = OUT / "x_education.report.lsm"
    excluded = ["Lead Number", *X_EDUCATION_LEAKY]
    cmd = [BINARY, "train", "--data", train_path, "--target", "Converted", "--id", "Prospect ID", "--out", model]
    for column in excluded:
        cmd += ["--exclude", column]
    run_measured(cmd)
    seconds, rss, _, _ = evaluate(model, test_path, None, OUT / "report-x-education", ["--periods", "4"])
    report, worst = differences(OUT / "report-x-education")
    results.append(("X Education (20 % held out)", report, worst, seconds, rss))

    # Synthetic leads with events, the example rules blended in.
    history, batch = OUT / "synth-history", OUT / "synth-batch"
    run_measured([BINARY, "synth", "--leads", "50000", "--seed", "21", "--out", history])
    run_measured([BINARY, "synth", "--leads", "20000", "--seed", "22", "--out", batch])
    model = OUT / "synth.report.lsm"
    run_measured([BINARY, "train", "--config", ROOT / "data" / "synth.toml", "--rules", ROOT / "data" / "rules" / "example.toml",
                  "--data", history / "leads.csv", "--events", history / "events.csv", "--out", model])
    seconds, rss, _, _ = evaluate(model, batch / "leads.csv", batch / "events.csv", OUT / "report-synth", ["--capacity", "50"])
    report, worst = differences(OUT / "report-synth")
    results.append(("synthetic, 20,000 new leads", report, worst, seconds, rss))

    largest = 0.0
    for name, report, worst, seconds, rss in results:
        score = next(h for h in report["headline"] if h["kind"] == "score")
        print(f"\n{name}: {report['data']['leads']:,} leads, ROC AUC {score['roc_auc']:.4f}, ECE {score['ece']:.4f}; "
              f"evaluate took {seconds:.2f} s, {rss:.0f} MiB")
        for figure, diff in worst.items():
            print(f"  {figure:18} largest |report − scikit-learn| {diff:.2e}")
            largest = max(largest, diff)
    audit = results[1][1]["rule_audit"]["rules"]
    forms = {r["name"]: r["suggested_points"] for r in audit if r["name"].endswith("_form")}
    print("\nrule audit, synthetic leads — suggested points of the forms (current in brackets):")
    for r in audit:
        if r["name"].endswith("_form"):
            print(f"  {r['name']:20} {r['suggested_points']:+7.1f}  ({r['points']:+.0f})  {r['verdict']}")
    demo_highest = max(forms, key=forms.get) == "demo_request_form"
    print(f"demo-request form highest among forms: {demo_highest}")
    print(f"\nlargest difference: {largest:.2e} (target ≤ 1e-6)")
    return 0 if largest <= 1e-6 and demo_highest else 1


if __name__ == "__main__":
    sys.exit(main())
