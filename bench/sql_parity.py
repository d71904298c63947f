"""`leadscore export-sql` against `leadscore score` on the X Education leads, on DuckDB, PostgreSQL
and Spark: trained on a stratified 80 % with data/x_education.toml, scored on the other 20 %.
Prints the largest probability difference and how many 0–100 scores, bands and MQL flags differ
per engine (target: 1e-9 and none).

    python3 bench/sql_parity.py
"""
import subprocess
import sys
from pathlib import Path

import pandas as pd

from common import BINARY, OUT, ROOT, build_leadscore, machine, require_datasets, run_measured, x_education_split

RUN_QUERY = ROOT / "tests" / "sql" / "run_query.py"


def main():
    require_datasets()
    build_leadscore()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    train_path, test_path = x_education_split()
    model = OUT / "x_education.sql.lsm"
    run_measured([BINARY, "train", "--data", train_path, "--config", ROOT / "data" / "x_education.toml", "--out", model])
    scored = OUT / "x_education.scored.parquet"
    run_measured([BINARY, "score", "--model", model, "--data", test_path, "--out", scored])
    expected = pd.read_parquet(scored)
    expected = expected.set_index(expected.columns[0])
    worst = 0.0
    for engine in ["duckdb", "postgres", "spark"]:
        sql, result = OUT / f"x_education.{engine}.sql", OUT / f"x_education.{engine}.csv"
        run_measured([BINARY, "export-sql", "--model", model, "--dialect", engine, "--out", sql])
        done = subprocess.run([sys.executable, RUN_QUERY, "--engine", engine, "--sql", sql, "--data", test_path, "--out", result],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{engine:10} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
            worst = float("inf")
            continue
        got = pd.read_csv(result)
        got = got.set_index(got.columns[0]).loc[expected.index]
        diff = (got["probability"] - expected["probability"]).abs().max()
        differ = {k: int((got[k].astype(str).str.lower().str[0] != expected[k].astype(str).str.lower().str[0]).sum()) if k == "mql"
                  else int((got[k] != expected[k]).sum()) for k in ["score", "band", "mql"]}
        worst = max(worst, diff)
        print(f"{engine:10} {len(got):,} leads: max |Δ probability| {diff:.1e}; differing score/band/MQL: "
              f"{differ['score']}/{differ['band']}/{differ['mql']}")
    print(f"largest difference {worst:.1e} (target ≤ 1e-9)")
    return 0 if worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
