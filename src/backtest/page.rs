//! The backtest's report folder: backtest.html (one self-contained page), backtest.md with its
//! charts in `charts/`, and backtest.json with its schema, written into place together.

use super::{Backtest, BacktestSettings, IntervalResult};
use crate::error::{Error, Result};
use crate::output::{thousands, AtomicFolder};
use crate::report::charts::{self, Chart};
use crate::report::document::{pct, Block, Table};
use crate::report::{html, markdown, Page};

/// Writes the folder; the page last.
pub fn write(settings: &BacktestSettings, backtest: &Backtest) -> Result<()> {
    let charts = charts(backtest)?;
    let blocks = blocks(backtest);
    let page = Page {
        title: "Backtest: retraining over time".into(),
        subject: backtest.data.clone(),
        byline: format!(
            "Leads {} · by {} · {}",
            backtest.data,
            super::by_word(backtest.by),
            Page::written(&backtest.generated_at, &backtest.leadscore_version)
        ),
        footer: "Every figure is in backtest.json beside this page (schema: backtest.schema.json).".into(),
    };
    let json =
        serde_json::to_string_pretty(backtest).map_err(|e| Error::Runtime(format!("writing backtest.json: {e}")))?;
    let mut folder = AtomicFolder::create(&settings.out)?;
    for chart in &charts {
        folder.write(&format!("charts/{}.svg", chart.name), chart.svg.as_bytes())?;
    }
    folder.write("backtest.json", json.as_bytes())?;
    folder.write("backtest.schema.json", super::SCHEMA.as_bytes())?;
    folder.write("backtest.md", markdown::render_page(&page, &blocks, &charts).as_bytes())?;
    folder.write("backtest.html", html::render_page(&page, &blocks, &charts).as_bytes())?;
    folder.publish()
}

/// An interval in words: `retrained every month`, `every 3 months`, `never retrained`.
fn interval_name(i: &IntervalResult, by: super::By) -> String {
    let word = super::by_word(by);
    match i.every {
        None => "trained once, never retrained".into(),
        Some(1) => format!("retrained every {word}"),
        Some(k) => format!("retrained every {k} {word}s"),
    }
}

fn charts(b: &Backtest) -> Result<Vec<Chart>> {
    let periods: Vec<String> = b.periods.iter().map(|p| p.period.clone()).collect();
    // Each interval keeps its colour whatever the others shown; never retrained is red.
    let colour = |i: &IntervalResult| {
        i.every
            .and_then(|k| super::INTERVALS.iter().position(|&x| x == k))
            .map_or(4, |p| [1, 2, 3, 5][p])
    };
    let auc: Vec<(String, usize, Vec<f64>)> = (b.intervals.iter())
        .map(|i| (interval_name(i, b.by), colour(i), i.roc_auc.clone()))
        .collect();
    let ece: Vec<(String, usize, Vec<f64>)> = (b.intervals.iter())
        .map(|i| (interval_name(i, b.by), colour(i), i.ece.clone()))
        .collect();
    Ok(vec![
        charts::period_lines(
            "auc",
            "ROC AUC per period: a frozen model against retrained ones",
            "ROC AUC of the score",
            &periods,
            &auc,
            false,
        )?,
        charts::period_lines(
            "ece",
            "Calibration error per period",
            "calibration error (ECE)",
            &periods,
            &ece,
            true,
        )?,
    ])
}

fn blocks(b: &Backtest) -> Vec<Block> {
    let word = super::by_word(b.by);
    let mut doc = vec![Block::Heading(2, "1. Recommendation".into())];
    let frozen = b.intervals.iter().find(|i| i.every.is_none());
    let every = b.intervals.iter().find(|i| i.every == Some(1));
    let mut figures = vec![
        (format!("{word}s replayed"), b.periods.len().to_string()),
        (
            "recommended retraining".to_string(),
            b.recommended_interval.map_or("when drift says so".into(), |k| {
                format!("every {k} {word}{}", if k == 1 { "" } else { "s" })
            }),
        ),
    ];
    if let (Some(f), Some(e)) = (frozen, every) {
        figures.push((
            "ROC AUC retrained every period".into(),
            format!("{:.4}", e.mean_roc_auc),
        ));
        figures.push(("ROC AUC never retrained".into(), format!("{:.4}", f.mean_roc_auc)));
    }
    doc.push(Block::Figures(figures));
    doc.push(Block::Paragraph(format!("{}.", capitalised(&b.recommendation))));
    doc.push(Block::Paragraph(format!(
        "How it was replayed: for each {word}, a model was trained with this config on the leads whose cutoff came \
         before the {word} began{} (events as of each lead's cutoff), and scored the leads created in that {word}. \
         Their outcomes are taken as known when the {word} began; where outcomes take longer to be known, the \
         figures are a little optimistic for every interval alike.",
        b.window.map_or(String::new(), |w| format!(
            " and were created in the {w} {word}s before it"
        ))
    )));
    doc.push(Block::Heading(2, "2. Decay and what retraining buys".into()));
    doc.push(Block::Charts(vec!["auc", "ece"]));
    let mut table = Table::new(
        &["retraining", "mean ROC AUC", "mean calibration error"],
        &[false, true, true],
    );
    for i in &b.intervals {
        table.push(
            vec![
                interval_name(i, b.by),
                format!("{:.4}", i.mean_roc_auc),
                pct(i.mean_ece),
            ],
            i.every == b.recommended_interval && b.recommended_interval.is_some(),
        );
    }
    doc.push(Block::Table(table));
    doc.push(Block::Heading(2, format!("3. {} by {word}", capitalised(word))));
    let mut periods = Table::new(
        &[
            word,
            "leads",
            "conversions",
            "trained on",
            "ROC AUC retrained",
            "ROC AUC frozen",
            "ECE retrained",
            "ECE frozen",
            "MQLs retrained",
            "MQL conversion retrained",
        ],
        &[false, true, true, true, true, true, true, true, true, true],
    );
    for p in &b.periods {
        periods.push(
            vec![
                p.period.clone(),
                thousands(p.leads),
                thousands(p.conversions),
                thousands(p.training_leads),
                format!("{:.4}", p.retrained.roc_auc),
                format!("{:.4}", p.frozen.roc_auc),
                pct(p.retrained.ece),
                pct(p.frozen.ece),
                thousands(p.retrained.mqls),
                if p.retrained.mqls > 0 {
                    pct(p.retrained.mql_conversions as f64 / p.retrained.mqls as f64)
                } else {
                    "–".into()
                },
            ],
            p.frozen.roc_auc < p.retrained.roc_auc - super::AUC_TOLERANCE,
        );
    }
    doc.push(Block::Table(periods));
    doc
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}
