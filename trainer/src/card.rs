//! Model cards as data: a [`ModelCard`] is a title, a summary and named sections, kept beside the
//! model as `NAME.card.json` and rendered to `NAME.MODEL_CARD.md` by one function,
//! [`ModelCard::render`]. `mcclstm train` writes the card; later steps (`cargo xtask models` adds
//! how the data was made, the cv table and the time-stretch figure) change sections by name
//! through `mcclstm-train card`, never by searching the rendered text.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// One `## heading` and its Markdown body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardSection {
    pub heading: String,
    pub body: String,
}

/// A model card. See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The `# ` line.
    pub title: String,
    /// The paragraph under the title.
    pub summary: String,
    pub sections: Vec<CardSection>,
    /// The closing line (when and by what it was written).
    pub footer: String,
}

impl ModelCard {
    /// Replaces the section with this heading, or appends it.
    pub fn set_section(&mut self, heading: &str, body: &str) {
        let section = CardSection {
            heading: heading.to_string(),
            body: body.trim().to_string(),
        };
        match self.sections.iter_mut().find(|s| s.heading == heading) {
            Some(existing) => *existing = section,
            None => self.sections.push(section),
        }
    }

    /// Moves the sections with these headings to the top, in this order (unknown headings are
    /// ignored).
    pub fn put_first(&mut self, headings: &[String]) {
        for heading in headings.iter().rev() {
            if let Some(at) = self.sections.iter().position(|s| &s.heading == heading) {
                let section = self.sections.remove(at);
                self.sections.insert(0, section);
            }
        }
    }

    /// The card as Markdown: the one renderer.
    pub fn render(&self) -> String {
        let mut out = format!("# {}\n\n{}\n\n", self.title, self.summary.trim());
        for s in &self.sections {
            out.push_str(&format!("## {}\n\n{}\n\n", s.heading, s.body.trim()));
        }
        out.push_str(self.footer.trim());
        out.push('\n');
        out
    }

    /// `genre.onnx` -> `genre.MODEL_CARD.md`, so several models can share a folder.
    pub fn markdown_path(model: &Path) -> PathBuf {
        model.with_file_name(format!("{}.MODEL_CARD.md", stem(model)))
    }

    /// `genre.onnx` -> `genre.card.json`.
    pub fn json_path(model: &Path) -> PathBuf {
        model.with_file_name(format!("{}.card.json", stem(model)))
    }

    /// Writes the card of `model` as data and as Markdown (each atomically).
    pub fn write(&self, model: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self).context("model card")?;
        for (path, bytes) in [
            (Self::json_path(model), json),
            (Self::markdown_path(model), self.render().into_bytes()),
        ] {
            mcclstm_engine::atomic_file::write(&path, &bytes)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        Ok(())
    }

    /// Reads the card data of `model`.
    pub fn read(model: &Path) -> anyhow::Result<Self> {
        let path = Self::json_path(model);
        let bytes =
            std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a model card", path.display()))
    }
}

fn stem(model: &Path) -> String {
    model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> ModelCard {
        ModelCard {
            title: "Model card: `genre.onnx`".into(),
            summary: "MCCLSTM classifying genre.".into(),
            sections: vec![CardSection {
                heading: "Data".into(),
                body: "- 400 tracks".into(),
            }],
            footer: "Written today.".into(),
        }
    }

    #[test]
    fn sections_are_replaced_by_name_or_appended_and_rendered_in_order() {
        let mut c = card();
        c.set_section("Cross-validation", "| a | b |");
        c.set_section("Data", "- 500 tracks\n");
        assert_eq!(
            c.render(),
            "# Model card: `genre.onnx`\n\nMCCLSTM classifying genre.\n\n## Data\n\n- 500 tracks\n\n\
             ## Cross-validation\n\n| a | b |\n\nWritten today.\n"
        );
    }

    #[test]
    fn named_sections_move_to_the_top_in_the_order_given() {
        let mut card = card();
        card.set_section("B", "b");
        card.set_section("C", "c");
        card.put_first(&["C".into(), "missing".into(), "B".into()]);
        let order: Vec<&str> = card.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(order, ["C", "B", "Data"]);
    }

    #[test]
    fn a_card_round_trips_through_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("genre.onnx");
        card().write(&model).unwrap();
        assert_eq!(ModelCard::read(&model).unwrap(), card());
        let md = std::fs::read_to_string(dir.path().join("genre.MODEL_CARD.md")).unwrap();
        assert_eq!(md, card().render());
    }
}
