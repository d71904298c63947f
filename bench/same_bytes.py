"""Same inputs, same bytes: runs two leadscore binaries on the same files and compares everything
they write — scores (CSV and Parquet), rejects, model files, reports, SQL — so that a change
which should not alter any output can be shown not to.

    python3 bench/same_bytes.py BEFORE_BINARY [AFTER_BINARY]     (AFTER defaults to target/release/leadscore)
    python3 bench/same_bytes.py BEFORE --quick                   (skip the 1 M-lead X Education case)

Build the "before" binary from the earlier commit first, e.g.
    git worktree add /tmp/before HEAD~1 && cargo build --release --manifest-path /tmp/before/Cargo.toml

Each binary runs in its own folder under bench/out/same-bytes/ with the same relative paths,
so paths written into outputs agree. Differences that are expected are normalised away: the
time a model was trained or a report written, and the seconds training took. Model files are
compared through `inspect --json` (every field, floats written exactly) and their size.

A file that differs is then compared for the one difference allowed when a small fit is computed
by another optimiser: figures equal up to their last digits. Scores files (CSV or Parquet): ids,
scores, bands, MQL flags and reasons equal, probabilities within 1e-6. JSON and model files:
every number within 1e-5 relative, everything else equal. Text (SQL, Markdown, HTML, inspect):
equal apart from numbers within 1e-5 relative or one unit of their last printed digit. Any other
difference fails; a file that agrees only this way is printed as "close", and a change made on
purpose (INTENDED below, with what it is) as "meant".
"""
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from common import DATASETS, OUT, ROOT, x_education_split

TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
# Probabilities are written with 6 decimals: two that agree to 1e-6 may print one unit apart.
PROBABILITY_TOLERANCE = 1e-6 + 1e-12
# Other figures (coefficients, calibration, metrics) may differ in their last digits only: the
# rule audit's fit used to stop at 1e-7 per lead, its suggested points right to about 5e-6.
RELATIVE_TOLERANCE = 1e-5
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
WORK = OUT / "same-bytes"
# Changes made on purpose, each with the check that nothing else changed.
INTENDED = {
    "x-bad-report/rejects.csv": (
        "the header names the id column (Prospect ID) as score's rejects file does, not \"id\"",
        lambda a, b: a.split(b"\n", 1)[1] == b.split(b"\n", 1)[1],
    ),
}


def _model_format_5(a, b):
    """The same model but for what format 5 adds: the settings' new keys, the segments, the
    version and the file's size."""
    (a, _), (b, _) = (x.rsplit(b"\nbytes ", 1) for x in (a, b))
    a, b = json.loads(a), json.loads(b)
    after = b["artifact"]
    after.pop("segments", None)
    after.pop("segment_calibrations", None)
    for section, keys in {"data": ["converted_values", "window_days", "source", "formats"],
                          "events": ["files"], "features": [], "segments": None}.items():
        if keys is None:
            after["config"].pop(section, None)
            continue
        for key in keys:
            after["config"][section].pop(key, None)
    a["artifact"]["config"]["data"].pop("formats", None)
    after["format_version"] = a["artifact"]["format_version"]
    return a == b


def _schema_gains_compared(a, b):
    a, b = json.loads(a), json.loads(b)
    b["$defs"]["kind"] = a["$defs"]["kind"]
    b["properties"].pop("segments", None)
    return a == b


def _inspect_says_more(a, b):
    added = ("  converted", "  source", "  cutoff", "  event files", "  multi-valued")
    lines = [line for line in b.decode().splitlines() if not line.startswith(added)]
    return "\n".join(lines).replace("(file format 5)", "(file format 4)") == a.decode().rstrip("\n")


# Kinds of files changed on purpose by model file format 5, each with its check.
INTENDED_KINDS = [
    (lambda relative: relative.suffix == ".lsm",
     "model file format 5: the settings gain converted_values, window_days, source, formats, [events] files and [segments]; the model gains its segments and their calibrations (none)",
     _model_format_5),
    (lambda relative: relative.name == "report.schema.json",
     "a score kind more, compared (evaluate --compare-column), and the optional segments section",
     _schema_gains_compared),
    (lambda relative: relative.name.startswith("inspect."),
     "inspect says the file format 5 and each lead's cutoff (and the preset, converted values, event files, multi-valued columns where there are)",
     _inspect_says_more),
]


