//! `leadscore synth`: synthetic leads with a planted truth.

use crate::cli::SynthArgs;
use crate::error::{Error, Result};

/// Runs `synth`.
pub fn run(args: &SynthArgs) -> Result<()> {
    if args.leads == 0 {
        return Err(Error::Usage("--leads must be at least 1".into()));
    }
    let started = std::time::Instant::now();
    let show_progress = args.leads >= 200_000 && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let planted = crate::synth::Planted {
        segments: args.segments,
        drift: args.drift,
        days_later: args.days_later,
    };
    let summary = crate::synth::generate(args.leads, args.seed, &args.out, args.format, planted, |done| {
        if show_progress {
            eprint!(
                "\r  generated {} of {} leads",
                crate::output::thousands(done),
                crate::output::thousands(args.leads)
            );
        }
    })?;
    if show_progress {
        eprintln!();
    }
    println!(
        "wrote {} leads ({} converted, {:.1} %) and {} events to {} in {:.1} s",
        crate::output::thousands(summary.leads),
        crate::output::thousands(summary.conversions),
        100.0 * summary.conversions as f64 / summary.leads as f64,
        crate::output::thousands(summary.events),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    match args.format {
        None => {
            println!(
                "  {}  one row per lead, outcome in `converted`, cutoff in `snapshot_at`",
                args.out.join("leads.csv").display()
            );
            println!("  {}  one row per activity", args.out.join("events.csv").display());
        }
        Some(tool) => {
            for (file, _) in crate::synth::export_files(tool) {
                println!("  {}", args.out.join(file).display());
            }
            println!("  train on them with: leadscore train --source {tool} --data … [--events …] --out model.lsm");
        }
    }
    println!(
        "  {}  the planted true conversion probability of each lead",
        args.out.join("truth.csv").display()
    );
    Ok(())
}
