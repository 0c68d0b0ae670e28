//! Animated SVG: the SVG export's picture of every frame ([`super::svg::write_picture`]) in one
//! document, each frame a group shown during its hold time by a SMIL `<animate>` of its
//! visibility, looping. A viewer without animation shows the first frame (the others start
//! hidden). Browsers play it, also as an `<img>` (GitHub's README pages among them).

use std::fmt::Write as _;
use std::time::Duration;

use ratatui::buffer::Buffer;

use super::palette::Palette;
use super::svg::{SvgOptions, document_start, picture_size, write_picture};

/// Collects the frames of one animation.
pub struct SvgAnimation {
    palette: Palette,
    opts: SvgOptions,
    size: (u32, u32),
    /// Each frame's picture and hold in milliseconds.
    frames: Vec<(String, u64)>,
}

impl SvgAnimation {
    pub fn new(cols: u16, rows: u16, palette: &Palette) -> Self {
        let opts = SvgOptions::default();
        SvgAnimation {
            palette: palette.clone(),
            opts,
            size: picture_size(cols, rows, &opts),
            frames: Vec::new(),
        }
    }

    /// Adds the picture of `buf`, shown for `hold` (at least a millisecond).
    pub fn frame(&mut self, buf: &Buffer, hold: Duration) {
        let mut pic = String::new();
        write_picture(&mut pic, buf, &self.palette, &self.opts);
        let ms = u64::try_from(hold.as_millis()).unwrap_or(u64::MAX).max(1);
        self.frames.push((pic, ms));
    }

    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// The SVG document.
    pub fn finish(self) -> String {
        let (w, h) = self.size;
        let mut out = document_start(w, h);
        let total: u64 = self.frames.iter().map(|f| f.1).sum();
        let secs = |ms: u64| format!("{}.{:03}s", ms / 1000, ms % 1000);
        // keyTimes are fractions of the whole, written exactly enough for a millisecond.
        let frac = |ms: u64| format!("{:.6}", ms as f64 / total.max(1) as f64);
        let mut start = 0;
        for (i, (pic, hold)) in self.frames.iter().enumerate() {
            let end = start + hold;
            let shown = if i == 0 { "visible" } else { "hidden" };
            let _ = writeln!(out, r#"<g id="frame{i}" visibility="{shown}">"#);
            out.push_str(pic);
            if self.frames.len() > 1 {
                // Discrete values: each holds from its key time to the next.
                let (values, times) = match (start, end == total) {
                    (0, _) => ("visible;hidden".to_string(), format!("0;{}", frac(end))),
                    (_, true) => ("hidden;visible".to_string(), format!("0;{}", frac(start))),
                    _ => (
                        "hidden;visible;hidden".to_string(),
                        format!("0;{};{}", frac(start), frac(end)),
                    ),
                };
                let _ = writeln!(
                    out,
                    r#"<animate attributeName="visibility" values="{values}" keyTimes="{times}" dur="{}" calcMode="discrete" repeatCount="indefinite"/>"#,
                    secs(total)
                );
            }
            out.push_str("</g>\n");
            start = end;
        }
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn each_frame_is_shown_in_its_own_slot() {
        let mut a = SvgAnimation::new(6, 1, &Palette::default());
        for (t, ms) in [("a", 1000), ("b", 500), ("c", 500)] {
            let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
            buf.set_string(0, 0, t, Style::default());
            a.frame(&buf, Duration::from_millis(ms));
        }
        let svg = a.finish();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let groups: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("id").is_some())
            .collect();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].attribute("visibility"), Some("visible"));
        assert_eq!(groups[1].attribute("visibility"), Some("hidden"));
        let anim = |g: &roxmltree::Node| {
            let a = g.children().find(|n| n.has_tag_name("animate")).unwrap();
            (
                a.attribute("values").unwrap().to_string(),
                a.attribute("keyTimes").unwrap().to_string(),
                a.attribute("dur").unwrap().to_string(),
            )
        };
        assert_eq!(
            anim(&groups[0]),
            (
                "visible;hidden".into(),
                "0;0.500000".into(),
                "2.000s".into()
            )
        );
        assert_eq!(
            anim(&groups[1]),
            (
                "hidden;visible;hidden".into(),
                "0;0.500000;0.750000".into(),
                "2.000s".into()
            )
        );
        assert_eq!(
            anim(&groups[2]),
            (
                "hidden;visible".into(),
                "0;0.750000".into(),
                "2.000s".into()
            )
        );
    }
}
