//! Pictures of the protocol's results: the confusion matrix as a PNG heat map.

use std::path::Path;

use anyhow::Context;
use mcclstm_data::metrics::{Confusion, abbreviate};
use plotters::prelude::*;

/// A heat map of a confusion matrix's row-normalised counts with the counts written in the cells.
/// A true class without tracks gets no row (a real-music test set holds few of the classes); every
/// class keeps its column.
pub fn write_confusion_png(confusion: &Confusion, path: &Path, title: &str) -> anyhow::Result<()> {
    register_font();
    let n = confusion.labels.len();
    let mut rows: Vec<usize> = (0..n)
        .filter(|&i| confusion.counts[i].iter().any(|&c| c > 0))
        .collect();
    if rows.is_empty() {
        rows = (0..n).collect();
    }
    let cell = 56u32;
    let margin = 150u32;
    let width = margin + cell * n as u32 + 30;
    let height = margin + cell * rows.len() as u32 + 30;
    // Hack at 18 px is about 11 px per character.
    let title_width = 11 * title.chars().count() as u32 + 20;
    let size = (width.max(title_width), height);
    // plotters writes the file itself and picks the format by its extension: draw to a temporary
    // `.png` beside it, then put it in place atomically.
    let tmp = mcclstm_engine::atomic_file::temp_path(path).with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let font = ("sans-serif", 14).into_font();
        root.draw(&Text::new(
            title.to_string(),
            (10, 10),
            ("sans-serif", 18).into_font(),
        ))
        .map_err(plot_err)?;
        root.draw(&Text::new(
            "predicted →".to_string(),
            (margin as i32, 36),
            font.clone(),
        ))
        .map_err(plot_err)?;
        root.draw(&Text::new(
            "truth ↓".to_string(),
            (10, margin as i32 - 22),
            font.clone(),
        ))
        .map_err(plot_err)?;
        for (r, &i) in rows.iter().enumerate() {
            let row = &confusion.counts[i];
            let row_total = row.iter().sum::<u64>().max(1) as f64;
            let y = (margin + cell * r as u32) as i32;
            root.draw(&Text::new(
                abbreviate(&confusion.labels[i], 16),
                (10, y + cell as i32 / 2 - 7),
                font.clone(),
            ))
            .map_err(plot_err)?;
            for (j, &count) in row.iter().enumerate() {
                let x = (margin + cell * j as u32) as i32;
                let share = count as f64 / row_total;
                let shade = (255.0 * (1.0 - share)) as u8;
                let colour = RGBColor(shade, shade, 255);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell as i32 - 2, y + cell as i32 - 2)],
                    colour.filled(),
                ))
                .map_err(plot_err)?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                root.draw(&Text::new(
                    count.to_string(),
                    (x + 8, y + cell as i32 / 2 - 7),
                    font.clone().color(&ink),
                ))
                .map_err(plot_err)?;
            }
        }
        for (j, label) in confusion.labels.iter().enumerate() {
            let x = (margin + cell * j as u32) as i32;
            root.draw(&Text::new(
                abbreviate(label, 7),
                (x + 2, margin as i32 - 22),
                font.clone(),
            ))
            .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    let bytes = std::fs::read(&tmp).with_context(|| format!("{}: cannot read", tmp.display()))?;
    let _ = std::fs::remove_file(&tmp);
    mcclstm_engine::atomic_file::write(path, &bytes)
        .with_context(|| format!("{}: cannot write", path.display()))
}

fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the confusion matrix: {e:?}")
}

/// plotters' text needs a registered font; the Hack font ships inside a registry crate
/// (epaint_default_fonts, MIT-style licence), so nothing depends on the system's fonts.
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::HACK_REGULAR,
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_png_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let labels: Vec<String> = ["blues", "classical", "country"].map(String::from).to_vec();
        let mut c = Confusion::new(&labels);
        for (t, p) in [(0, 0), (1, 1), (2, 1), (2, 2)] {
            c.add(t, p);
        }
        let path = dir.path().join("c.png");
        write_confusion_png(&c, &path, "test").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let size = |bytes: &[u8]| {
            // The IHDR chunk: width and height, big-endian, at bytes 16 and 20.
            let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
            (word(16), word(20))
        };
        assert_eq!(size(&bytes), (150 + 3 * 56 + 30, 150 + 3 * 56 + 30));

        // A class without tracks loses its row, not its column.
        let mut sparse = Confusion::new(&labels);
        sparse.add(1, 0);
        sparse.add(1, 1);
        write_confusion_png(&sparse, &path, "test").unwrap();
        assert_eq!(
            size(&std::fs::read(&path).unwrap()),
            (150 + 3 * 56 + 30, 150 + 56 + 30)
        );
    }
}
