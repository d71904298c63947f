//! `report.html`: one self-contained page (styles and charts inline, nothing fetched), readable on
//! a laptop and printable.

use super::charts::Chart;
use super::document::{Block, Table};
use super::Report;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #1d4ed8; --flag: #fef3c7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f9fafb; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 56px; background: #fff; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 8px 0; max-width: 80ch; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 12px 0; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.figure .value { font-size: 21px; font-weight: 600; line-height: 1.3; }
.figure .label { color: var(--muted); font-size: 13px; }
.warning { background: var(--flag); border-left: 4px solid #d97706; padding: 8px 12px; margin: 10px 0; border-radius: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; margin: 12px 0; }
.charts.single { grid-template-columns: minmax(0, 620px); }
.charts.wide { grid-template-columns: minmax(0, 900px); }
.pair { display: grid; grid-template-columns: minmax(400px, 1fr) auto; gap: 20px; align-items: start; margin: 12px 0; }
.pair .charts { margin: 0; }
.pair table { margin-top: 0; }
@media (max-width: 900px) { .pair { grid-template-columns: 1fr; } }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
figcaption { font-weight: 600; font-size: 14px; margin: 2px 4px 6px; }
figure svg { width: 100%; height: auto; display: block; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 10px 0; font-size: 14px; min-width: 50%; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flag td { background: var(--flag); font-weight: 600; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print {
  body { background: #fff; }
  main { padding: 0; max-width: none; }
  h2 { break-after: avoid; }
  figure, table, .figures { break-inside: avoid; }
  .charts, .pair { grid-template-columns: 1fr 1fr; }
  .charts.wide { grid-template-columns: 1fr; }
}
"#;

fn table(t: &Table, out: &mut String) {
    let class = |k: usize| {
        if t.numeric.get(k).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    out.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
    for (k, h) in t.headers.iter().enumerate() {
        out.push_str(&format!("<th{}>{}</th>", class(k), escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (row, highlight) in t.rows.iter().zip(&t.highlight) {
        out.push_str(if *highlight { "<tr class=\"flag\">" } else { "<tr>" });
        for (k, cell) in row.iter().enumerate() {
            out.push_str(&format!("<td{}>{}</td>", class(k), escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// Tables with at most this many columns fit beside a chart.
const PAIRED_COLUMNS: usize = 6;

fn charts_html(names: &[&str], charts: &[Chart], out: &mut String) {
    let wide = charts.iter().any(|c| c.wide && names.contains(&c.name));
    out.push_str(if wide {
        "<div class=\"charts wide\">\n"
    } else if names.len() == 1 {
        "<div class=\"charts single\">\n"
    } else {
        "<div class=\"charts\">\n"
    });
    for chart in names.iter().filter_map(|n| charts.iter().find(|c| c.name == *n)) {
        out.push_str(&format!(
            "<figure id=\"chart-{}\"><figcaption>{}</figcaption>\n{}\n</figure>\n",
            chart.name,
            escape(chart.title),
            chart.svg.trim()
        ));
    }
    out.push_str("</div>\n");
}

/// The page of an evaluation report.
pub fn render(report: &Report, blocks: &[Block], charts: &[Chart]) -> String {
    render_page(&super::Page::of_report(report), blocks, charts)
}

/// A report page: its title, the line under it, the blocks and charts, and the footer.
pub fn render_page(page: &super::Page, blocks: &[Block], charts: &[Chart]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&page.title),
        escape(&page.subject)
    ));
    out.push_str(&format!(
        "<header><h1>{}</h1><p>{}</p></header>\n",
        escape(&page.title),
        escape(&page.byline)
    ));
    let mut blocks = blocks.iter().peekable();
    while let Some(block) = blocks.next() {
        // A single chart and a narrow table after it sit side by side.
        if let (Block::Charts(names), Some(Block::Table(t))) = (block, blocks.peek()) {
            let wide = charts.iter().any(|c| c.wide && names.contains(&c.name));
            if names.len() == 1 && t.headers.len() <= PAIRED_COLUMNS && !wide {
                out.push_str("<div class=\"pair\">\n");
                charts_html(names, charts, &mut out);
                table(t, &mut out);
                out.push_str("</div>\n");
                blocks.next();
                continue;
            }
        }
        match block {
            Block::Heading(level, text) => {
                let id: String = text
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
                    .collect::<String>()
                    .trim()
                    .replace(' ', "-")
                    .to_lowercase();
                out.push_str(&format!("<h{level} id=\"{id}\">{}</h{level}>\n", escape(text)));
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Warning(text) => out.push_str(&format!("<div class=\"warning\">{}</div>\n", escape(text))),
            Block::Figures(figures) => {
                out.push_str("<div class=\"figures\">\n");
                for (label, value) in figures {
                    out.push_str(&format!(
                        "<div class=\"figure\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>\n",
                        escape(value),
                        escape(label)
                    ));
                }
                out.push_str("</div>\n");
            }
            Block::Table(t) => table(t, &mut out),
            Block::Charts(names) => charts_html(names, charts, &mut out),
        }
    }
    out.push_str(&format!(
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        escape(&page.footer)
    ));
    out
}
