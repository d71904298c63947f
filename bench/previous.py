"""`score --previous` on the same synthetic leads a week later, checked against a pandas join of
the two scores files, and its cost against scoring without it.

1. `synth --leads N --seed 4` and the same leads with `--days-later 7`; a model trained on
   20,000 other synthetic leads scores both, the second with `--previous` the first and
   `--triggers`.
2. pandas joins the two scores files on the lead id and works out each lead's status; the
   script checks that leadscore's `status` column equals it for every lead, that the leads
   whose score crossed 60 are exactly the `became_mql` ones, and that the triggers file holds
   exactly the `became_mql` and `band_up` leads.
3. Wall time and peak memory of scoring the second file with and without `--previous`
   (medians of 3 runs).

Target (issue "between two batches"): with `--previous` at most 1.5× the time, memory bounded.

    python3 bench/previous.py [--binary PATH] [--leads N]
"""
import argparse
import tempfile
from pathlib import Path

import pandas as pd

from common import BINARY, ROOT, build_leadscore, machine, median_of_runs, run_measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=BINARY)
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    if Path(args.binary) == BINARY:
        build_leadscore()
    print(machine())
    with tempfile.TemporaryDirectory() as work:
        w = Path(work)
        L = args.binary
        run_measured([L, "synth", "--leads", 20_000, "--seed", 3, "--out", w / "history"])
        run_measured([L, "train", "--config", ROOT / "data" / "synth.toml", "--data", w / "history" / "leads.csv",
                      "--events", w / "history" / "events.csv", "--out", w / "model.lsm"])
        for folder, later in [("week1", 0), ("week2", 7)]:
            run_measured([L, "synth", "--leads", args.leads, "--seed", 4, "--days-later", later, "--out", w / folder])
        score = [L, "score", "--model", w / "model.lsm", "--as-of", "2026-12-01"]
        week = lambda f: ["--data", w / f / "leads.csv", "--events", w / f / "events.csv"]
        run_measured(score + week("week1") + ["--out", w / "s1.csv"])
        with_previous = lambda: run_measured(score + week("week2") + ["--out", w / "s2.csv", "--previous", w / "s1.csv",
                                                                     "--triggers", w / "t.csv"])
        without = lambda: run_measured(score + week("week2") + ["--out", w / "s2-plain.csv"])
        t_with, rss_with, *_ = median_of_runs(with_previous)
        t_without, rss_without, *_ = median_of_runs(without)

        s1 = pd.read_csv(w / "s1.csv", usecols=["lead_id", "score", "band", "mql"])
        s2 = pd.read_csv(w / "s2.csv", usecols=["lead_id", "score", "band", "mql", "status"])
        j = s2.merge(s1, on="lead_id", how="left", suffixes=("", "_before"))
        rank = {"cold": 0, "warm": 1, "hot": 2}
        expected = pd.Series("unchanged", index=j.index)
        expected[j.band.map(rank) < j.band_before.map(rank)] = "band_down"
        expected[j.band.map(rank) > j.band_before.map(rank)] = "band_up"
        expected[(j.mql == False) & (j.mql_before == True)] = "left_mql"  # noqa: E712
        expected[(j.mql == True) & (j.mql_before == False)] = "became_mql"  # noqa: E712
        expected[j.score_before.isna()] = "new"
        assert (expected == j.status).all(), j[expected != j.status].head()
        crossed = set(j.lead_id[(j.score_before < 60) & (j.score >= 60)])
        assert crossed == set(j.lead_id[j.status == "became_mql"])
        triggers = pd.read_csv(w / "t.csv")
        assert set(triggers.lead_id) == set(j.lead_id[j.status.isin(["became_mql", "band_up"])])
        print(f"{len(j):,} leads: statuses equal the pandas join; {len(crossed):,} crossed 60, all became_mql; "
              f"{len(triggers):,} triggers")
        print(j.status.value_counts().to_string())
    print(f"score with --previous and --triggers: {t_with:.2f} s, {rss_with:,.0f} MiB; "
          f"without: {t_without:.2f} s, {rss_without:,.0f} MiB; ratio {t_with / t_without:.2f}")


if __name__ == "__main__":
    main()
