//! Animated GIF: each frame is the PNG export's picture of a screen ([`super::png`]: the SVG
//! of the buffer rendered with the shipped font), reduced to at most 256 colours per frame
//! (exactly when the frame has no more, else by NeuQuant, which is deterministic), each shown
//! for its hold time, looping. The same frames give the same bytes.

use std::time::Duration;

use gif::{Encoder, Frame, Repeat};
use ratatui::buffer::Buffer;

use super::ExportError;
use super::palette::Palette;
use super::png::to_pixmap;
use super::svg::{SvgOptions, picture_size};

/// NeuQuant's sampling: 1 (best) to 30 (fastest); 10 is the crate's own compromise.
const QUANT_SPEED: i32 = 10;

/// Writes the frames of one animation.
pub struct GifWriter {
    encoder: Encoder<Vec<u8>>,
    palette: Palette,
    opts: SvgOptions,
    size: (u16, u16),
    frames: usize,
}

fn gif_error(e: gif::EncodingError) -> ExportError {
    ExportError::Png(format!("GIF: {e}"))
}

impl GifWriter {
    /// An animation of `cols` x `rows` screens in the colours of `palette`.
    pub fn new(cols: u16, rows: u16, palette: &Palette) -> Result<Self, ExportError> {
        let opts = SvgOptions::default();
        let (w, h) = picture_size(cols, rows, &opts);
        let (Ok(gw), Ok(gh)) = (u16::try_from(w), u16::try_from(h)) else {
            return Err(ExportError::Pixmap(w, h));
        };
        let mut encoder = Encoder::new(Vec::new(), gw, gh, &[]).map_err(gif_error)?;
        encoder.set_repeat(Repeat::Infinite).map_err(gif_error)?;
        Ok(GifWriter {
            encoder,
            palette: palette.clone(),
            opts,
            size: (gw, gh),
            frames: 0,
        })
    }

    /// Adds the picture of `buf`, shown for `hold` (in hundredths of a second, at least 1).
    pub fn frame(&mut self, buf: &Buffer, hold: Duration) -> Result<(), ExportError> {
        let pixmap = to_pixmap(buf, &self.palette, &self.opts, 1)?;
        let (w, h) = self.size;
        if (pixmap.width(), pixmap.height()) != (u32::from(w), u32::from(h)) {
            return Err(ExportError::Pixmap(pixmap.width(), pixmap.height()));
        }
        // Every pixel is opaque (the picture has a background everywhere), so the
        // premultiplied pixels are the plain ones.
        let mut rgba = pixmap.take();
        let mut frame = Frame::from_rgba_speed(w, h, &mut rgba, QUANT_SPEED);
        let centis = (hold.as_millis() / 10).clamp(1, u128::from(u16::MAX));
        frame.delay = u16::try_from(centis).unwrap_or(u16::MAX);
        self.encoder.write_frame(&frame).map_err(gif_error)?;
        self.frames += 1;
        Ok(())
    }

    /// Number of frames written so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// The GIF file.
    pub fn finish(self) -> Result<Vec<u8>, ExportError> {
        self.encoder.into_inner().map_err(gif_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    fn gif_of(texts: &[&str]) -> Vec<u8> {
        let mut g = GifWriter::new(12, 2, &Palette::default()).unwrap();
        for t in texts {
            let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
            buf.set_string(0, 0, t, Style::default().fg(Color::Red));
            g.frame(&buf, Duration::from_millis(1500)).unwrap();
        }
        g.finish().unwrap()
    }

    #[test]
    fn frames_decode_with_their_delays_and_the_bytes_repeat() {
        let bytes = gif_of(&["one", "two", "three"]);
        assert_eq!(bytes, gif_of(&["one", "two", "three"]));
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::RGBA);
        let mut d = opts.read_info(bytes.as_slice()).unwrap();
        let (w, h) = picture_size(12, 2, &SvgOptions::default());
        assert_eq!((u32::from(d.width()), u32::from(d.height())), (w, h));
        let mut n = 0;
        let mut first: Option<Vec<u8>> = None;
        while let Some(f) = d.read_next_frame().unwrap() {
            assert_eq!(f.delay, 150);
            match &first {
                None => first = Some(f.buffer.to_vec()),
                Some(b) => assert_ne!(b, &f.buffer.to_vec(), "another text, other pixels"),
            }
            n += 1;
        }
        assert_eq!(n, 3);
    }
}
