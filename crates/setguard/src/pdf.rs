//! Reports and label sheets as PDF.
//!
//! Made with [`krilla`] (by the typst team): a maintained, pure-Rust, high-level PDF writer on
//! top of `pdf-writer` that embeds and subsets TrueType fonts itself. Crew names are often not
//! ASCII (Zoë, Łukasz, Nguyễn, Ørjan), and the PDF base-14 fonts (`printpdf`'s builtin
//! Helvetica) only cover WinAnsi, so a report must embed a font: krilla does that, subsetting it
//! to the glyphs used, so a report stays a few tens of kilobytes. `printpdf` 0.8 is a large
//! rewrite with a far heavier dependency tree, and `genpdf` is unmaintained.
//!
//! The font is DejaVu Sans (`assets/DejaVuSans.ttf`, Bitstream Vera licence, free to embed and
//! redistribute: `assets/DejaVuSans-LICENSE`), which covers Latin, Greek and Cyrillic. Widths
//! for line breaking are read from the font's own metrics (skrifa).
//!
//! Layout is done first into pages of simple drawing operations, then drawn: so that every page
//! can say "page N of M".

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use setguard_server::reports::{Block, Report};
use skrifa::MetadataProvider as _;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// A4, in points.
pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;

/// One drawing operation on a page.
#[derive(Debug, Clone)]
pub enum Op {
    /// Text with its baseline at (x, y), y from the top.
    Text {
        x: f32,
        y: f32,
        size: f32,
        grey: u8,
        text: String,
    },
    /// A filled rectangle.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: u8,
    },
}

/// The width of `text` at `size` points, from the font's advance widths.
pub fn text_width(text: &str, size: f32) -> f32 {
    let Ok(font) = skrifa::FontRef::new(FONT) else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(
        skrifa::instance::Size::new(size),
        skrifa::instance::LocationRef::default(),
    );
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size * 0.6)
        })
        .sum()
}

/// Breaks `text` into lines no wider than `width` (a word longer than a line is cut).
pub fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word that does not fit on a line of its own is cut where it must be.
            let mut rest = word.to_owned();
            while text_width(&rest, size) > width && rest.chars().count() > 1 {
                let mut cut = String::new();
                for c in rest.chars() {
                    if text_width(&format!("{cut}{c}"), size) > width && !cut.is_empty() {
                        break;
                    }
                    cut.push(c);
                }
                rest = rest[cut.len()..].to_owned();
                lines.push(cut);
            }
            line = rest;
        }
        lines.push(line);
    }
    lines
}

/// Pages being laid out, top to bottom.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
    /// Starts a new page if `h` more points do not fit on this one; true if it did.
    fn need(&mut self, h: f32) -> bool {
        if self.y + h > PAGE_H - MARGIN - 20.0 && self.y > MARGIN + 1.0 {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }
    fn text(&mut self, x: f32, size: f32, grey: u8, text: &str) {
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            grey,
            text: text.to_owned(),
        });
    }
    fn para(&mut self, text: &str, size: f32, x: f32, width: f32) {
        for line in wrap(text, size, width) {
            self.need(size * 1.3);
            self.text(x, size, 0, &line);
            self.y += size * 1.3;
        }
    }
}

/// The QR code of `text` as filled squares, `side` points wide, top-left at (x, y).
pub fn qr_ops(text: &str, x: f32, y: f32, side: f32) -> Vec<Op> {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return Vec::new();
    };
    let n = code.width();
    let quiet = 2usize;
    let module = side / (n + 2 * quiet) as f32;
    let colors = code.to_colors();
    let mut ops = Vec::new();
    for row in 0..n {
        // Runs of dark modules on a row become one rectangle.
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                ops.push(Op::Rect {
                    x: x + (start + quiet) as f32 * module,
                    y: y + (row + quiet) as f32 * module,
                    // A hair wider, so that neighbouring rows never show a seam.
                    w: (col - start) as f32 * module,
                    h: module + 0.05,
                    grey: 0,
                });
            } else {
                col += 1;
            }
        }
    }
    ops
}

