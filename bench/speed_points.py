"""Rule points on many leads: `leadscore points` beside the time polars needs just to read the
events file.

Generates N synthetic leads (default 1,000,000, about 10 events each) with `leadscore synth`,
writes the events twice over into a second file (about 20 events per lead, 20 M events), then
runs, one after the other, for both events files:

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
    doubled = data / "events-x2.csv"
    if not doubled.is_file():
        # Streamed, so that this process stays small: a child's peak RSS counts what it
        # shared with this process before exec.
        with open(doubled, "w") as out:
            for copy in range(2):
                with open(data / "events.csv") as source:
                    header = source.readline()
                    if copy == 0:
                        out.write(header)
                    for line in source:
                        out.write(line)
    print(f"machine: {machine()}")
    print(f"{'':46} {'seconds':>8} {'peak RSS MiB':>13}")
    for events in [data / "events.csv", doubled]:
        events_lines = sum(1 for _ in open(events)) - 1
        points_s, points_rss, _, stderr = run_measured([
            BINARY, "points", "--rules", ROOT / "data" / "rules" / "example.toml", "--config", ROOT / "data" / "synth.toml",
            "--data", data / "leads.csv", "--events", events, "--out", data / "points.csv",
        ])
        read_s, read_rss, _, _ = run_measured([sys.executable, "-c", f"import polars; polars.read_csv({str(events)!r})"])
        auc = next((line.rsplit(" ", 1)[1] for line in stderr.splitlines() if "ROC AUC" in line), "n/a")
        label = f"{n / 1e6:g} M leads, {events_lines / 1e6:.1f} M events ({events.stat().st_size / 2**20:.0f} MiB)"
        print(label)
        print(f"  {'polars.read_csv(events) alone':44} {read_s:8.1f} {read_rss:13.0f}")
        print(f"  {'leadscore points (leads + events + rules)':44} {points_s:8.1f} {points_rss:13.0f}")
        print(f"  points / read time {points_s / read_s:.2f}; ROC AUC of points {auc}")


if __name__ == "__main__":
    main()
