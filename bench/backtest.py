"""A 12-month backtest on 1,000,000 synthetic leads with planted drift and their events.

`leadscore synth --drift --leads 1000000` (about ten million events), then `leadscore backtest
--by month --periods 12`: twelve models trained (each on every lead before its month, with the
events as of each lead's cutoff), each month's leads scored by its own model, by the first
month's model never retrained, and by models retrained every 2, 3 and 6 months. Prints the wall
time and peak memory of the backtest (one run: it is minutes long), the per-month ROC AUC of
the retrained and frozen models, and the recommendation.

Target (issue "retraining with evidence"): minutes, not hours, on a 2-core machine, with bounded
memory.

    python3 bench/backtest.py [--binary PATH] [--leads N] [--periods N]
"""
import argparse
import json
import tempfile
from pathlib import Path

from common import BINARY, ROOT, build_leadscore, machine, run_measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=BINARY)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--periods", type=int, default=12)
    args = parser.parse_args()
    if Path(args.binary) == BINARY:
        build_leadscore()
    print(machine())
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        seconds, rss, _, _ = run_measured([args.binary, "synth", "--drift", "--leads", args.leads,
                                           "--seed", 7, "--out", work / "history"])
        events = sum(1 for _ in open(work / "history" / "events.csv")) - 1
        print(f"synth: {args.leads:,} leads, {events:,} events in {seconds:.1f} s")
        seconds, rss, _, _ = run_measured([
            args.binary, "backtest", "--config", ROOT / "data" / "synth.toml", "--by", "month",
            "--periods", args.periods, "--data", work / "history" / "leads.csv",
            "--events", work / "history" / "events.csv", "--out", work / "backtest"])
        result = json.loads((work / "backtest" / "backtest.json").read_text())
    print(f"backtest of {len(result['periods'])} months: {seconds:.0f} s wall ({seconds / 60:.1f} min), "
          f"peak {rss:,.0f} MiB")
    for p in result["periods"]:
        print(f"  {p['period']}: {p['leads']:>7,} leads, trained on {p['training_leads']:>9,}, ROC AUC retrained "
              f"{p['retrained']['roc_auc']:.4f}, frozen {p['frozen']['roc_auc']:.4f}")
    for i in result["intervals"]:
        every = "never" if i["every"] is None else f"every {i['every']}"
        print(f"  retrained {every:>8}: mean ROC AUC {i['mean_roc_auc']:.4f}, mean ECE {i['mean_ece']:.4f}")
    print(result["recommendation"])


if __name__ == "__main__":
    main()