/// Lays `report` out into pages.
pub fn layout(report: &Report) -> Vec<Vec<Op>> {
    let width = PAGE_W - 2.0 * MARGIN;
    let mut l = Layout::new();
    l.para(&report.title, 18.0, MARGIN, width);
    l.y += 4.0;
    for line in &report.lines {
        l.para(line, 10.0, MARGIN, width);
    }
    // The checkpoint: its QR code, and what it says in words beside it.
    l.y += 6.0;
    let qr = 130.0;
    let top = l.y;
    l.ops().push(Op::Rect {
        x: MARGIN,
        y: top,
        w: width,
        h: 0.8,
        grey: 80,
    });
    let text = report.stamp.text();
    l.ops().extend(qr_ops(&text, MARGIN, top + 4.0, qr));
    l.y = top + 8.0;
    let x = MARGIN + qr + 10.0;
    l.text(x, 11.0, 0, "Ledger checkpoint this report was made from");
    l.y += 16.0;
    for line in report.stamp.lines() {
        for part in wrap(&line, 7.5, width - qr - 10.0) {
            l.text(x, 7.5, 40, &part);
            l.y += 9.5;
        }
    }
    l.y = l.y.max(top + qr + 8.0);
    let y = l.y;
    l.ops().push(Op::Rect {
        x: MARGIN,
        y,
        w: width,
        h: 0.8,
        grey: 80,
    });
    l.y += 8.0;
    for sec in &report.sections {
        l.y += 8.0;
        l.need(50.0);
        l.para(&sec.heading, 13.0, MARGIN, width);
        l.y += 2.0;
        for block in &sec.blocks {
            match block {
                Block::Line(text) => {
                    l.para(text, 9.5, MARGIN, width);
                    l.y += 2.0;
                }
                Block::Table(t) => table(&mut l, t, width),
            }
        }
    }
    l.pages
}

fn table(l: &mut Layout, t: &setguard_server::reports::Table, width: f32) {
    const SIZE: f32 = 8.0;
    const LINE: f32 = 10.0;
    const PAD: f32 = 3.0;
    let total: f32 = t.columns.iter().map(|(_, w)| *w).sum::<f32>().max(0.01);
    let widths: Vec<f32> = t.columns.iter().map(|(_, w)| w / total * width).collect();
    let header = |l: &mut Layout| {
        let cells: Vec<Vec<String>> = t
            .columns
            .iter()
            .zip(&widths)
            .map(|((name, _), w)| wrap(name, SIZE, w - 2.0 * PAD))
            .collect();
        let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * LINE + 2.0 * PAD;
        let y = l.y;
        l.ops().push(Op::Rect {
            x: MARGIN,
            y,
            w: width,
            h,
            grey: 225,
        });
        row_cells(l, &cells, &widths, h);
    };
    l.need(3.0 * LINE + 4.0 * PAD);
    header(l);
    for row in &t.rows {
        let cells: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| wrap(c, SIZE, w - 2.0 * PAD))
            .collect();
        let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * LINE + 2.0 * PAD;
        if l.need(h) {
            header(l);
        }
        row_cells(l, &cells, &widths, h);
    }
    l.y += 4.0;
}

/// Draws one table row of wrapped cells, `h` high, with a rule under it, and moves down.
fn row_cells(l: &mut Layout, cells: &[Vec<String>], widths: &[f32], h: f32) {
    let mut x = MARGIN;
    let top = l.y;
    for (lines, w) in cells.iter().zip(widths) {
        for (i, line) in lines.iter().enumerate() {
            l.ops().push(Op::Text {
                x: x + 3.0,
                y: top + 3.0 + 8.0 + i as f32 * 10.0,
                size: 8.0,
                grey: 0,
                text: line.clone(),
            });
        }
        x += w;
    }
    let width: f32 = widths.iter().sum();
    l.ops().push(Op::Rect {
        x: MARGIN,
        y: top + h - 0.4,
        w: width,
        h: 0.4,
        grey: 150,
    });
    l.y = top + h;
}

/// Draws laid-out pages into a PDF, with `footer` and "page N of M" at the foot of each.
pub fn render(pages: &[Vec<Op>], footer: &str) -> anyhow::Result<Vec<u8>> {
    let font = Font::new(FONT.into(), 0).ok_or_else(|| anyhow::anyhow!("the embedded font"))?;
    let mut doc = Document::new();
    let count = pages.len();
    for (n, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| anyhow::anyhow!("the page size"))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut footer_ops = Vec::new();
        if !footer.is_empty() {
            footer_ops.push(Op::Text {
                x: MARGIN,
                y: PAGE_H - MARGIN + 14.0,
                size: 7.0,
                grey: 90,
                text: format!("{footer} · page {} of {count}", n + 1),
            });
        }
        for op in ops.iter().chain(&footer_ops) {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    grey,
                    text,
                } => {
                    if text.is_empty() {
                        continue;
                    }
                    surface.set_fill(Some(fill(*grey)));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect { x, y, w, h, grey } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, w.max(0.01), h.max(0.01)) else {
                        continue;
                    };
                    let mut pb = PathBuilder::new();
                    pb.push_rect(rect);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(Some(fill(*grey)));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| anyhow::anyhow!("writing the PDF: {e:?}"))
}

