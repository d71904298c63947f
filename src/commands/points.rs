//! `leadscore points`: the marketing team's rule points for every lead, with the rules that
//! fired, written as CSV; a summary (leads per band, how often each rule fired, and how well
//! points separate converters when the file has an outcome) goes to standard error.

use super::Steps;
use crate::cli::PointsArgs;
use crate::data::events::{EventSource, ShapedEvents};
use crate::data::infer::MissingTokens;
use crate::data::{load_leads, parse_as_of, ColumnChoice, LeadTable};
use crate::error::{Error, Result};
use crate::output::{guard_outputs, thousands};
use crate::rules::engine::{score, Points};
use crate::rules::RuleSet;

/// Runs `points` and returns the points.
pub fn run(args: &PointsArgs) -> Result<Points> {
    let mut read = vec![
        (args.rules.as_deref(), "--rules"),
        (args.config.as_deref(), "--config"),
        (Some(args.data.as_path()), "--data"),
    ];
    read.extend(super::each_file(&args.events, "--events"));
    guard_outputs(&read, &[(Some(&args.out), "--out")])?;
    let steps = Steps::new(false);
    // The whole rules file validates before any lead is read.
    let (mut config, rules_in_config) = super::read_config(args.config.as_deref(), args.source)?;
    let (rules, rules_path) = match (&args.rules, rules_in_config) {
        (Some(path), _) => (RuleSet::load(path)?, path.clone()),
        (None, Some(rules)) => (rules, args.config.clone().unwrap_or_default()),
        (None, None) => {
            return Err(Error::Usage(
                "no rules: pass a rules file with --rules, or a --config with [[rules]]".into(),
            ))
        }
    };
    if args.id.is_some() {
        config.data.id = args.id.clone();
    }
    if let Some(as_of) = &args.as_of {
        config.data.as_of = Some(as_of.text.clone());
    }
    crate::data::require_files(&read[2..])?;
    if rules.needs_events() && args.events.is_empty() {
        return Err(Error::Usage(format!(
            "{} has event rules or inactivity decay: pass the events file with --events",
            rules_path.display()
        )));
    }
    // Without --as-of, leads without a snapshot are taken as of today (UTC): one cutoff a day.
    let as_of = Some(
        config
            .data
            .as_of
            .as_deref()
            .map(parse_as_of)
            .transpose()?
            .unwrap_or_else(crate::data::today),
    );
    let choice = ColumnChoice {
        target: config.data.target.clone(),
        id: config.data.id.clone(),
        ..Default::default()
    };
    let table = steps.step("reading leads", || {
        load_leads(&args.data, &choice, &config, false, as_of)
    })?;
    let missing = MissingTokens::new(&config.data.missing_values);
    let events = ShapedEvents::prepare_noted(&args.events, &config.events.files, &missing, &steps)?;
    let points = steps.step("scoring rules (one pass over the events)", || {
        score(
            &rules,
            &table,
            events.as_ref().map(|e| EventSource::File(e.path())),
            &missing,
        )
    })?;
    steps.step("writing points", || write_points(&args.out, &table, &rules, &points))?;
    eprint!("{}", summary(&rules, &table, &points));
    if let Some(line) = super::default_cutoff_line(args.as_of.is_some(), &config.data, config.data.snapshot.as_deref())
    {
        println!("{line}");
    }
    println!(
        "wrote points for {} leads to {}",
        thousands(table.n_rows),
        args.out.display()
    );
    Ok(points)
}

fn write_points(path: &std::path::Path, table: &LeadTable, rules: &RuleSet, points: &Points) -> Result<()> {
    let id_header = table.id_column.clone().unwrap_or_else(|| "row".to_string());
    crate::output::write_with(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record([id_header.as_str(), "points", "band", "mql", "rules"])?;
        for lead in 0..table.n_rows {
            let total = points.total[lead];
            writer.write_record([
                table.ids[lead].as_str(),
                &format!("{total}"),
                rules.file.bands.band_of(total),
                if total >= rules.file.bands.mql { "true" } else { "false" },
                &points.explain(rules, lead),
            ])?;
        }
        writer.flush()?;
        Ok(())
    })
}

/// Leads per band, MQLs, how often each rule fired, and the ROC AUC of points when the leads
/// have an outcome.
pub fn summary(rules: &RuleSet, table: &LeadTable, points: &Points) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let n = table.n_rows.max(1);
    let bands = &rules.file.bands;
    let _ = writeln!(out, "points summary ({} leads)", thousands(table.n_rows));
    for name in &bands.names {
        let count = points.total.iter().filter(|&&p| bands.band_of(p) == name).count();
        let _ = writeln!(
            out,
            "  {name:<12} {:>10} leads ({:.1} %)",
            thousands(count),
            100.0 * count as f64 / n as f64
        );
    }
    let mqls = points.total.iter().filter(|&&p| p >= bands.mql).count();
    let _ = writeln!(
        out,
        "  MQL (≥ {})  {:>10} leads ({:.1} %)",
        bands.mql,
        thousands(mqls),
        100.0 * mqls as f64 / n as f64
    );
    let _ = writeln!(out, "rules fired");
    // One pass over the leads (a rule fires once per lead at most).
    let mut fired = vec![0usize; rules.rules.len()];
    for lead in &points.fired {
        for &(rule, _) in lead {
            fired[rule] += 1;
        }
    }
    for (index, rule) in rules.rules.iter().enumerate() {
        let count = fired[index];
        let _ = writeln!(
            out,
            "  {:<28} {:>+6}  {:>10} leads",
            rule.rule.name,
            rule.rule.points,
            thousands(count)
        );
    }
    if rules.file.decay.is_some() {
        let count = points.decay.iter().filter(|&&d| d != 0.0).count();
        let _ = writeln!(
            out,
            "  {:<28} {:>6}  {:>10} leads",
            "inactivity decay",
            "",
            thousands(count)
        );
    }
    if let Some(outcome) = &table.outcome {
        if let Some(auc) = crate::metrics::roc_auc(outcome, &points.total) {
            let _ = writeln!(out, "points separate converters from the rest with ROC AUC {auc:.4}");
        }
    }
    out
}
