//! The report as a document: headings, sentences, tables and charts in reading order, built
//! once from a [`Report`] and rendered to HTML by [`super::html`] and to Markdown by
//! [`super::markdown`], so both say the same thing.

use super::audit::RuleAudit;
use super::{Report, ScoreKind, ScoreMetrics};

/// One piece of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading (level 2) or sub-heading (level 3).
    Heading(u8, String),
    /// A paragraph of plain text.
    Paragraph(String),
    /// Something a reviewer must not miss.
    Warning(String),
    /// Headline figures: (label, value).
    Figures(Vec<(String, String)>),
    /// A table.
    Table(Table),
    /// Charts side by side, by name (see [`super::charts`]).
    Charts(Vec<&'static str>),
}

/// A table; cells are plain text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    /// Rows to highlight (same length as `rows`).
    pub highlight: Vec<bool>,
    /// Columns of numbers (right-aligned).
    pub numeric: Vec<bool>,
}

impl Table {
    /// A table with these headers; `numeric` columns are right-aligned.
    pub fn new(headers: &[&str], numeric: &[bool]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            numeric: numeric.to_vec(),
            ..Table::default()
        }
    }

    /// A row; a highlighted one stands out.
    pub fn push(&mut self, row: Vec<String>, highlight: bool) {
        self.rows.push(row);
        self.highlight.push(highlight);
    }
}

/// A share as a percentage: `12.3 %`.
pub fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_else(|| "–".into())
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| format!("{x:.decimals$}")).unwrap_or_else(|| "–".into())
}

/// 1234567 → `1,234,567`.
pub fn count(n: usize) -> String {
    crate::output::thousands(n)
}

/// The whole report in reading order.
pub fn build(report: &Report) -> Vec<Block> {
    let mut doc = Vec::new();
    headline(report, &mut doc);
    reliability(report, &mut doc);
    separation(report, &mut doc);
    bands(report, &mut doc);
    capacity(report, &mut doc);
    if let Some(audit) = &report.rule_audit {
        rule_audit(audit, &mut doc);
    }
    factors(report, &mut doc);
    drift(report, &mut doc);
    if let Some(section) = &report.segments {
        segments(section, &report.capacity, &mut doc);
    }
    doc
}

