//! `report.md`: the same tables and figures as Markdown (GitHub-flavoured), with the charts as
//! SVG files in `charts/` beside it.

use super::charts::Chart;
use super::document::{Block, Table};
use super::Report;

/// Escapes the characters that would break a Markdown table cell or start markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn table(t: &Table, out: &mut String) {
    let row = |cells: &[String], bold: bool| {
        let cells: Vec<String> = cells
            .iter()
            .map(|c| {
                let c = escape(c);
                if bold && !c.is_empty() {
                    format!("**{c}**")
                } else {
                    c
                }
            })
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&row(&t.headers, false));
    let rule: Vec<&str> = (0..t.headers.len())
        .map(|k| {
            if t.numeric.get(k).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", rule.join(" | ")));
    for (cells, highlight) in t.rows.iter().zip(&t.highlight) {
        out.push_str(&row(cells, *highlight));
    }
    out.push('\n');
}

/// The Markdown text of an evaluation report; charts are linked as `charts/NAME.svg`.
pub fn render(report: &Report, blocks: &[Block], charts: &[Chart]) -> String {
    render_page(&super::Page::of_report(report), blocks, charts)
}

/// A report page as Markdown; charts are linked as `charts/NAME.svg`.
pub fn render_page(page: &super::Page, blocks: &[Block], charts: &[Chart]) -> String {
    let mut out = format!("# {}\n\n{}\n\n", escape(&page.title), escape(&page.byline));
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("{} {}\n\n", "#".repeat(usize::from(*level)), escape(text)))
            }
            Block::Paragraph(text) => out.push_str(&format!("{}\n\n", escape(text))),
            Block::Warning(text) => out.push_str(&format!("> **Warning:** {}\n\n", escape(text))),
            Block::Figures(figures) => {
                for (label, value) in figures {
                    out.push_str(&format!("- {}: **{}**\n", escape(label), escape(value)));
                }
                out.push('\n');
            }
            Block::Table(t) => table(t, &mut out),
            Block::Charts(names) => {
                for chart in names.iter().filter_map(|n| charts.iter().find(|c| c.name == *n)) {
                    out.push_str(&format!("![{}](charts/{}.svg)\n\n", escape(chart.title), chart.name));
                }
            }
        }
    }
    out.push_str(&escape(&page.footer));
    out.push('\n');
    out
}