def run(binary, cwd, *args, expect=0):
    proc = subprocess.run([str(binary), *map(str, args)], cwd=cwd, capture_output=True)
    if proc.returncode != expect:
        sys.exit(f"{binary} {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr.decode()}")
    return proc.stdout


def cases(inputs, quick):
    """(name, [commands]) where each command is a list of arguments; outputs are relative."""
    synth_rules = ROOT / "data" / "rules" / "example.toml"
    synth_config = ROOT / "data" / "synth.toml"
    x_config = ROOT / "data" / "x_education.toml"
    history, batch = inputs / "history", inputs / "batch"
    isotonic = inputs / "isotonic.toml"
    x_train, x_test = inputs / "x_education.train.csv", inputs / "x_education.test.csv"
    sql = lambda model, name, *more: [
        ["export-sql", "--model", model, "--dialect", d, "--as-of", "2026-06-30", *more, "--out", f"{name}.{d}.sql"]
        for d in ("duckdb", "postgres", "spark")
    ]
    found = [
        ("demo", [["demo", "--out", "demo", "--leads", "20000"]]),
        ("x_education", [
            ["train", "--data", x_train, "--config", x_config, "--out", "x.lsm"],
            ["inspect", "x.lsm"],
            ["score", "--model", "x.lsm", "--data", x_test, "--out", "x.scores.csv"],
            ["score", "--model", "x.lsm", "--data", x_test, "--keep", "Lead Number", "--out", "x.scores.parquet"],
            ["evaluate", "--model", "x.lsm", "--data", x_test, "--out", "x-report", "--capacity", "40"],
            ["score", "--model", "x.lsm", "--data", inputs / "x_education.bad.csv", "--out", "x-bad.scores.csv"],
            ["evaluate", "--model", "x.lsm", "--data", inputs / "x_education.bad.csv", "--out", "x-bad-report"],
            *sql("x.lsm", "x"),
        ]),
        ("synthetic_with_events", [
            ["train", "--data", history / "leads.csv", "--events", history / "events.csv", "--config", synth_config,
             "--rules", synth_rules, "--out", "s.lsm"],
            ["train", "--data", history / "leads.csv", "--events", history / "events.csv", "--config", isotonic,
             "--split", "time", "--out", "s-isotonic.lsm"],
            ["train", "--data", history / "leads.csv", "--config", synth_config, "--validation-data",
             batch / "leads.csv", "--out", "s-validation.lsm"],
            ["inspect", "s.lsm"],
            ["score", "--model", "s.lsm", "--data", batch / "leads.csv", "--events", batch / "events.csv",
             "--batch-mib", "1", "--out", "s.scores.csv"],
            ["score", "--model", "s.lsm", "--data", batch / "leads.csv", "--events", batch / "events.csv",
             "--out", "s.scores.parquet"],
            ["score", "--model", "s-isotonic.lsm", "--data", batch / "leads.csv", "--events", batch / "events.csv",
             "--out", "s-isotonic.scores.csv"],
            ["evaluate", "--model", "s.lsm", "--data", batch / "leads.csv", "--events", batch / "events.csv",
             "--out", "s-report", "--capacity", "25", "--period", "week"],
            ["recalibrate", "--model", "s.lsm", "--data", batch / "leads.csv", "--events", batch / "events.csv",
             "--out", "s-recalibrated.lsm"],
            ["points", "--rules", synth_rules, "--data", batch / "leads.csv", "--events", batch / "events.csv",
             "--config", synth_config, "--out", "s.points.csv"],
            *sql("s.lsm", "s", "--events-table", "events"),
            *sql("s-isotonic.lsm", "s-isotonic", "--events-table", "events"),
        ]),
    ]
    if not quick:
        from speed_train import build
        train, test = build(1_000_000)
        found.append(("x_education_1m", [
            ["train", "--data", train, "--validation-data", test, "--config", x_config, "--out", "x1m.lsm"],
            ["score", "--model", "x1m.lsm", "--data", test, "--out", "x1m.scores.csv"],
        ]))
    return found