fn segments(section: &super::SegmentsSection, capacity: &super::Capacity, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, format!("9. Segments by \"{}\"", section.column)));
    doc.push(Block::Paragraph(format!(
        "Each segment's leads are scored by its own model, pulled toward the shared one in training; leads of \
         segments too small or unseen in training by the shared model. ROC AUC by the shared model alone, on \
         the same leads, shows what the segment's own model adds. MQLs per {} are each segment's MQLs over \
         the {:.1} {}s these leads cover ({}): what each product line's sales team gets.",
        capacity.period, capacity.periods, capacity.period, capacity.periods_from
    )));
    let per_period = format!("MQLs per {}", capacity.period);
    let mut table = Table::new(
        &[
            "segment",
            "leads",
            "conversions",
            "conversion",
            "mean score",
            "ROC AUC",
            "ROC AUC, shared model",
            "PR AUC",
            "ECE",
            "MQLs",
            &per_period,
            "MQL conversion",
        ],
        &[false, true, true, true, true, true, true, true, true, true, true, true],
    );
    for row in &section.rows {
        let better = row
            .roc_auc
            .zip(row.shared_roc_auc)
            .is_some_and(|(own, shared)| own > shared);
        table.push(
            vec![
                row.segment.clone(),
                count(row.leads),
                count(row.conversions),
                pct(row.conversions as f64 / row.leads.max(1) as f64),
                format!("{:.1}", 100.0 * row.mean_probability),
                opt(row.roc_auc, 4),
                opt(row.shared_roc_auc, 4),
                opt(row.pr_auc, 4),
                opt_pct(row.ece),
                count(row.mqls),
                format!("{:.1}", row.mqls as f64 / capacity.periods),
                if row.mqls > 0 {
                    pct(row.mql_conversions as f64 / row.mqls as f64)
                } else {
                    "–".into()
                },
            ],
            better,
        );
    }
    doc.push(Block::Table(table));
    segment_capacity(section, capacity, doc);
    doc.push(Block::Heading(3, "Calibration and gains in each segment".into()));
    doc.push(Block::Paragraph(format!(
        "Left: each segment's leads grouped by their probability in steps of 10 points, the mean score of a \
         group against the share of it that converted (on the grey diagonal, a score means what it says in \
         that segment too; groups of fewer than {} leads are left out). Right: the share of a segment's \
         conversions found by calling its top-scored leads first.",
        super::charts::SEGMENT_BIN_LEADS
    )));
    doc.push(Block::Charts(vec!["segment_reliability", "segment_gains"]));
    let mut gains = Table::new(
        &[
            "segment",
            "conversions in top 10 %",
            "top 20 %",
            "top 30 %",
            "top 50 %",
            "lift, top 10 %",
        ],
        &[false, true, true, true, true, true],
    );
    for row in &section.rows {
        let found =
            |deciles: usize| (row.gains.get(deciles - 1)).map_or("–".to_string(), |g| pct(g.cumulative_conversions));
        gains.push(
            vec![
                row.segment.clone(),
                found(1),
                found(2),
                found(3),
                found(5),
                row.gains.first().map_or("–".to_string(), |g| format!("{:.2}×", g.lift)),
            ],
            false,
        );
    }
    doc.push(Block::Table(gains));
    if section.rows.iter().any(|r| !r.differs.is_empty()) {
        doc.push(Block::Heading(
            3,
            "Where each segment's model differs from the shared one".into(),
        ));
        doc.push(Block::Paragraph(
            "The inputs whose weight (log-odds) moved most in each segment's model, beside the shared model's \
             weight: what the segment's leads taught its model that the others did not. Highlighted: the \
             segment's weight goes the other way."
                .into(),
        ));
        let mut differs = Table::new(
            &["segment", "input", "shared model", "segment's model"],
            &[false, false, true, true],
        );
        for row in &section.rows {
            for (k, d) in row.differs.iter().enumerate() {
                let segment = if k == 0 { row.segment.clone() } else { String::new() };
                differs.push(
                    vec![
                        segment,
                        d.input.clone(),
                        format!("{:+.3}", d.shared),
                        format!("{:+.3}", d.own),
                    ],
                    d.shared.signum() != d.own.signum(),
                );
            }
        }
        doc.push(Block::Table(differs));
    }
    segment_rules(section, doc);
    if section.rows.iter().any(|r| r.score_psi.is_some()) {
        doc.push(Block::Heading(3, "Drift in each segment".into()));
        doc.push(Block::Paragraph(
            "PSI of each segment's score against its own training leads: a product line whose leads changed \
             shows here even when all leads together look stable. Below 0.1 stable; from 0.1 watch; from 0.25 \
             retrain or recalibrate."
                .into(),
        ));
        let mut drift = Table::new(&["segment", "leads", "score PSI", "level"], &[false, true, true, false]);
        for row in &section.rows {
            if let Some(psi) = row.score_psi {
                let level = super::drift_level(psi);
                drift.push(
                    vec![row.segment.clone(), count(row.leads), format!("{psi:.3}"), level.into()],
                    level != "stable",
                );
            }
        }
        doc.push(Block::Table(drift));
    }
    doc.push(Block::Heading(3, "Bands and MQLs in each segment".into()));
    doc.push(Block::Paragraph(
        "Each lead in the band score gave it: a segment with bands of its own ([[segments.override]]) by its \
         own cut points, shown in its rows."
            .into(),
    ));
    let mut bands = Table::new(
        &[
            "segment",
            "band",
            "scores",
            "leads",
            "share of leads",
            "conversions",
            "conversion",
            "mean score",
        ],
        &[false, false, false, true, true, true, true, true],
    );
    for row in &section.rows {
        for (k, band) in range_table(&row.bands, true, f64::INFINITY)
            .rows
            .into_iter()
            .enumerate()
        {
            let mut cells = vec![if k == 0 { row.segment.clone() } else { String::new() }];
            cells.extend(band);
            bands.push(cells, false);
        }
    }
    doc.push(Block::Table(bands));
}

/// Whole points with their sign, and 0 without one (never "-0").
fn signed_points(points: f64) -> String {
    match points.round() {
        0.0 => "0".into(),
        p => format!("{p:+}"),
    }
}

