//! A real DAW, headless: Ardour (Debian's `ardour`, GPL, installed when the tests run and never
//! shipped) driven through its Lua session tool `ardour7-lua` with the dummy audio backend. It
//! scans the VST3 bundle with Ardour's own scanner, builds sessions, records and plays through the
//! plugin at real-time pace, exports (bounces) offline, and saves the project, in whose XML the
//! plugin's state is a base64 `<chunk>`.
//!
//! Everything Ardour writes (its configuration, plugin cache, sessions) stays under one work
//! folder: `HOME`, `XDG_CONFIG_HOME` and `XDG_CACHE_HOME` point there, and `VST3_PATH` at a folder
//! holding only the bundle under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use base64::Engine as _;

/// The export preset the bounces use: Ardour's "BWAV 32float Export" format (shipped in
/// `/usr/share/ardour7/export`), so the bounce holds the plugin's output samples exactly.
pub const FLOAT_PRESET_ID: &str = "5f6a3b0e-1c2d-4e8f-9a7b-6c5d4e3f2a1b";
const FLOAT_FORMAT_ID: &str = "20b4ab09-6452-4cb3-bd66-b921cdbd2942";

/// A work folder set up for Ardour with the bundle scanned.
pub struct Ardour {
    work: PathBuf,
    lua: PathBuf,
}

impl Ardour {
    /// Lays out `work` (a fresh folder) and scans `bundle` (a `.vst3` folder) with Ardour's VST3
    /// scanner, which writes the cache `ardour7-lua` reads plugins from (it does not scan itself).
    /// `ARDOUR_LUA` names the session tool when it is not `ardour7-lua` on the path.
    pub fn new(work: &Path, bundle: &Path) -> anyhow::Result<Self> {
        let lua = std::env::var_os("ARDOUR_LUA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("ardour7-lua"));
        let ardour = Self {
            work: work.to_path_buf(),
            lua,
        };
        let plugins = ardour.plugins_dir();
        std::fs::create_dir_all(&plugins)?;
        let name = bundle.file_name().context("the bundle path has no name")?;
        // A copy, dated ten seconds back: Ardour trusts its plugin cache only when the cache is
        // newer than the module by a whole second, and a bundle built just before the scan is not.
        copy_dated(
            bundle,
            &plugins.join(name),
            SystemTime::now() - Duration::from_secs(10),
        )
        .with_context(|| {
            format!(
                "{}: cannot copy into {}",
                bundle.display(),
                plugins.display()
            )
        })?;
        let presets = ardour.work.join("config/ardour7/export");
        std::fs::create_dir_all(&presets)?;
        std::fs::write(
            presets.join("mcclstm-float.preset"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ExportPreset id=\"{FLOAT_PRESET_ID}\" name=\"mcclstm float WAV\">\n\
                 <ExportFormat id=\"{FLOAT_FORMAT_ID}\"/>\n\
                 <ExportFilename><Folder relative=\"1\" path=\"export\"/>\
                 <Field name=\"timespan\" enabled=\"1\"/></ExportFilename>\n\
                 </ExportPreset>\n"
            ),
        )?;
        // The scanner lives beside the session tool's libraries, which it needs on its path.
        let libs = Path::new("/usr/lib/ardour7");
        let scanner = libs.join("ardour-vst3-scanner");
        let out = ardour
            .command(&scanner)
            .env("LD_LIBRARY_PATH", libs)
            .args(["-q", "-f"])
            .arg(plugins.join(name))
            .output()
            .with_context(|| {
                format!(
                    "{}: cannot run Ardour's VST3 scanner (install Debian's `ardour`; \
                     `cargo xtask test` does)",
                    scanner.display()
                )
            })?;
        if !out.status.success() {
            bail!(
                "Ardour's VST3 scanner refused {}: {}",
                bundle.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(ardour)
    }

    fn plugins_dir(&self) -> PathBuf {
        self.work.join("vst3")
    }

    /// `program` with Ardour's environment pointed into the work folder.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", self.work.join("home"))
            .env("XDG_CONFIG_HOME", self.work.join("config"))
            .env("XDG_CACHE_HOME", self.work.join("cache"))
            .env("VST3_PATH", self.plugins_dir())
            .current_dir(&self.work);
        command
    }

    /// Runs a Lua script in `ardour7-lua` and returns what it printed. A script that fails (an
    /// `assert`, a Lua error) or a tool that crashes is an error that shows the output.
    pub fn run(&self, name: &str, script: &str) -> anyhow::Result<String> {
        let path = self.work.join(format!("{name}.lua"));
        std::fs::write(&path, script)?;
        let out = self
            .command(&self.lua)
            .arg(&path)
            .output()
            .with_context(|| {
                format!(
                    "{}: cannot run Ardour's Lua session tool (install Debian's `ardour`; \
                     `cargo xtask test` does)",
                    self.lua.display()
                )
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // luasession prints Lua errors as "Error: ..." and still exits 0.
        if !out.status.success() || stdout.contains("Error:") || stderr.contains("Error:") {
            bail!(
                "ardour7-lua {name}.lua failed ({}):\n{stdout}\n{stderr}",
                out.status
            );
        }
        Ok(stdout)
    }

    /// The work folder (sessions are made below it).
    pub fn work(&self) -> &Path {
        &self.work
    }
}

/// Copies the folder `from` to `to`, every file's modification time set to `mtime`.
fn copy_dated(from: &Path, to: &Path, mtime: SystemTime) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dated(&entry.path(), &target, mtime)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::File::options()
                .write(true)
                .open(&target)?
                .set_modified(mtime)?;
        }
    }
    Ok(())
}

/// The state of the first processor named `plugin` in an Ardour session file: the bytes of its
/// VST3 `<chunk>` (Ardour's container around the plugin's own state, which
/// [`crate::parse_state`] reads).
pub fn plugin_state(session_file: &Path, plugin: &str) -> anyhow::Result<Vec<u8>> {
    let xml = std::fs::read_to_string(session_file)
        .with_context(|| format!("{}: cannot read", session_file.display()))?;
    let name = format!("name=\"{plugin}\"");
    let processor = xml
        .match_indices("<Processor ")
        .map(|(at, _)| at)
        .find(|&at| {
            xml[at..]
                .split('>')
                .next()
                .is_some_and(|tag| tag.contains(&name))
        })
        .with_context(|| format!("{}: no processor named {plugin}", session_file.display()))?;
    let rest = &xml[processor..];
    let start = rest
        .find("<chunk>")
        .with_context(|| format!("{}: {plugin} saved no state chunk", session_file.display()))?
        + "<chunk>".len();
    let end = rest[start..]
        .find("</chunk>")
        .context("an unterminated <chunk>")?;
    let text: String = rest[start..start + end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .context("the state chunk is not base64")
}
