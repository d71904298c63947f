//! The comparison's report folder: compare.html (one self-contained page), compare.md with its
//! charts in `charts/`, compare.json with its schema, and scores.csv (each lead's score under
//! every model), written into place together.

use std::fmt::Write as _;

use super::{Challenge, CompareSettings, Comparison, ModelFigures};
use crate::error::{Error, Result};
use crate::output::{thousands, AtomicFolder};
use crate::report::charts::{self, Chart};
use crate::report::document::{pct, Block, Table};
use crate::report::{html, markdown, Page};

/// Writes the folder; the page last, so that when it is there everything it points to is too.
pub fn write(settings: &CompareSettings, comparison: &Comparison, scores_csv: &[u8]) -> Result<()> {
    let charts = charts(comparison)?;
    let blocks = blocks(comparison);
    let page = page(comparison);
    let json =
        serde_json::to_string_pretty(comparison).map_err(|e| Error::Runtime(format!("writing compare.json: {e}")))?;
    let mut folder = AtomicFolder::create(&settings.out)?;
    for chart in &charts {
        folder.write(&format!("charts/{}.svg", chart.name), chart.svg.as_bytes())?;
    }
    folder.write("compare.json", json.as_bytes())?;
    folder.write("compare.schema.json", super::SCHEMA.as_bytes())?;
    folder.write("scores.csv", scores_csv)?;
    folder.write("compare.md", markdown::render_page(&page, &blocks, &charts).as_bytes())?;
    folder.write("compare.html", html::render_page(&page, &blocks, &charts).as_bytes())?;
    folder.publish()
}

/// A model's short name: its file name.
fn name(m: &ModelFigures) -> String {
    std::path::Path::new(&m.model.file)
        .file_name()
        .map_or(m.model.file.clone(), |n| n.to_string_lossy().into_owned())
}

fn page(c: &Comparison) -> Page {
    let names: Vec<String> = c.models.iter().map(name).collect();
    Page {
        title: "Champion against challenger".into(),
        subject: names.join(" vs "),
        byline: format!(
            "Models {} · leads {} · {}",
            names.join(", "),
            c.data.file,
            Page::written(&c.generated_at, &c.leadscore_version)
        ),
        footer: "Every figure is in compare.json beside this page (schema: compare.schema.json). Each lead's score \
                 under every model is in scores.csv."
            .into(),
    }
}

fn charts(c: &Comparison) -> Result<Vec<Chart>> {
    let label = |m: &ModelFigures| format!("{} {} (AUC {:.3})", m.role, name(m), m.roc_auc);
    let roc: Vec<(String, Vec<(f64, f64)>)> = c.models.iter().map(|m| (label(m), m.roc_curve.clone())).collect();
    let gains: Vec<(String, Vec<(f64, f64)>)> = (c.models.iter())
        .map(|m| {
            let points = std::iter::once((0.0, 0.0))
                .chain(m.gains.iter().enumerate().map(|(k, &g)| ((k + 1) as f64 / 10.0, g)))
                .collect();
            (format!("{} {}", m.role, name(m)), points)
        })
        .collect();
    Ok(vec![
        charts::share_lines(
            "roc",
            "ROC curves of the scores",
            (
                "false positive rate (non-converters called)",
                "true positive rate (converters found)",
            ),
            &roc,
        )?,
        charts::share_lines(
            "gains",
            "Cumulative gains: conversions found by calling the top-scored leads first",
            ("share of leads called, top-scored first", "share of conversions found"),
            &gains,
        )?,
    ])
}

fn blocks(c: &Comparison) -> Vec<Block> {
    let mut doc = Vec::new();
    verdicts(c, &mut doc);
    side_by_side(c, &mut doc);
    // Challenger i is model i + 1.
    for (i, challenge) in c.challengers.iter().enumerate() {
        for_sales(c, i + 1, challenge, &mut doc);
        inside(c, i + 1, challenge, &mut doc);
    }
    doc
}

fn verdicts(c: &Comparison, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, "1. Verdict".into()));
    let champion = name(&c.models[0]);
    let mut figures = vec![
        ("leads compared".to_string(), thousands(c.data.leads)),
        ("conversions".to_string(), thousands(c.data.conversions)),
        ("champion (in use)".to_string(), champion.clone()),
    ];
    for (challenge, m) in c.challengers.iter().zip(&c.models[1..]) {
        figures.push((format!("{}: verdict", name(m)), challenge.verdict.clone()));
    }
    doc.push(Block::Figures(figures));
    for (challenge, m) in c.challengers.iter().zip(&c.models[1..]) {
        let text = format!(
            "{} against {champion}: {} — {}.",
            name(m),
            challenge.verdict,
            challenge.why
        );
        doc.push(if challenge.verdict == "promote" {
            Block::Paragraph(text)
        } else {
            Block::Warning(text)
        });
    }
    doc.push(Block::Paragraph(format!("The rule: {}.", c.verdict_rule)));
    if c.data.left_out > 0 {
        doc.push(Block::Warning(format!(
            "{} leads of the file could not be scored by every model and are left out of every figure.",
            thousands(c.data.left_out)
        )));
    }
    if c.data.conversions < 100 {
        doc.push(Block::Warning(format!(
            "Only {} conversions: every difference is uncertain, and the interval says how much.",
            c.data.conversions
        )));
    }
}

