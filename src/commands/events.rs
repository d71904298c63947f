//! `leadscore events`: activity exports read as `train` and `score` read them, written as one
//! file of the events form — to check how a shape reads a file, or to load the events table
//! `export-sql` reads.

use crate::artifact::ModelArtifact;
use crate::cli::EventsArgs;
use crate::config::Config;
use crate::data::events::ShapedEvents;
use crate::data::infer::MissingTokens;
use crate::error::Result;
use crate::output::guard_outputs;

/// Runs `events`.
pub fn run(args: &EventsArgs) -> Result<()> {
    let mut read = vec![(args.config.as_deref(), "--config"), (args.model.as_deref(), "--model")];
    read.extend(super::each_file(&args.events, "--events"));
    guard_outputs(&read, &[(Some(&args.out), "--out")])?;
    let config = match (&args.model, &args.config) {
        (Some(model), _) => ModelArtifact::load(model)?.config,
        (None, Some(path)) => Config::parse_with(&Config::read_text(path)?, path, args.source)?,
        (None, None) => Config::from_source(args.source)?,
    };
    crate::data::require_files(&read[2..])?;
    let missing = MissingTokens::new(&config.data.missing_values);
    let shaped = ShapedEvents::rewrite(&args.events, &config.events.files, &missing)?;
    crate::output::write_with(&args.out, |out| {
        let mut file = std::fs::File::open(shaped.path())?;
        std::io::copy(&mut file, out).map(|_| ())
    })?;
    for file in &shaped.files {
        eprintln!("  {file}");
    }
    let events: usize = shaped.files.iter().map(|f| f.events).sum();
    println!(
        "wrote {} events to {}",
        crate::output::thousands(events),
        args.out.display()
    );
    Ok(())
}
