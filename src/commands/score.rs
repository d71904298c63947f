//! `leadscore score`: a new batch of leads in, one calibrated 0–100 score per lead out, with
//! percentile, band, MQL flag, fit and engagement, and the reasons; rows that cannot be scored
//! go to a rejects file with their line and reason.

use crate::artifact::ModelArtifact;
use crate::cli::ScoreArgs;
use crate::data::require_files;
use crate::error::Result;
use crate::output::{guard_outputs, thousands};
use crate::scoring::changes::{Status, Triggers};
use crate::scoring::{default_closed_path, default_rejects_path, score_file, Closed, ScoreSettings, ScoreSummary};

/// Runs `score`.
pub fn run(args: &ScoreArgs) -> Result<ScoreSummary> {
    let started = std::time::Instant::now();
    let rejects = args.rejects.clone().unwrap_or_else(|| default_rejects_path(&args.out));
    let closed_list = args
        .closed_list
        .clone()
        .unwrap_or_else(|| default_closed_path(&args.out));
    let inputs = &args.inputs;
    let mut read = vec![
        (Some(inputs.model.as_path()), "--model"),
        (Some(inputs.data.as_path()), "--data"),
        (args.previous.as_deref(), "--previous"),
        (args.adjustments.as_deref(), "--adjustments"),
    ];
    read.extend(super::each_file(&inputs.events, "--events"));
    guard_outputs(
        &read,
        &[
            (Some(&args.out), "--out"),
            (Some(&rejects), "--rejects"),
            (args.triggers.as_deref(), "--triggers"),
            (Some(&closed_list), "--closed-list"),
        ],
    )?;
    if !args.closed_values.is_empty() && args.closed.is_none() {
        return Err(crate::error::Error::Usage(
            "--closed-values needs --closed COLUMN: the column whose values they are".into(),
        ));
    }
    if !(args.min_change.is_finite() && args.min_change >= 0.0) {
        return Err(crate::error::Error::Usage(format!(
            "--min-change {}: give the points a score must move, e.g. --min-change 10",
            args.min_change
        )));
    }
    let artifact = ModelArtifact::load(&args.inputs.model)?;
    require_files(&read[1..])?;
    let data = &artifact.config.data;
    // The model's own [data] closed applies to files that have the column; --closed must.
    let from_model = data.closed.clone().filter(|column| {
        let present = crate::data::read::column_names(&args.inputs.data).is_ok_and(|names| names.contains(column));
        if !present && args.closed.is_none() {
            eprintln!(
                "note: the model's [data] closed names \"{column}\", which {} does not have: every lead is scored",
                args.inputs.data.display()
            );
        }
        present
    });
    let closed = args.closed.clone().or(from_model).map(|column| Closed {
        values: if !args.closed_values.is_empty() {
            args.closed_values.clone()
        } else if Some(&column) == data.closed.as_ref() {
            data.closed_values.clone()
        } else {
            Vec::new()
        },
        list: closed_list.clone(),
        column,
    });
    let settings = ScoreSettings {
        model_path: args.inputs.model.clone(),
        data: args.inputs.data.clone(),
        events: args.inputs.events.clone(),
        as_of: args.inputs.as_of.as_ref().map(|a| a.seconds),
        out: args.out.clone(),
        rejects,
        keep: args.keep.clone(),
        batch_bytes: args.batch_mib.max(1) as usize * 1024 * 1024,
        previous: args.previous.clone(),
        triggers: args.triggers.as_ref().map(|path| Triggers {
            path: path.clone(),
            on: args.trigger_on.clone(),
            min_change: args.min_change,
        }),
        explain: args.explain,
        closed,
        adjustments: args.adjustments.clone(),
    };
    let scored = score_file(&artifact, &settings, &super::ProgressBar::new())?;
    eprintln!("{}", scored.drift.describe());
    let scored = if args.fail_on_drift {
        scored.refuse_drift(&args.inputs.data)?
    } else {
        scored
    };
    let summary = scored.summary.clone();
    scored.publish()?;
    println!(
        "scored {} leads ({} MQLs at score ≥ {}) → {} in {:.1} s",
        thousands(summary.scored),
        thousands(summary.mqls),
        artifact.scorer.bands.mql,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    let snapshot = artifact.schema.snapshot_column.as_deref();
    if let Some(line) = super::default_cutoff_line(inputs.as_of.is_some(), &artifact.config.data, snapshot) {
        println!("{line}");
    }
    if let (Some(statuses), Some(previous)) = (summary.statuses, &args.previous) {
        let counted: Vec<String> = (Status::ALL.iter().zip(statuses))
            .map(|(status, n)| format!("{} {}", thousands(n), status.word()))
            .collect();
        let whose = match &summary.other_bands {
            None => "the same bands".to_string(),
            Some(bands) => format!(
                "another model's bands, {}: its scores placed on this model's cut points",
                bands.join(", ")
            ),
        };
        println!("since {} ({whose}): {}", previous.display(), counted.join(", "));
        if let Some(path) = &args.triggers {
            println!(
                "triggers: {} leads ({}) → {}",
                thousands(summary.triggers),
                args.trigger_on.iter().map(|s| s.word()).collect::<Vec<_>>().join(", "),
                path.display()
            );
        }
    }
    if let (Some((counted, expired)), Some(path)) = (summary.adjustments, &args.adjustments) {
        println!(
            "sales' adjustments: {} counted, {} expired, from {}",
            thousands(counted),
            thousands(expired),
            path.display()
        );
    }
    if let Some(closed) = &settings.closed {
        println!(
            "closed: {} leads (\"{}\" {}) not scored, listed in {}",
            thousands(summary.closed),
            closed.column,
            if closed.values.is_empty() {
                "yes".to_string()
            } else {
                closed.values.join(" / ")
            },
            closed.list.display()
        );
    }
    if summary.repeated_ids > 0 {
        eprintln!(
            "warning: {} leads have an id that an earlier lead of {} has; each was scored as it is",
            thousands(summary.repeated_ids),
            args.inputs.data.display()
        );
    }
    if summary.rejected > 0 {
        eprintln!(
            "warning: {} leads could not be scored and were written to {} with the reason",
            thousands(summary.rejected),
            settings.rejects.display()
        );
    }
    Ok(summary)
}