/// The rules the data disagrees with in each segment, audited on its leads alone.
fn segment_rules(section: &super::SegmentsSection, doc: &mut Vec<Block>) {
    if section.rows.iter().all(|r| r.rule_audit.is_none()) {
        return;
    }
    doc.push(Block::Heading(3, "Rule points in each segment".into()));
    let mut table = Table::new(
        &[
            "segment",
            "rule",
            "points",
            "fired",
            "conversion when fired",
            "when not",
            "suggested points",
            "verdict",
        ],
        &[false, false, true, true, true, true, true, false],
    );
    for row in &section.rows {
        let Some(audit) = &row.rule_audit else {
            continue;
        };
        for (k, rule) in audit.rules.iter().filter(|r| r.flagged()).enumerate() {
            table.push(
                vec![
                    if k == 0 { row.segment.clone() } else { String::new() },
                    rule.name.clone(),
                    format!("{:+}", rule.points),
                    count(rule.fired),
                    opt_pct(rule.conversion_when_fired),
                    opt_pct(rule.conversion_when_not),
                    rule.suggested_points.map_or("–".into(), signed_points),
                    rule.verdict_words().into(),
                ],
                rule.verdict == "opposite",
            );
        }
    }
    if table.rows.is_empty() {
        doc.push(Block::Paragraph(
            "Audited on each segment's leads alone, as in section 6, the data agrees with every rule's points in \
             every segment (or has too few leads to say)."
                .into(),
        ));
        return;
    }
    doc.push(Block::Paragraph(
        "The rules the data disagrees with, audited on each segment's leads alone as in section 6 (each \
         segment on its own scale of points): a rule worth more in one product line and less in another is one \
         to split into rules of their own per segment (a rule's segment field). Highlighted: the rule works \
         the other way in that segment."
            .into(),
    ));
    doc.push(Block::Table(table));
}

/// Each segment's MQL threshold against its sales team's capacity (`--segment-capacity`).
fn segment_capacity(section: &super::SegmentsSection, capacity: &super::Capacity, doc: &mut Vec<Block>) {
    let given: Vec<(&super::SegmentRow, &super::SegmentThreshold)> = (section.rows.iter())
        .filter_map(|row| row.capacity.as_ref().map(|c| (row, c)))
        .collect();
    if given.is_empty() {
        return;
    }
    let period = &capacity.period;
    doc.push(Block::Heading(3, "MQL thresholds for each segment's sales team".into()));
    let per = |what: &str| format!("{what} / {period}");
    let mut table = Table::new(
        &[
            "segment",
            &per("capacity"),
            "MQL now",
            &per("MQLs"),
            "fits at",
            &per("MQLs"),
            "conversion",
            "conversions found",
        ],
        &[false, true, true, true, true, true, true, true],
    );
    let mut settings = Vec::new();
    for (row, c) in &given {
        let at = c.at_fitting.as_ref();
        table.push(
            vec![
                row.segment.clone(),
                format!("{:.0}", c.capacity),
                format!("{:.0}", c.mql_threshold),
                format!("{:.1}", c.mqls_per_period),
                c.fitting_threshold
                    .map_or("none: even 100 sends more".into(), |t| t.to_string()),
                at.map_or("–".into(), |a| format!("{:.1}", a.leads_per_period)),
                at.map_or("–".into(), |a| opt_pct(a.precision)),
                at.map_or("–".into(), |a| pct(a.recall)),
            ],
            c.mqls_per_period > c.capacity,
        );
        if let Some(t) = c.fitting_threshold {
            settings.push(match row.segment.as_str() {
                "shared" => format!("[score] mql = {t} for the shared model's leads"),
                segment => format!(
                    "[[segments.override]] value = \"{}\", mql = {t}",
                    segment.strip_suffix(" (shared model)").unwrap_or(segment)
                ),
            });
        }
    }
    doc.push(Block::Paragraph(format!(
        "Each segment's MQLs per {period} against the leads its sales team can work (--segment-capacity): the \
         MQL threshold now and the MQLs it sends, then the lowest threshold that fits, the MQLs it sends, the \
         share of them that convert and the share of the segment's conversions they hold. Highlighted: the \
         threshold now sends the team more than it can work."
    )));
    doc.push(Block::Table(table));
    if !settings.is_empty() {
        doc.push(Block::Paragraph(format!(
            "To make them the segments' MQL thresholds, set in the training config and train again: {}.",
            settings.join("; ")
        )));
    }
}

