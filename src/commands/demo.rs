//! `leadscore demo`: synthetic leads → trained model → scored new leads, with every file's path
//! printed.

use crate::cli::{DemoArgs, EvaluateArgs, ModelInputs, ScoreArgs, SynthArgs, TrainArgs};
use crate::error::{Error, Result};
use crate::report::WorkPeriod;

/// The config the demo trains with: the synthetic data's columns, and its competitors.
pub fn demo_config() -> String {
    format!(
        "# leadscore config for `leadscore synth` data\n\
         [data]\ntarget = \"converted\"\nid = \"lead_id\"\nsnapshot = \"snapshot_at\"\ntime = \"created_at\"\n\n\
         [features]\ncompetitor_domains = [{}]\n",
        crate::synth::COMPETITORS
            .iter()
            .map(|d| format!("\"{d}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The marketing team's rules the demo blends in: the example rules of the repository.
pub const DEMO_RULES: &str = include_str!("../../data/rules/example.toml");

/// Sales capacity the demo's report plans for: leads a week.
const DEMO_CAPACITY: f64 = 5.0;

/// Runs `demo`.
pub fn run(args: &DemoArgs) -> Result<()> {
    let data = args.out.join("data");
    let batch = args.out.join("new-leads");
    println!(
        "1/5 generating {} synthetic historical leads",
        crate::output::thousands(args.leads)
    );
    super::synth::run(&SynthArgs {
        leads: args.leads,
        seed: args.seed,
        out: data.clone(),
        format: None,
        segments: false,
        drift: false,
        days_later: 0,
    })?;
    let config = args.out.join("leadscore.toml");
    crate::output::write_atomically(&config, demo_config().as_bytes())?;
    let rules = args.out.join("rules.toml");
    crate::output::write_atomically(&rules, DEMO_RULES.as_bytes())?;

    println!("\n2/5 training a conversion model, blended with the example rule points");
    let model = args.out.join("model.lsm");
    let artifact = super::train::run(&TrainArgs {
        data: data.join("leads.csv"),
        events: vec![data.join("events.csv")],
        source: None,
        config: Some(config.clone()),
        target: None,
        id: None,
        exclude: Vec::new(),
        as_of: None,
        split: None,
        seed: None,
        validation_data: None,
        rules: Some(rules.clone()),
        out: model.clone(),
    })?;
    if !artifact.training.validation.roc_auc.is_finite() {
        return Err(Error::Runtime("the demo model could not be validated".into()));
    }
    println!(
        "\n{}",
        crate::describe::describe(&artifact, &model.display().to_string(), 5)
    );

    let new_leads = (args.leads / 4).max(100);
    println!(
        "3/5 generating {} new leads to score",
        crate::output::thousands(new_leads)
    );
    super::synth::run(&SynthArgs {
        leads: new_leads,
        seed: args.seed.wrapping_add(1),
        out: batch.clone(),
        format: None,
        segments: false,
        drift: false,
        days_later: 0,
    })?;
    println!("\n4/5 scoring them");
    let scored = args.out.join("scored.csv");
    super::score::run(&ScoreArgs {
        inputs: ModelInputs {
            model: model.clone(),
            data: batch.join("leads.csv"),
            events: vec![batch.join("events.csv")],
            as_of: None,
        },
        out: scored.clone(),
        rejects: None,
        keep: Vec::new(),
        fail_on_drift: false,
        batch_mib: 32,
        previous: None,
        triggers: None,
        trigger_on: Vec::new(),
        min_change: 0.0,
        explain: false,
        closed: None,
        closed_values: Vec::new(),
        closed_list: None,
        adjustments: None,
    })?;
    println!("\n5/5 evaluating the scores against the new leads' outcomes");
    let report = args.out.join("report");
    super::evaluate::run(&EvaluateArgs {
        inputs: ModelInputs {
            model: model.clone(),
            data: batch.join("leads.csv"),
            events: vec![batch.join("events.csv")],
            as_of: None,
        },
        rules: None,
        out: report.clone(),
        capacity: Some(DEMO_CAPACITY),
        period: WorkPeriod::Week,
        segment_capacity: Vec::new(),
        periods: None,
        compare_column: None,
        adjustments: None,
    })?;
    println!();
    println!("everything is in {}:", args.out.display());
    println!("  {}   synthetic leads, events and the planted truth", data.display());
    println!("  {}   the config the model was trained with", config.display());
    println!(
        "  {}   new leads, scored 0–100 with band, MQL flag and reasons",
        scored.display()
    );
    println!(
        "  {}   the report for the sales and marketing meeting (also report.md, report.json)",
        report.join("report.html").display()
    );
    println!(
        "  {}   the model file (see `leadscore inspect {}`)",
        model.display(),
        model.display()
    );
    Ok(())
}