fn side_by_side(c: &Comparison, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, "2. Side by side".into()));
    doc.push(Block::Paragraph(
        "Each model scores the same leads. ROC AUC, PR AUC and KS are on the 0–100 score as sales rank by it; log \
         loss, Brier and calibration error on the calibrated probability (lower is better). The difference in ROC \
         AUC is paired: both models rank the same leads, so the interval is narrower than two separate ones would be."
            .into(),
    ));
    let mut headers = vec!["figure".to_string()];
    headers.extend(c.models.iter().map(|m| format!("{} {}", m.role, name(m))));
    let mut table = Table::new(
        &headers.iter().map(String::as_str).collect::<Vec<_>>(),
        &std::iter::once(false)
            .chain(c.models.iter().map(|_| true))
            .collect::<Vec<_>>(),
    );
    type Figure = fn(&ModelFigures) -> String;
    let rows: [(&str, Figure); 9] = [
        ("ROC AUC (score)", |m| format!("{:.4}", m.roc_auc)),
        ("ROC AUC (probability)", |m| format!("{:.4}", m.roc_auc_probability)),
        ("PR AUC", |m| format!("{:.4}", m.pr_auc)),
        ("log loss", |m| format!("{:.4}", m.log_loss)),
        ("Brier", |m| format!("{:.4}", m.brier)),
        ("calibration error (ECE)", |m| pct(m.ece)),
        ("KS", |m| format!("{:.3}", m.ks)),
        ("conversions in the top 10 %", |m| {
            pct(m.gains.first().copied().unwrap_or(0.0))
        }),
        ("score drift from training (PSI)", |m| format!("{:.3}", m.score_psi)),
    ];
    for (label, figure) in rows {
        let mut cells = vec![label.to_string()];
        cells.extend(c.models.iter().map(figure));
        table.push(cells, false);
    }
    doc.push(Block::Table(table));
    let mut paired = Table::new(
        &[
            "challenger",
            "ROC AUC difference",
            "95 % interval",
            "p-value",
            "ECE change",
            "verdict",
        ],
        &[false, true, false, true, true, false],
    );
    for (challenge, m) in c.challengers.iter().zip(&c.models[1..]) {
        let a = &challenge.roc_auc;
        paired.push(
            vec![
                name(m),
                format!("{:+.4}", a.difference),
                format!("{:+.4} to {:+.4}", a.low, a.high),
                format!("{:.3}", a.p_value),
                format!("{:+.1} points", challenge.ece_change * 100.0),
                challenge.verdict.clone(),
            ],
            challenge.verdict == "promote",
        );
    }
    doc.push(Block::Table(paired));
    doc.push(Block::Charts(vec!["roc", "gains"]));
    if let Some(segments) = &c.segments {
        by_segment(c, segments, doc);
    }
}

/// Every model on the leads of each segment of a model with segments.
fn by_segment(c: &Comparison, segments: &super::BySegment, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(
        3,
        format!("By \"{}\", the segments of {}", segments.column, segments.model),
    ));
    doc.push(Block::Paragraph(
        "Each model on the leads of each segment with a model of its own, and on the leads the shared model \
         scores (shared): does the challenger win on every product line, or only on the large ones? The \
         difference is paired on the segment's leads; a small segment has a wide interval. Highlighted: the \
         interval lies above zero."
            .into(),
    ));
    let mut headers = vec!["segment".to_string(), "leads".into(), "conversions".into()];
    headers.extend(c.models.iter().map(|m| format!("ROC AUC {}", name(m))));
    for m in &c.models[1..] {
        headers.push(format!("{} − champion", name(m)));
        headers.push("95 % interval".into());
    }
    headers.extend(c.models.iter().map(|m| format!("ECE {}", name(m))));
    let numeric: Vec<bool> = headers
        .iter()
        .enumerate()
        .map(|(k, h)| k > 0 && h != "95 % interval")
        .collect();
    let mut table = Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>(), &numeric);
    for row in &segments.rows {
        let mut cells = vec![row.segment.clone(), thousands(row.leads), thousands(row.conversions)];
        cells.extend(row.roc_auc.iter().map(|a| a.map_or("–".into(), |a| format!("{a:.4}"))));
        for paired in &row.paired {
            match paired {
                Some(p) => {
                    cells.push(format!("{:+.4}", p.difference));
                    cells.push(format!("{:+.4} to {:+.4}", p.low, p.high));
                }
                None => cells.extend(["–".to_string(), "–".to_string()]),
            }
        }
        cells.extend(row.ece.iter().map(|e| e.map_or("–".into(), pct)));
        let wins = row.paired.iter().flatten().any(|p| p.low > 0.0);
        table.push(cells, wins);
    }
    doc.push(Block::Table(table));
}

