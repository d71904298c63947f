"""Rule points with many rules: 10,000 rules (column tests of every kind and event rules) on
100,000 synthetic leads with their events, through `leadscore points`. Target: under 10 s.

    python3 bench/speed_points_rules.py [RULES] [LEADS]
"""
import sys

from common import BINARY, OUT, build_leadscore, machine, median_of_runs, run_measured

COLUMNS = {
    "industry": ["Software", "Healthcare", "Finance", "Retail", "Manufacturing", "Education"],
    "job_level": ["C-level", "VP", "Director", "Manager", "Individual", "Student"],
    "country": ["US", "UK", "DE", "FR", "NL", "IN"],
    "lead_source": ["Webinar", "Organic Search", "Paid Search", "Referral", "Trade Show"],
}
EVENTS = ["page_view", "email_open", "email_click", "download", "webinar", "form_submit"]


def rules_file(n, path):
    """Rules as a large team's rule set holds them: a few dozen broad ones (job level, industry,
    country, source), and thousands of narrow ones — a named account's e-mail domain, one page,
    one asset, one campaign e-mail — that each fire for few leads."""
    lines = []
    broad = [(column, value) for column, values in COLUMNS.items() for value in values]
    for k in range(n):
        lines += ["[[rules]]", f'name = "rule_{k}"', f"points = {(k % 21) - 10 or 5}"]
        if k < len(broad):
            column, value = broad[k]
            lines += [f'column = "{column}"', f'equals = "{value}"']
        elif k % 5 == 0:
            lines += ['column = "email"', f'domain_in = ["{list(COLUMNS["industry"])[k % 6].lower()}{k % 4000}.com"]']
        elif k % 5 == 1:
            lines += ['event = "page_view"', f'url_contains = ["/page-{k}"]', "within_days = 30"]
        elif k % 5 == 2 and k < len(broad) + 60:
            lines += ['event = "email_open"', f'email_id = "campaign-{k % 12 + 1:02d}"', 'count = "once"']
        elif k % 5 == 2:
            lines += ['event = "form_submit"', f'form_id = "form-{k}"']
        elif k % 5 == 3:
            lines += ['event = "download"', f'asset = "asset-{k}"', "count = \"each\"", "cap = 20"]
        else:
            lines += ['column = "email"', f'contains = "{k}@"']
        lines.append("")
    path.write_text("\n".join(lines))


def main():
    n_rules = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    n_leads = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    build_leadscore()
    data = OUT / f"points-{n_leads}"
    if not (data / "leads.csv").is_file():
        run_measured([BINARY, "synth", "--leads", n_leads, "--seed", 5, "--out", data])
    rules = OUT / f"rules-{n_rules}.toml"
    rules_file(n_rules, rules)
    out = OUT / "points-many-rules.csv"
    seconds, rss, *_ = median_of_runs(lambda: run_measured([
        BINARY, "points", "--rules", rules, "--data", data / "leads.csv", "--events", data / "events.csv",
        "--id", "lead_id", "--out", out,
    ]), [out])
    print(f"machine: {machine()}")
    print(f"{n_rules:,} rules on {n_leads:,} leads with their events: {seconds:.1f} s, {rss:.0f} MiB peak "
          f"(median of 3; target under 10 s)")


if __name__ == "__main__":
    main()
