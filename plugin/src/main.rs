//! The standalone build (`--features standalone`): the plugin with its editor, no DAW needed.
//! `MCCLSTM_DEMO_WAV=file.wav` analyses that file instead of the (silent) dummy input.

fn main() {
    nice_plug::nice_export_standalone::<mcclstm_plugin::Mcclstm>();
}
