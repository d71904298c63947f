"""Scoring leads with their events: time and peak memory of `leadscore score` when the leads take
many batches (the events split by batch on disk first) beside reading the leads in one batch (the
events streamed once), and that both give the same bytes.

Trains on 1,000,000 synthetic leads with their ~10 M events and the example rules, then scores
those leads both ways. With --10m it also generates 10,000,000 leads with ~100 M events (7 GB on
disk, about a minute) and scores them in batches, for peak memory.

    python3 bench/speed_score_events.py [--10m]
"""
import filecmp
import sys

from common import BINARY, OUT, ROOT, build_leadscore, machine, run_measured


def synth(n):
    data = OUT / f"synth-{n}"
    if not (data / "events.csv").is_file():
        run_measured([BINARY, "synth", "--leads", n, "--seed", 7, "--out", data])
    return data


def score(model, data, out, *extra):
    out.unlink(missing_ok=True)
    seconds, rss, _, _ = run_measured([
        BINARY, "score", "--model", model, "--data", data / "leads.csv", "--events", data / "events.csv",
        "--as-of", "2026-01-01", "--out", out, *extra,
    ])
    return seconds, rss


def main():
    build_leadscore()
    history = synth(1_000_000)
    model = OUT / "synth-events.lsm"
    train_s, train_rss, _, _ = run_measured([
        BINARY, "train", "--config", ROOT / "data" / "synth.toml", "--rules", ROOT / "data" / "rules" / "example.toml",
        "--data", history / "leads.csv", "--events", history / "events.csv", "--out", model,
    ])
    events_mib = (history / "events.csv").stat().st_size / 2**20
    print(f"machine: {machine()}")
    print(f"1,000,000 synthetic leads with their events ({events_mib:.0f} MiB), example rules blended")
    print(f"  {'':52} {'seconds':>8} {'peak RSS MiB':>13}")
    print(f"  {'train (events streamed, never held)':52} {train_s:8.1f} {train_rss:13.0f}")
    whole, batched = OUT / "synth-events.whole.csv", OUT / "synth-events.batched.csv"
    s, rss = score(model, history, whole, "--batch-mib", "100000")
    print(f"  {'score, leads in one batch, events streamed once':52} {s:8.1f} {rss:13.0f}")
    s, rss = score(model, history, batched)
    print(f"  {'score, leads in 32 MiB batches, events split by batch':52} {s:8.1f} {rss:13.0f}")
    same = filecmp.cmp(whole, batched, shallow=False)
    print(f"  the same scores both ways: {'yes' if same else 'NO'}")
    if "--10m" in sys.argv:
        big = synth(10_000_000)
        events_gib = (big / "events.csv").stat().st_size / 2**30
        s, rss = score(model, big, OUT / "synth-events-10m.csv")
        print(f"10,000,000 leads with their events ({events_gib:.1f} GiB): {s:.1f} s, peak RSS {rss:.0f} MiB (target < 1024)")
    if not same:
        sys.exit("the batched scores differ")


if __name__ == "__main__":
    main()