fn score_of(report: &Report) -> Option<&ScoreMetrics> {
    report.headline.iter().find(|h| h.kind == ScoreKind::Score)
}

fn headline(report: &Report, doc: &mut Vec<Block>) {
    for warning in &report.warnings {
        doc.push(Block::Warning(warning.clone()));
    }
    doc.push(Block::Heading(2, "1. Headline".into()));
    let data = &report.data;
    let month = |date: &str| {
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(|d| d.format("%b %Y").to_string())
            .unwrap_or_else(|_| date.to_string())
    };
    let period = data
        .period
        .as_ref()
        .map(|p| format!("{} – {}", month(&p.from), month(&p.to)))
        .unwrap_or_else(|| "no creation dates".into());
    let score = score_of(report);
    doc.push(Block::Figures(vec![
        ("leads".into(), count(data.leads)),
        ("conversions".into(), count(data.conversions)),
        ("base rate".into(), pct(data.base_rate)),
        ("period".into(), period),
        (
            "ROC AUC of the 0–100 score".into(),
            opt(score.and_then(|s| s.as_ranked.as_ref()).and_then(|r| r.roc_auc), 3),
        ),
        (
            "calibration error".into(),
            score.and_then(|s| s.ece).map(pct).unwrap_or("–".into()),
        ),
    ]));
    let mut text = format!(
        "{} labelled leads of {} scored with {} (trained {} on {} leads of {}).",
        count(data.leads),
        data.file,
        report.model.file,
        report.model.trained_at.get(..10).unwrap_or(&report.model.trained_at),
        count(report.model.training_leads),
        report.model.trained_on
    );
    if data.rejected > 0 {
        text.push_str(&format!(
            " {} leads could not be scored and are not counted here; they are listed with the reason in {}.",
            count(data.rejected),
            data.rejects_file.as_deref().unwrap_or("the rejects file")
        ));
    }
    doc.push(Block::Paragraph(text));
    let mut table = Table::new(
        &[
            "",
            "ROC AUC",
            "PR AUC",
            "log loss",
            "Brier",
            "calibration error (ECE)",
            "KS",
        ],
        &[false, true, true, true, true, true, true],
    );
    for h in &report.headline {
        if let Some(ranked) = &h.as_ranked {
            table.push(
                vec![
                    format!("{} (0–100, as ranked)", h.label),
                    opt(ranked.roc_auc, 4),
                    opt(ranked.pr_auc, 4),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    opt(ranked.ks, 4),
                ],
                true,
            );
        }
        let label = if h.as_ranked.is_some() {
            format!("{} (its probability)", h.label)
        } else {
            h.label.clone()
        };
        table.push(
            vec![
                label,
                opt(h.roc_auc, 4),
                opt(h.pr_auc, 4),
                opt(h.log_loss, 4),
                opt(h.brier, 4),
                h.ece.map(pct).unwrap_or("–".into()),
                opt(h.ks, 4),
            ],
            false,
        );
    }
    doc.push(Block::Table(table));
    let compared = report.headline.iter().find(|h| h.kind == ScoreKind::Compared);
    let rankings = match compared {
        Some(c) => format!(
            "Rule points and {} (a score the leads carry, compared as it is) are rankings, not probabilities",
            c.label
        ),
        None => "Rule points are a ranking, not a probability".to_string(),
    };
    doc.push(Block::Paragraph(format!(
        "ROC AUC: the chance that a converter scores above a lead that did not convert (0.5 is a coin toss). \
         PR AUC: how clean the top of the list is. Log loss and Brier: how close the probabilities are to the \
         outcomes (lower is better). Calibration error: the average gap between the score and the conversion \
         actually seen, over ten equal groups of leads. KS: the widest gap between the score distributions \
         of converters and the others. The first row ranks leads by the whole 0–100 score, as sales does \
         (leads of one score tie); the others by the unrounded probability, on which log loss, Brier and \
         calibration are measured. {rankings}, so only the ranking figures apply to them."
    )));
}