def prepare_inputs(binary):
    inputs = WORK / "inputs"
    if (inputs / "done").is_file():
        return inputs
    shutil.rmtree(inputs, ignore_errors=True)
    inputs.mkdir(parents=True)
    run(binary, inputs, "synth", "--leads", "30000", "--seed", "11", "--out", "history")
    run(binary, inputs, "synth", "--leads", "12000", "--seed", "12", "--out", "batch")
    isotonic = (ROOT / "data" / "synth.toml").read_text() + '\n[blend]\ncalibration = "isotonic"\n'
    (inputs / "isotonic.toml").write_text(isotonic)
    train, test = x_education_split()
    shutil.copy(train, inputs / "x_education.train.csv")
    shutil.copy(test, inputs / "x_education.test.csv")
    # Unreadable rows for the rejects files: words in a number column.
    import csv
    with open(test, newline="") as source:
        rows = list(csv.reader(source))
    visits = rows[0].index("TotalVisits")
    for row in (5, 9, 14):
        rows[row][visits] = "lots"
    with open(inputs / "x_education.bad.csv", "w", newline="") as target:
        csv.writer(target).writerows(rows)
    (inputs / "done").write_text("")
    return inputs


def normalised(path, binary):
    if path.suffix == ".lsm":
        model = json.loads(run(binary, path.parent, "inspect", path.name, "--json"))
        model["artifact"]["trained_at"] = "<time>"
        model["artifact"]["training"]["seconds"] = 0.0
        model["artifact"]["training"]["warnings"] = [TIMESTAMP.sub(b"<time>", w.encode()).decode()
                                                     for w in model["artifact"]["training"]["warnings"]]
        return json.dumps(model, sort_keys=True).encode() + f"\nbytes {path.stat().st_size}".encode()
    data = path.read_bytes()
    if path.suffix in (".json", ".md", ".html", ".sql", ".txt", ".svg"):
        data = TIMESTAMP.sub(b"<time>", data)
    return data


def close(x, y, text_x="", text_y=""):
    """Whether two numbers agree to RELATIVE_TOLERANCE, or to one unit of the last digit
    either was written with."""
    if x == y:
        return True
    unit = 0.0
    for text in (text_x, text_y):
        if "." in text and "e" not in text.lower():
            unit = max(unit, 10.0 ** -len(text.split(".")[1]))
    return abs(x - y) <= max(RELATIVE_TOLERANCE * max(1.0, abs(x), abs(y)), unit + 1e-12)


def json_agree(a, b, where="$"):
    """(agree, reason, largest relative difference) of two JSON values."""
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        if type(a) is not type(b):
            return False, f"{where}: {a!r} against {b!r}", 0.0
        if isinstance(a, dict):
            if a.keys() != b.keys():
                return False, f"{where}: keys {sorted(set(a) ^ set(b))}", 0.0
            worst = 0.0
            for key in a:
                agree, why, w = json_agree(a[key], b[key], f"{where}.{key}")
                if not agree:
                    return False, why, w
                worst = max(worst, w)
            return True, "", worst
        if isinstance(a, list):
            if len(a) != len(b):
                return False, f"{where}: {len(a)} items against {len(b)}", 0.0
            worst = 0.0
            for k, (x, y) in enumerate(zip(a, b)):
                agree, why, w = json_agree(x, y, f"{where}[{k}]")
                if not agree:
                    return False, why, w
                worst = max(worst, w)
            return True, "", worst
        return (a == b), f"{where}: {a!r} against {b!r}", 0.0
    if a is None or b is None:
        return a == b, f"{where}: {a!r} against {b!r}", 0.0
    relative = abs(a - b) / max(1.0, abs(a), abs(b))
    return close(a, b), f"{where}: {a!r} against {b!r}", relative


def text_agree(a, b):
    """Texts equal apart from numbers that are close."""
    a, b = a.decode(errors="replace"), b.decode(errors="replace")
    # SQL writes a negative literal in parentheses: a figure near 0 may change sign.
    a, b = (re.sub(r"\((-[0-9.E+-]+)\)", r"\1", x) for x in (a, b))
    words_a, words_b = NUMBER.split(a), NUMBER.split(b)
    numbers_a, numbers_b = NUMBER.findall(a), NUMBER.findall(b)
    if words_a != words_b or len(numbers_a) != len(numbers_b):
        for k, (x, y) in enumerate(zip(words_a, words_b)):
            if x != y:
                return False, f"text differs near {x[:60]!r} / {y[:60]!r}", 0.0
        return False, "different length", 0.0
    worst = 0.0
    for x, y in zip(numbers_a, numbers_b):
        if x != y:
            fx, fy = float(x), float(y)
            if not close(fx, fy, x, y):
                return False, f"{x} against {y}", 0.0
            worst = max(worst, abs(fx - fy) / max(1.0, abs(fx), abs(fy)))
    return True, "", worst


