//! `leadscore inspect`: what a model file holds, for people or as JSON.

use serde::Serialize;

use crate::artifact::{Factor, ModelArtifact};
use crate::cli::InspectArgs;
use crate::error::{Error, Result};

#[derive(Serialize)]
struct InspectJson<'a> {
    model_file: String,
    factors: Vec<Factor>,
    /// Each shaped number's curve: (value, log-odds against a lead at its median).
    curves: Vec<Curve>,
    artifact: &'a ModelArtifact,
}

#[derive(Serialize)]
struct Curve {
    feature: String,
    points: Vec<(f64, f64)>,
}

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<()> {
    let artifact = ModelArtifact::load(&args.model)?;
    if args.json {
        let json = InspectJson {
            model_file: args.model.display().to_string(),
            factors: artifact.factors(),
            curves: (0..artifact.pipeline.steps.len())
                .filter_map(|s| {
                    Some(Curve {
                        feature: artifact.pipeline.steps[s].feature.clone(),
                        points: crate::describe::curve(&artifact, s)?,
                    })
                })
                .collect(),
            artifact: &artifact,
        };
        let text =
            serde_json::to_string_pretty(&json).map_err(|e| Error::Runtime(format!("cannot write JSON: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    print!(
        "{}",
        crate::describe::describe(&artifact, &args.model.display().to_string(), args.top)
    );
    Ok(())
}