fn reliability(report: &Report, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, "2. Does a score of 30 mean 30 %?".into()));
    let Some(score) = report.reliability.iter().find(|r| r.kind == ScoreKind::Score) else {
        return;
    };
    let worst = score.bins.iter().filter(|b| b.leads >= 30).max_by(|a, b| {
        (a.predicted - a.observed)
            .abs()
            .total_cmp(&(b.predicted - b.observed).abs())
    });
    let mut text = String::from(
        "Leads are grouped by their probability in steps of 10 points; each point compares the mean score \
         of a group with the share of it that converted. On the grey diagonal, a score means what it says.",
    );
    if let Some(b) = worst {
        text.push_str(&format!(
            " The largest gap among groups of 30 leads or more: leads scored {:.0}–{:.0} were given {} on average and {} converted.",
            100.0 * b.lower,
            100.0 * b.upper,
            pct(b.predicted),
            pct(b.observed)
        ));
    }
    doc.push(Block::Paragraph(text));
    doc.push(Block::Charts(vec!["reliability"]));
    let mut table = Table::new(
        &["score", "leads", "predicted", "observed", "gap"],
        &[false, true, true, true, true],
    );
    for b in &score.bins {
        let gap = b.observed - b.predicted;
        table.push(
            vec![
                format!("{:.0}–{:.0}", 100.0 * b.lower, 100.0 * b.upper),
                count(b.leads),
                pct(b.predicted),
                pct(b.observed),
                format!("{:+.1} pts", 100.0 * gap),
            ],
            b.leads >= 30 && gap.abs() >= 0.05,
        );
    }
    doc.push(Block::Table(table));
}

fn separation(report: &Report, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(
        2,
        "3. Hot and cold: does the score separate them?".into(),
    ));
    doc.push(Block::Paragraph(
        "The histogram shows where converters and the others land on the 0–100 score (each group sums to \
         100 %); the further apart, the better. The ROC curves trace converters found against non-converters \
         called as the threshold falls; the closer to the top-left corner, the better."
            .into(),
    ));
    doc.push(Block::Charts(vec!["histogram", "roc"]));
    doc.push(Block::Heading(3, "Gains and lift per decile".into()));
    let Some(score) = report.gains.iter().find(|g| g.kind == ScoreKind::Score) else {
        return;
    };
    if let Some(top) = score.groups.first() {
        let third = score.groups.get(2);
        doc.push(Block::Paragraph(format!(
            "Calling the top 10 % of leads by score finds {} of all conversions ({:.1}× the base rate){}.",
            pct(top.cumulative_conversions),
            top.lift,
            third
                .map(|t| format!("; the top 30 % finds {}", pct(t.cumulative_conversions)))
                .unwrap_or_default()
        )));
    }
    doc.push(Block::Charts(vec!["gains"]));
    let mut headers = vec![
        "decile",
        "leads",
        "conversions",
        "conversion",
        "cumulative gain",
        "lift",
    ];
    let others: Vec<&super::Gains> = report.gains.iter().filter(|g| g.kind != ScoreKind::Score).collect();
    let other_headers: Vec<String> = others.iter().map(|g| format!("gain: {}", g.label)).collect();
    headers.extend(other_headers.iter().map(String::as_str));
    let mut numeric = vec![false];
    numeric.extend(std::iter::repeat_n(true, headers.len() - 1));
    let mut table = Table::new(&headers, &numeric);
    for (k, row) in score.groups.iter().enumerate() {
        let mut cells = vec![
            format!("{}", row.group),
            count(row.leads),
            count(row.conversions),
            pct(row.conversion_rate),
            pct(row.cumulative_conversions),
            format!("{:.2}×", row.lift),
        ];
        cells.extend(others.iter().map(|g| {
            g.groups
                .get(k)
                .map(|r| pct(r.cumulative_conversions))
                .unwrap_or_default()
        }));
        table.push(cells, false);
    }
    doc.push(Block::Table(table));
}

/// Leads and conversion per range of scores; bands are named, buckets are their range.
fn range_table(rows: &[super::ScoreRange], named: bool, mql: f64) -> Table {
    let mut headers = vec![
        "scores",
        "leads",
        "share of leads",
        "conversions",
        "conversion",
        "mean score",
    ];
    if named {
        headers.insert(0, "band");
    }
    let mut numeric = vec![true; headers.len()];
    numeric[0] = false;
    numeric[1] = !named;
    let mut table = Table::new(&headers, &numeric);
    let total: usize = rows.iter().map(|r| r.leads).sum();
    for r in rows {
        let mut cells = if named { vec![r.name.clone()] } else { Vec::new() };
        cells.extend([
            format!("{}–{}", r.from, r.to),
            count(r.leads),
            pct(r.leads as f64 / total.max(1) as f64),
            count(r.conversions),
            opt_pct(r.conversion_rate),
            opt(r.mean_probability.map(|p| 100.0 * p), 1),
        ]);
        table.push(cells, f64::from(r.from) >= mql);
    }
    table
}

