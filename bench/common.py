"""Shared helpers for the bench scripts: paths, the scikit-learn reference pipeline, running
leadscore and measuring a child process's wall time and peak memory."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "bench" / "out"
BINARY = ROOT / "target" / "release" / "leadscore"

X_EDUCATION_LEAKY = [
    "Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index",
    "Asymmetrique Profile Index", "Asymmetrique Activity Score", "Asymmetrique Profile Score",
]


def require_datasets():
    if not (DATASETS / "leads_x_education.csv").is_file():
        sys.exit(f"the public data sets are not at {DATASETS}: see ../shared/datasets/README.md")


def build_leadscore():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)


def run_measured(cmd, **kwargs):
    """Runs cmd; returns (wall seconds, peak RSS in MiB, stdout, stderr) of that process alone."""
    import tempfile
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, text=True, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout, stderr


def median_of_runs(run, outputs=(), runs=3):
    """Calls run() `runs` times, removing `outputs` first so that each run writes new files;
    run() returns (seconds, peak RSS MiB, ...). Returns the median seconds, the largest peak RSS
    and the last run's other values."""
    import statistics
    times, peaks = [], []
    for _ in range(runs):
        for output in outputs:
            Path(output).unlink(missing_ok=True)
        seconds, rss, *rest = run()
        times.append(seconds)
        peaks.append(rss)
    return (statistics.median(times), max(peaks), *rest)


def machine():
    """One line describing this machine, for the printed results."""
    import platform
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def reference_pipeline(frame, target, drop, categorical_placeholders=("Select",)):
    """The scikit-learn pipeline of ../shared/datasets/README.md."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X = frame.drop(columns=[target, *drop])
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    for c in categorical:
        X[c] = X[c].astype(object).where(~X[c].isin(categorical_placeholders), np.nan)
    pre = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)),
                          ("scale", StandardScaler())]), numeric),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                          ("onehot", OneHotEncoder(min_frequency=20, handle_unknown="infrequent_if_exist"))]),
         categorical),
    ])
    return X, Pipeline([("pre", pre), ("model", LogisticRegression(C=1.0, max_iter=1000))])


def inspect_json(model_path):
    out = subprocess.run([str(BINARY), "inspect", str(model_path), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def x_education_split():
    """The stratified 80/20 split of the X Education leads (random_state=42) written to
    bench/out/: (train path, test path)."""
    import pandas as pd
    from sklearn.model_selection import train_test_split
    frame = pd.read_csv(DATASETS / "leads_x_education.csv")
    train, test = train_test_split(frame, test_size=0.2, stratify=frame["Converted"], random_state=42)
    OUT.mkdir(parents=True, exist_ok=True)
    train_path, test_path = OUT / "x_education.train.csv", OUT / "x_education.test.csv"
    train.to_csv(train_path, index=False)
    test.to_csv(test_path, index=False)
    return train_path, test_path