/// `i`: the challenger's place among the models (the champion is 0).
fn for_sales(c: &Comparison, i: usize, challenge: &Challenge, doc: &mut Vec<Block>) {
    let (a, b) = (&c.models[0], &c.models[i]);
    doc.push(Block::Heading(2, format!("3. What changes for sales with {}", name(b))));
    let mut mql = Table::new(
        &["model", "MQL threshold", "MQLs", "of them converted", "MQLs per week"],
        &[false, true, true, true, true],
    );
    for m in [a, b] {
        mql.push(
            vec![
                format!("{} {}", m.role, name(m)),
                format!("{:.0}", m.model.mql_threshold),
                thousands(m.mqls),
                if m.mqls > 0 {
                    pct(m.mql_conversions as f64 / m.mqls as f64)
                } else {
                    "–".into()
                },
                m.mqls_per_week.map_or("–".into(), |w| format!("{w:.1}")),
            ],
            false,
        );
    }
    doc.push(Block::Table(mql));
    let t = &challenge.transitions;
    doc.push(Block::Paragraph(format!(
        "Band moves: leads in each band of the champion (rows) and of the challenger (columns). {} leads become MQLs \
         and {} stop being MQLs.",
        thousands(t.became_mql),
        thousands(t.left_mql)
    )));
    let mut headers = vec!["champion ↓ / challenger →".to_string()];
    headers.extend(t.to.iter().cloned());
    let mut matrix = Table::new(
        &headers.iter().map(String::as_str).collect::<Vec<_>>(),
        &std::iter::once(false)
            .chain(t.to.iter().map(|_| true))
            .collect::<Vec<_>>(),
    );
    for (name, row) in t.from.iter().zip(&t.counts) {
        let mut cells = vec![name.clone()];
        cells.extend(row.iter().map(|&n| thousands(n)));
        matrix.push(cells, false);
    }
    doc.push(Block::Table(matrix));
    let m = &challenge.movers;
    let rate = |converted: usize, of: usize| {
        if of == 0 {
            "–".to_string()
        } else {
            pct(converted as f64 / of as f64)
        }
    };
    doc.push(Block::Paragraph(format!(
        "{} leads move up by more than {:.0} points ({} of them converted) and {} move down ({} converted): a good \
         challenger moves converters up and the others down. The largest moves, with the reasons under each model:",
        thousands(m.up),
        m.points,
        rate(m.up_converted, m.up),
        thousands(m.down),
        rate(m.down_converted, m.down)
    )));
    let mut movers = Table::new(
        &[
            "lead",
            "converted",
            "champion",
            "challenger",
            "reasons (champion)",
            "reasons (challenger)",
        ],
        &[false, false, true, true, false, false],
    );
    for lead in &m.leads {
        movers.push(
            vec![
                lead.lead.clone(),
                if lead.converted { "yes" } else { "no" }.into(),
                format!("{:.0}", lead.champion_score),
                format!("{:.0}", lead.challenger_score),
                lead.champion_reasons.clone(),
                lead.challenger_reasons.clone(),
            ],
            lead.converted == (lead.challenger_score > lead.champion_score),
        );
    }
    if !m.leads.is_empty() {
        doc.push(Block::Table(movers));
    }
}

/// `i`: the challenger's place among the models (the champion is 0).
fn inside(c: &Comparison, i: usize, challenge: &Challenge, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(
        2,
        format!("4. What changed inside {}", name(&c.models[i])),
    ));
    let ch = &challenge.changes;
    let mut text = String::new();
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = write!(
        text,
        "Features added: {}. Features dropped: {}.",
        list(&ch.features_added),
        list(&ch.features_dropped)
    );
    if !ch.rules.is_empty() {
        let _ = write!(text, " Rules in the blend: {}.", ch.rules.join("; "));
    }
    doc.push(Block::Paragraph(text));
    if ch.inputs.is_empty() {
        doc.push(Block::Paragraph(
            "No model input's weight moved by 0.005 log-odds or more.".into(),
        ));
        return;
    }
    doc.push(Block::Paragraph(
        "The model inputs whose weight moved most (log-odds; for numbers per standard deviation of each model's \
         training leads; – where a model has no such input):"
            .into(),
    ));
    let mut table = Table::new(
        &["input", "champion", "challenger", "change"],
        &[false, true, true, true],
    );
    let shown = |w: Option<f64>| w.map_or("–".to_string(), |w| format!("{w:+.3}"));
    for input in &ch.inputs {
        table.push(
            vec![
                input.input.clone(),
                shown(input.champion),
                shown(input.challenger),
                format!(
                    "{:+.3}",
                    input.challenger.unwrap_or(0.0) - input.champion.unwrap_or(0.0)
                ),
            ],
            false,
        );
    }
    doc.push(Block::Table(table));
}
