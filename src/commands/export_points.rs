//! `leadscore export-points`: a model as a points table (see [`crate::points_table`]), measured
//! against the model's scores on the leads given.

use super::Steps;
use crate::cli::ExportPointsArgs;
use crate::error::{Error, Result};
use crate::output::{guard_outputs, thousands};
use crate::points_table::{export, ExportSettings, Exported, Scale};

/// Runs `export-points` and returns the table with its fidelity.
pub fn run(args: &ExportPointsArgs) -> Result<Exported> {
    let inputs = &args.inputs;
    let mut read = vec![
        (Some(inputs.model.as_path()), "--model"),
        (Some(inputs.data.as_path()), "--data"),
    ];
    read.extend(super::each_file(&inputs.events, "--events"));
    guard_outputs(&read, &[(Some(&args.out), "--out")])?;
    if !(args.points_to_double.is_finite() && args.points_to_double > 0.0) {
        return Err(Error::Usage(format!(
            "--points-to-double {} must be a positive number of points, e.g. 20",
            args.points_to_double
        )));
    }
    if !args.base_points.is_finite() {
        return Err(Error::Usage("--base-points must be a number, e.g. 50".into()));
    }
    let settings = ExportSettings {
        model: inputs.model.clone(),
        data: inputs.data.clone(),
        events: inputs.events.clone(),
        as_of: inputs.as_of.as_ref().map(|a| a.seconds),
        segment: args.segment.clone(),
        scale: Scale {
            points_to_double: args.points_to_double,
            base_points: args.base_points,
        },
    };
    let exported = export(&settings, &Steps::new(false))?;
    crate::output::write_atomically(&args.out, exported.text.as_bytes())?;
    let (table, fidelity) = (&exported.table, &exported.fidelity);
    println!(
        "wrote the points table of {} to {} ({} rules, base {})",
        exported.model_name,
        args.out.display(),
        table.file.rules.len(),
        table.file.points.base.unwrap_or(0.0)
    );
    println!(
        "  on {} ({} leads): Spearman {:.4} with the model's score{}; {} leads ({:.1} %) change band",
        inputs.data.display(),
        thousands(fidelity.leads),
        fidelity.spearman,
        fidelity
            .roc_auc
            .map(|(p, s)| format!("; ROC AUC {p:.4} (the score: {s:.4})"))
            .unwrap_or_default(),
        thousands(fidelity.band_changes),
        100.0 * fidelity.band_changes as f64 / fidelity.leads as f64
    );
    if !table.left_out.is_empty() {
        let names: Vec<&str> = table.left_out.iter().map(|l| l.feature.as_str()).collect();
        println!("  left out: {} (see the file's header)", names.join(", "));
    }
    println!(
        "next: leadscore points --rules {} --data {} --out points.csv",
        args.out.display(),
        inputs.data.display()
    );
    Ok(exported)
}