fn bands(report: &Report, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, "4. Bands and MQLs".into()));
    let mql = &report.bands.mql;
    doc.push(Block::Paragraph(format!(
        "{} leads scored {:.0} or more and are MQLs; {} of them converted ({}), {} of all conversions.",
        count(mql.leads),
        mql.threshold,
        count(mql.conversions),
        opt_pct(mql.conversion_rate),
        pct(mql.share_of_conversions)
    )));
    doc.push(Block::Table(range_table(&report.bands.bands, true, mql.threshold)));
    doc.push(Block::Heading(3, "Per 10-point score bucket".into()));
    doc.push(Block::Paragraph(
        "Bars: the conversion seen in each bucket; line: the mean score of its leads. A calibrated score keeps \
         the bars on the line."
            .into(),
    ));
    doc.push(Block::Charts(vec!["buckets"]));
    doc.push(Block::Table(range_table(&report.bands.buckets, false, mql.threshold)));
}

fn capacity(report: &Report, doc: &mut Vec<Block>) {
    let c = &report.capacity;
    doc.push(Block::Heading(2, "5. Threshold against sales capacity".into()));
    let mut text = format!("The leads cover {:.1} {}s ({}).", c.periods, c.period, c.periods_from);
    let row_at = |t: u32| c.thresholds.iter().find(|r| r.threshold == t);
    match (c.capacity, c.fitting_threshold.and_then(row_at)) {
        (Some(capacity), Some(row)) => text.push_str(&format!(
            " Sales can work {capacity:.0} leads a {}: the lowest threshold that fits is {}, with {:.1} leads a {} above it; {} of them convert, and they hold {} of all conversions.",
            c.period,
            row.threshold,
            row.leads_per_period,
            c.period,
            opt_pct(row.precision),
            pct(row.recall)
        )),
        (Some(capacity), None) => text.push_str(&format!(
            " Even a score of 100 sends more than {capacity:.0} leads a {}.",
            c.period
        )),
        (None, _) => text.push_str(" Pass --capacity (leads sales can work per period) to find the threshold that fits."),
    }
    if let Some(row) = row_at(report.model.mql_threshold as u32) {
        text.push_str(&format!(
            " The current MQL threshold, {}, sends {:.1} leads a {}.",
            row.threshold, row.leads_per_period, c.period
        ));
    }
    doc.push(Block::Paragraph(text));
    doc.push(Block::Charts(vec!["capacity"]));
    let mut table = Table::new(
        &["threshold", "leads", "per period", "precision", "recall"],
        &[false, true, true, true, true],
    );
    for row in &c.thresholds {
        let fits = Some(row.threshold) == c.fitting_threshold;
        let current = f64::from(row.threshold) == report.model.mql_threshold;
        if row.threshold % 10 != 0 && !fits && !current {
            continue;
        }
        let mut label = row.threshold.to_string();
        if fits {
            label.push_str(" (fits capacity)");
        }
        if current {
            label.push_str(" (current MQL)");
        }
        table.push(
            vec![
                label,
                count(row.leads),
                format!("{:.1}", row.leads_per_period),
                opt_pct(row.precision),
                pct(row.recall),
            ],
            fits,
        );
    }
    doc.push(Block::Table(table));
}