def parquet_as_csv(path):
    import pyarrow.parquet as pq
    import csv
    import io
    table = pq.read_table(path)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.column_names)
    for row in zip(*[table.column(c).to_pylist() for c in table.column_names]):
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return out.getvalue().encode()


def scores_agree(a, b):
    """Whether two scores CSVs agree up to the probability tolerance; the reason when not."""
    import csv
    import io
    rows_a = list(csv.reader(io.StringIO(a.decode())))
    rows_b = list(csv.reader(io.StringIO(b.decode())))
    if len(rows_a) != len(rows_b) or rows_a[0] != rows_b[0]:
        return False, "different header or number of rows"
    header = rows_a[0]
    loose = {k for k, name in enumerate(header) if "probability" in name}
    worst = 0.0
    for line, (x, y) in enumerate(zip(rows_a[1:], rows_b[1:]), start=2):
        for k, (u, v) in enumerate(zip(x, y)):
            if u == v:
                continue
            if k in loose:
                worst = max(worst, abs(float(u) - float(v)))
                if worst <= PROBABILITY_TOLERANCE:
                    continue
            return False, f"line {line}, column {header[k]}: {u!r} against {v!r}"
    return True, f"probabilities within {worst:.1e}, every score, band and MQL flag equal"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    if not args:
        sys.exit(__doc__)
    before = Path(args[0]).resolve()
    after = Path(args[1]).resolve() if len(args) > 1 else ROOT / "target" / "release" / "leadscore"
    if not (DATASETS / "leads_x_education.csv").is_file():
        sys.exit(f"the public data sets are not at {DATASETS}: see ../shared/datasets/README.md")
    inputs = prepare_inputs(before)
    failures = closes = meant = 0
    for name, commands in cases(inputs, quick):
        folders = {}
        for side, binary in (("before", before), ("after", after)):
            folder = WORK / side / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for command in commands:
                out = run(binary, folder, *command)
                if command[0] == "inspect":
                    (folder / f"inspect.{command[1]}.txt").write_bytes(out)
            folders[side] = folder
        files = sorted(p.relative_to(folders["before"]) for p in folders["before"].rglob("*") if p.is_file())
        files_after = sorted(p.relative_to(folders["after"]) for p in folders["after"].rglob("*") if p.is_file())
        if files != files_after:
            print(f"{name}: different files: {sorted(set(files) ^ set(files_after))}")
            failures += 1
        for relative in files:
            a_path, b_path = folders["before"] / relative, folders["after"] / relative
            if not b_path.is_file():
                continue
            a, b = normalised(a_path, before), normalised(b_path, after)
            if a == b:
                print(f"  same   {name}/{relative} ({hashlib.sha256(a).hexdigest()[:12]})")
                continue
            intended = INTENDED.get(str(relative)) or next(
                ((what, check) for matches, what, check in INTENDED_KINDS if matches(relative)), None)
            if intended and intended[1](a, b):
                print(f"  meant  {name}/{relative}: {intended[0]}")
                meant += 1
                continue
            if relative.suffix == ".parquet":
                a, b = parquet_as_csv(a_path), parquet_as_csv(b_path)
            if relative.suffix in (".csv", ".parquet") and b"probability" in a.split(b"\n", 1)[0]:
                agree, why = scores_agree(a, b)
            elif relative.suffix in (".json", ".lsm"):
                text_a, text_b = (x.rsplit(b"\nbytes ", 1)[0] if relative.suffix == ".lsm" else x for x in (a, b))
                agree, why, worst = json_agree(json.loads(text_a), json.loads(text_b))
                why = why if not agree else f"figures agree to {worst:.1e} (relative)"
            elif relative.suffix in (".md", ".html", ".sql", ".txt", ".svg"):
                agree, why, worst = text_agree(a, b)
                why = why if not agree else f"text equal, figures agree to {worst:.1e} (relative)"
            else:
                agree, why = False, "binary files differ"
            if agree:
                print(f"  close  {name}/{relative}: {why}")
                closes += 1
                continue
            print(f"  DIFFER {name}/{relative}: {why}")
            failures += 1
    if failures:
        print(f"{failures} outputs differ")
    elif closes:
        print(f"every output agrees; {closes} agree up to the last digits of their figures "
              f"(probabilities to {PROBABILITY_TOLERANCE:.0e}, other figures relatively to {RELATIVE_TOLERANCE:.0e}), "
              "with every score, band and MQL flag equal")
    else:
        print("every output is the same, byte for byte")
    if meant and not failures:
        print(f"{meant} outputs changed on purpose, as printed above")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
