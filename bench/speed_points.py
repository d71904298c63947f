"""Rule points on many leads: `leadscore points` beside the time polars needs just to read the
events file.

Generates N synthetic leads (default 1,000,000, about 10 events each) with `leadscore synth`,
then runs, one after the other:

  leadscore points --rules data/rules/example.toml --config data/synth.toml --data leads --events events
  python3 -c "polars.read_csv(events)"

and prints both wall times and peak RSS figures.

    python3 bench/speed_points.py [N]
"""
import sys

from common import OUT, BINARY, ROOT, build_leadscore, machine, run_measured


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    build_leadscore()
    data = OUT / f"synth-{n}"
    if not (data / "events.csv").is_file():
        run_measured([BINARY, "synth", "--leads", n, "--seed", 7, "--out", data])
    events_lines = sum(1 for _ in open(data / "events.csv")) - 1
    points_s, points_rss, _, stderr = run_measured([
        BINARY, "points", "--rules", ROOT / "data" / "rules" / "example.toml", "--config", ROOT / "data" / "synth.toml",
        "--data", data / "leads.csv", "--events", data / "events.csv", "--out", data / "points.csv",
    ])
    read_s, read_rss, _, _ = run_measured([sys.executable, "-c", f"import polars; polars.read_csv({str(data / 'events.csv')!r})"])
    auc = next((line.rsplit(" ", 1)[1] for line in stderr.splitlines() if "ROC AUC" in line), "n/a")
    print(f"machine: {machine()}")
    print(f"{n:,} leads, {events_lines:,} events ({(data / 'events.csv').stat().st_size / 2**20:.0f} MiB)")
    print(f"{'':34} {'seconds':>8} {'peak RSS MiB':>13}")
    print(f"{'polars.read_csv(events) alone':34} {read_s:8.1f} {read_rss:13.0f}")
    print(f"{'leadscore points (leads + events)':34} {points_s:8.1f} {points_rss:13.0f}")
    print(f"points / read ratio {points_s / read_s:.2f}; ROC AUC of points {auc}")


if __name__ == "__main__":
    main()