fn rule_audit(audit: &RuleAudit, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, "6. Rule audit: are the points right?".into()));
    let scale = match audit.log_odds_per_point {
        Some(w) => format!(
            "On these leads one point of the current total is worth {w:.4} log-odds, so a rule whose effect \
             is 1 log-odds deserves about {:.0} points.",
            1.0 / w
        ),
        None => "The current points do not rank these leads the right way round, so no points can be \
                 suggested on their scale."
            .into(),
    };
    doc.push(Block::Paragraph(format!(
        "Each rule's effect is measured with all rules together (what it adds beyond the others), then put on \
         the scale of the current points. {scale} Flagged rows disagree in sign or by more than a factor of \
         two; rules that fired for fewer than {} leads are not judged.{}",
        super::audit::MIN_FIRED,
        if audit.rules.iter().any(|r| r.kind == "sales") {
            " Rows named \"sales: …\" are sales' manual points of one reason: they are flagged when the leads \
             sales boosted do not convert as their points say; a boost the data backs at least as strongly agrees."
        } else {
            ""
        }
    )));
    let mut table = Table::new(
        &[
            "rule",
            "points",
            "fired",
            "conversion when fired",
            "when not",
            "lift",
            "suggested points",
            "verdict",
        ],
        &[false, true, true, true, true, true, true, false],
    );
    for r in &audit.rules {
        table.push(
            vec![
                r.name.clone(),
                format!("{:+}", r.points),
                format!("{} ({})", count(r.fired), pct(r.fired_share)),
                opt_pct(r.conversion_when_fired),
                opt_pct(r.conversion_when_not),
                r.lift.map(|l| format!("{l:.2}×")).unwrap_or("–".into()),
                r.suggested_points.map_or("–".into(), signed_points),
                r.verdict_words().into(),
            ],
            r.flagged(),
        );
    }
    doc.push(Block::Table(table));
}

fn factors(report: &Report, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(2, "7. What the model learned".into()));
    doc.push(Block::Paragraph(
        "The strongest factors of the model, for and against converting. For numbers, the effect is per \
         standard deviation of the training leads; for categories, against leads without that value."
            .into(),
    ));
    for (title, list) in [
        ("For converting", &report.factors.positive),
        ("Against converting", &report.factors.negative),
    ] {
        doc.push(Block::Heading(3, title.into()));
        let mut table = Table::new(
            &["factor", "kind", "log-odds", "in words"],
            &[false, false, true, false],
        );
        for f in list {
            table.push(
                vec![
                    f.input.clone(),
                    role_words(&f.role).into(),
                    format!("{:+.3}", f.coefficient),
                    f.words.clone(),
                ],
                false,
            );
        }
        doc.push(Block::Table(table));
    }
    shapes(report, doc);
    if !report.factors.training_warnings.is_empty() {
        doc.push(Block::Heading(3, "Warnings from training".into()));
        for w in &report.factors.training_warnings {
            doc.push(Block::Warning(w.clone()));
        }
    }
}

/// The curves of the numbers that entered with a shape: a chart, and a table of a few values.
fn shapes(report: &Report, doc: &mut Vec<Block>) {
    let shapes = &report.factors.shapes;
    if shapes.is_empty() {
        return;
    }
    doc.push(Block::Heading(3, "Numbers with a shape".into()));
    doc.push(Block::Paragraph(
        "These numbers entered the model as a curve, not a straight line: what each adds to the log-odds of \
         converting across its values, against a lead at its median (0). All on the same scale, the widest effect \
         first; the first visits may count and the hundredth not. A rise of 0.7 doubles the odds."
            .into(),
    ));
    doc.push(Block::Charts(vec!["shapes"]));
    let mut table = Table::new(
        &["number", "kind", "from each value on: log-odds"],
        &[false, false, false],
    );
    for curve in shapes {
        let shown: Vec<String> = (curve.summary.iter())
            .map(|(x, y)| format!("{} {y:+.2}", crate::output::number_text(*x)))
            .collect();
        table.push(
            vec![curve.feature.clone(), role_words(&curve.role).into(), shown.join(" · ")],
            false,
        );
    }
    doc.push(Block::Table(table));
}

/// `explicit` or `implicit` in words.
fn role_words(role: &str) -> &'static str {
    if role == "explicit" {
        "who the lead is"
    } else {
        "what the lead does"
    }
}

fn drift(report: &Report, doc: &mut Vec<Block>) {
    let d = &report.drift;
    doc.push(Block::Heading(2, "8. Drift from the training leads".into()));
    doc.push(Block::Paragraph(format!(
        "Population stability index (PSI) of the score: {:.3} ({}). Below 0.1 the leads look like the training \
         leads; from 0.1 watch; from 0.25 retrain or recalibrate.",
        d.score_psi, d.score_level
    )));
    let mut table = Table::new(&["feature", "PSI", "level"], &[false, true, false]);
    for f in d.features.iter().take(10) {
        table.push(
            vec![f.feature.clone(), format!("{:.3}", f.psi), f.level.clone()],
            f.level != "stable",
        );
    }
    doc.push(Block::Table(table));
}
