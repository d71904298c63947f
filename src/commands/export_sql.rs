//! `leadscore export-sql`: a model file as one SQL query for DuckDB, PostgreSQL or Spark SQL.

use crate::artifact::ModelArtifact;
use crate::cli::ExportSqlArgs;
use crate::error::{Error, Location, Result};
use crate::sql::{export, Options, EVENT_COLUMNS};

/// Runs `export-sql`.
pub fn run(args: &ExportSqlArgs) -> Result<()> {
    crate::output::guard_outputs(&[(Some(&args.model), "--model")], &[(Some(&args.out), "--out")])?;
    if let Some(unknown) = args.event_columns.iter().find(|c| !EVENT_COLUMNS.contains(&c.as_str())) {
        return Err(Error::Usage(format!(
            "--event-columns: \"{unknown}\" is not an optional events column; they are {}",
            EVENT_COLUMNS.join(", ")
        )));
    }
    let artifact = ModelArtifact::load(&args.model)?;
    let rules = artifact.blended_rules(&args.model)?;
    let options = Options {
        table: &args.table,
        as_of: args.as_of.as_ref().map(|a| a.text.as_str()),
        events_table: args.events_table.as_deref(),
        event_columns: &args.event_columns,
    };
    let query = export(
        &artifact,
        rules.as_ref(),
        args.dialect,
        &options,
        &args.model.display().to_string(),
    )
    .map_err(|e| {
        Error::rejected(
            Location::file(&args.model),
            format!("cannot export this model: {}", e.0),
            "score it with `leadscore score`",
        )
    })?;
    crate::output::write_atomically(&args.out, query.as_bytes())?;
    println!(
        "wrote the {} scoring query of {} to {} (reads table {})",
        args.dialect.name(),
        args.model.display(),
        args.out.display(),
        args.table
    );
    Ok(())
}
