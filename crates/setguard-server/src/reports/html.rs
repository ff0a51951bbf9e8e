//! A report as one self-contained HTML page (print-friendly, its checkpoint's QR code inline as
//! SVG): what `setguard report --html` writes, and what the web app can serve.

use super::{Block, Report};
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// The QR code of `text` as an SVG element.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(e) => format!("<p>(no QR code: {})</p>", escape(&e.to_string())),
    }
}

const STYLE: &str = "body{font-family:'DejaVu Sans',sans-serif;font-size:11pt;margin:2em;\
color:#111}h1{font-size:18pt;margin:0 0 .3em}h2{font-size:13pt;margin:1.4em 0 .4em;\
border-bottom:1px solid #888}table{border-collapse:collapse;width:100%;font-size:9.5pt}\
th,td{border:1px solid #999;padding:2px 5px;text-align:left;vertical-align:top}\
th{background:#e4e4e4}.stamp{display:flex;gap:1.5em;align-items:flex-start;margin:1em 0;\
padding:.5em;border:1px solid #444}.stamp code{word-break:break-all;font-size:8.5pt}\
.stamp svg{width:160px;height:160px;flex:none}@media print{body{margin:0}}";

/// Renders `report` as a whole HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&report.title),
        escape(&report.title)
    );
    for line in &report.lines {
        let _ = writeln!(out, "<p>{}</p>", escape(line));
    }
    let text = report.stamp.text();
    let _ = write!(
        out,
        "<div class=\"stamp\">{}<div><strong>Ledger checkpoint</strong><br>",
        qr_svg(&text)
    );
    for line in report.stamp.lines() {
        let _ = write!(out, "<code>{}</code><br>", escape(&line));
    }
    let _ = writeln!(
        out,
        "QR text: <code class=\"stamp-text\">{}</code></div></div>",
        escape(&text)
    );
    for sec in &report.sections {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&sec.heading));
        for block in &sec.blocks {
            match block {
                Block::Line(l) => {
                    let _ = writeln!(out, "<p>{}</p>", escape(l));
                }
                Block::Table(t) => {
                    out.push_str("<table><thead><tr>");
                    for (c, _) in &t.columns {
                        let _ = write!(out, "<th>{}</th>", escape(c));
                    }
                    out.push_str("</tr></thead><tbody>\n");
                    for row in &t.rows {
                        out.push_str("<tr>");
                        for cell in row {
                            let _ = write!(out, "<td>{}</td>", escape(cell));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody></table>\n");
                }
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}
