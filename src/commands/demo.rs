//! `leadscore demo`: synthetic leads → trained model → scored new leads, with every file's path
//! printed.

use crate::cli::{DemoArgs, ScoreArgs, SynthArgs, TrainArgs};
use crate::error::{Error, Result};

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

/// Runs `demo`.
pub fn run(args: &DemoArgs) -> Result<()> {
    let data = args.out.join("data");
    let batch = args.out.join("new-leads");
    println!(
        "1/4 generating {} synthetic historical leads",
        super::thousands(args.leads)
    );
    super::synth::run(&SynthArgs {
        leads: args.leads,
        seed: args.seed,
        out: data.clone(),
    })?;
    let config = args.out.join("leadscore.toml");
    crate::output::write_atomically(&config, demo_config().as_bytes())?;

    println!("\n2/4 training a conversion model");
    let model = args.out.join("model.lsm");
    let artifact = super::train::run(&TrainArgs {
        data: data.join("leads.csv"),
        events: Some(data.join("events.csv")),
        config: Some(config.clone()),
        target: None,
        id: None,
        exclude: Vec::new(),
        as_of: None,
        split: None,
        seed: None,
        validation_data: None,
        rules: None,
        out: model.clone(),
    })?;
    if !artifact.training.validation.roc_auc.is_finite() {
        return Err(Error::Runtime("the demo model could not be validated".into()));
    }
    println!(
        "\n{}",
        super::inspect::render(&artifact, &model.display().to_string(), 5)
    );

    let new_leads = (args.leads / 10).max(100);
    println!("3/4 generating {} new leads to score", super::thousands(new_leads));
    super::synth::run(&SynthArgs {
        leads: new_leads,
        seed: args.seed.wrapping_add(1),
        out: batch.clone(),
    })?;
    println!("\n4/4 scoring them");
    let scored = args.out.join("scored.csv");
    super::score::run(&ScoreArgs {
        model: model.clone(),
        data: batch.join("leads.csv"),
        events: Some(batch.join("events.csv")),
        as_of: None,
        out: scored.clone(),
        rejects: None,
        keep: Vec::new(),
        fail_on_drift: false,
        batch_mib: 32,
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
        "  {}   the model file (see `leadscore inspect {}`)",
        model.display(),
        model.display()
    );
    Ok(())
}
