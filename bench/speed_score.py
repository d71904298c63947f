"""Scoring speed and memory: `leadscore score` beside polars merely reading the same CSV and
writing one of the same size, and beside pandas + scikit-learn (read_csv, the fitted reference
pipeline's predict_proba, to_csv), on the X Education rows resampled to 1,000,000 leads; then
10,000,000 leads (the same rows ten times) for peak memory.

    python3 bench/speed_score.py          (needs bench/speed_train.py's files; builds them if absent)
"""
import json
import sys

from common import BINARY, OUT, ROOT, build_leadscore, machine, median_of_runs, require_datasets, run_measured
from speed_train import build

RUNS = 3


def concatenate(parts, target, times=1):
    with open(target, "w") as out:
        header_written = False
        for _ in range(times):
            for part in parts:
                with open(part) as source:
                    header = source.readline()
                    if not header_written:
                        out.write(header)
                        header_written = True
                    for line in source:
                        out.write(line)


def main():
    require_datasets()
    build_leadscore()
    train, test = build(1_000_000)
    model = OUT / "x1000000.lsm"
    if not model.is_file():
        run_measured([BINARY, "train", "--data", train, "--config", ROOT / "data" / "x_education.toml", "--out", model])
    leads = OUT / "x1m.all.csv"
    if not leads.is_file():
        concatenate([train, test], leads)
    ten = OUT / "x10m.csv"
    if "--skip-10m" not in sys.argv and not ten.is_file():
        concatenate([train, test], ten, times=10)

    polars_copy = OUT / "polars-copy.csv"
    polars_s, polars_rss, *_ = median_of_runs(lambda: run_measured([
        sys.executable, "-c",
        f"import polars as pl; pl.read_csv({str(leads)!r}, infer_schema_length=0).write_csv({str(polars_copy)!r})",
    ]), [polars_copy], RUNS)
    scored = OUT / "x1m.scored.csv"
    ls_s, ls_rss, *_ = median_of_runs(lambda: run_measured(
        [BINARY, "score", "--model", model, "--data", leads, "--out", scored]), [scored], RUNS)
    sk_scored = OUT / "x1m.sklearn.csv"

    def sklearn():
        _, rss, out, _ = run_measured(
            [sys.executable, ROOT / "bench" / "sklearn_score.py", train, leads, sk_scored], cwd=ROOT / "bench"
        )
        return json.loads(out.strip().splitlines()[-1])["seconds"], rss

    sk_timed, sk_rss = median_of_runs(sklearn, [sk_scored], RUNS)
    print(f"machine: {machine()}")
    print(f"1,000,000 leads ({leads.stat().st_size / 2**20:.0f} MiB CSV), median of {RUNS} runs, each writing a new file")
    print(f"  {'':52} {'seconds':>8} {'peak RSS MiB':>13}")
    print(f"  {'polars read_csv + write_csv (the floor)':52} {polars_s:8.1f} {polars_rss:13.0f}")
    print(f"  {'pandas + scikit-learn read/predict/to_csv (timed part)':52} {sk_timed:8.1f} {sk_rss:13.0f}")
    print(f"  {'leadscore score (CSV → CSV with reasons)':52} {ls_s:8.1f} {ls_rss:13.0f}")
    print(f"  speed vs the polars floor {polars_s / ls_s:.2f} (target ≥ 0.5); vs pandas + scikit-learn {sk_timed / ls_s:.1f}x (target ≥ 10x)")
    if ten.is_file():
        (OUT / "x10m.scored.csv").unlink(missing_ok=True)
        s, rss, _, _ = run_measured([BINARY, "score", "--model", model, "--data", ten, "--out", OUT / "x10m.scored.csv"])
        print(f"10,000,000 leads ({ten.stat().st_size / 2**30:.1f} GiB CSV): {s:.1f} s, peak RSS {rss:.0f} MiB (target < 1024)")


if __name__ == "__main__":
    main()