fn fill(grey: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(grey, grey, grey).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// A report as PDF.
pub fn report(report: &Report) -> anyhow::Result<Vec<u8>> {
    let footer = format!(
        "{} · {} · checkpoint seq {} head {}",
        report.title,
        report.stamp.stream,
        report.stamp.seq,
        &report.stamp.head.to_hex()[..16]
    );
    render(&layout(report), &footer)
}

/// One label: an id, a line that says what it is, and the QR code's text.
#[derive(Debug, Clone)]
pub struct Label {
    pub id: String,
    pub what: String,
    pub qr: String,
}

/// A sheet of labels, 3 across and 7 down on each A4 page, each with its QR code on the left.
pub fn labels(title: &str, labels: &[Label]) -> anyhow::Result<Vec<u8>> {
    const COLS: usize = 3;
    const ROWS: usize = 7;
    let top = MARGIN + 14.0;
    let w = (PAGE_W - 2.0 * MARGIN) / COLS as f32;
    let h = (PAGE_H - top - MARGIN - 10.0) / ROWS as f32;
    let mut pages = Vec::new();
    for chunk in labels.chunks(COLS * ROWS) {
        let mut ops = vec![Op::Text {
            x: MARGIN,
            y: MARGIN + 6.0,
            size: 9.0,
            grey: 60,
            text: title.to_owned(),
        }];
        for (i, label) in chunk.iter().enumerate() {
            let x = MARGIN + (i % COLS) as f32 * w;
            let y = top + (i / COLS) as f32 * h;
            // A thin cutting frame.
            for (fx, fy, fw, fh) in [
                (x, y, w, 0.3),
                (x, y + h, w, 0.3),
                (x, y, 0.3, h),
                (x + w, y, 0.3, h),
            ] {
                ops.push(Op::Rect {
                    x: fx,
                    y: fy,
                    w: fw,
                    h: fh,
                    grey: 190,
                });
            }
            let qr = (h - 12.0).min(w * 0.55);
            ops.extend(qr_ops(&label.qr, x + 4.0, y + 6.0, qr));
            let tx = x + qr + 8.0;
            let tw = w - qr - 12.0;
            let mut ty = y + 18.0;
            for line in wrap(&label.id, 10.0, tw).into_iter().take(2) {
                ops.push(Op::Text {
                    x: tx,
                    y: ty,
                    size: 10.0,
                    grey: 0,
                    text: line,
                });
                ty += 12.0;
            }
            for line in wrap(&label.what, 7.0, tw).into_iter().take(5) {
                ops.push(Op::Text {
                    x: tx,
                    y: ty,
                    size: 7.0,
                    grey: 50,
                    text: line,
                });
                ty += 8.5;
            }
        }
        pages.push(ops);
    }
    if pages.is_empty() {
        pages.push(vec![Op::Text {
            x: MARGIN,
            y: MARGIN + 10.0,
            size: 10.0,
            grey: 0,
            text: format!("{title}: no items or lots"),
        }]);
    }
    render(&pages, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_lines_inside_the_width() {
        let text = "Zoë Łukasz-Nguyễn handed the revolver R-0001 to the performer for scene 12A";
        for line in wrap(text, 9.0, 120.0) {
            assert!(text_width(&line, 9.0) <= 120.0, "{line}");
        }
        assert_eq!(wrap("short", 9.0, 300.0), vec!["short".to_owned()]);
        let long = "x".repeat(200);
        assert!(wrap(&long, 9.0, 50.0).len() > 3);
    }

    #[test]
    fn non_ascii_names_have_glyphs() {
        // A character the font lacks would measure as the fallback 0.6 em.
        let w = text_width("ŁØŽ", 10.0);
        assert!(w > 0.0 && (w - 18.0).abs() > 0.01, "{w}");
    }
}
