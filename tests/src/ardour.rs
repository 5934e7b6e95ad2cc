//! A real DAW, headless: Ardour (Debian's `ardour`, GPL, installed when the tests run and never
//! shipped) driven through its Lua session tool `ardour7-lua` with the dummy audio backend. It
//! scans the VST3 bundle with Ardour's own scanner, builds sessions, records and plays through the
//! plugin at real-time pace, exports (bounces) offline, and saves the project, in whose XML the
//! plugin's state is a base64 `<chunk>`.
//!
//! Everything Ardour writes (its configuration, plugin cache, sessions) stays under one work
//! folder: `HOME`, `XDG_CONFIG_HOME` and `XDG_CACHE_HOME` point there, and `VST3_PATH` at a folder
//! holding only the bundle under test.
//!
//! Ardour's data folder is a mirror of `/usr/share/ardour7` (links) without the MIDNAM patch files
//! and the MP3 export formats. Ardour 7.3 loads the 454 patch files on a background thread that
//! logs into the same message stream (a `std::stringstream`, not thread-safe) as the main thread;
//! creating an export logs an error for each MP3 format (no encoder here) at the same time, and
//! the two writers corrupt the heap now and then (valgrind: invalid writes in
//! `MidiPatchManager::add_midnam_files_from_directory` into a block of
//! `ExportProfileManager::load_format_from_disk`; the bounce then dies in `close_session()` with
//! `free(): invalid next size`, about one run in ten). Neither is used by the tests. The heap
//! still breaks now and then without them (glibc aborts in a later `malloc`, e.g. in
//! `Session::save_state`, with only Ardour's threads and ours running), so a run that crashes is
//! run once more ([`Ardour::run_retrying_a_crash`]). The broken heap can deadlock instead of
//! crashing (the engine thread waiting forever on glibc's arena lock in a `free` as the export
//! finishes), so a script still running after [`hang_limit`] is killed and counts as a crash.
//! See `docs/upstream.md`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use base64::Engine as _;

/// The export preset the bounces use: Ardour's "BWAV 32float Export" format (shipped in
/// `/usr/share/ardour7/export`), so the bounce holds the plugin's output samples exactly.
pub const FLOAT_PRESET_ID: &str = "5f6a3b0e-1c2d-4e8f-9a7b-6c5d4e3f2a1b";
const FLOAT_FORMAT_ID: &str = "20b4ab09-6452-4cb3-bd66-b921cdbd2942";

/// Debian's Ardour 7: its libraries (and session tool, scanner) and its data.
const ARDOUR_LIBS: &str = "/usr/lib/ardour7";
const ARDOUR_DATA: &str = "/usr/share/ardour7";

/// How long one script may run before the session tool is taken to have hung: 300 s (a test's
/// script takes seconds to a minute), or `MCCLSTM_ARDOUR_HANG_SECONDS`.
pub fn hang_limit() -> Duration {
    let seconds = std::env::var("MCCLSTM_ARDOUR_HANG_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(seconds)
}

/// A work folder set up for Ardour with the bundle scanned.
pub struct Ardour {
    work: PathBuf,
    lua: PathBuf,
    hang_limit: Duration,
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
            hang_limit: hang_limit(),
        };
        ardour.mirror_data()?;
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
        let libs = Path::new(ARDOUR_LIBS);
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

    fn data_dir(&self) -> PathBuf {
        self.work.join("ardour-data")
    }

    /// Lays out Ardour's data folder: links to everything in [`ARDOUR_DATA`] but the MIDNAM patch
    /// files (an empty folder) and the MP3 export formats (see the module's documentation).
    fn mirror_data(&self) -> anyhow::Result<()> {
        let data = self.data_dir();
        let system = Path::new(ARDOUR_DATA);
        let entries = std::fs::read_dir(system)
            .with_context(|| format!("{ARDOUR_DATA}: not there (install Debian's `ardour`)"))?;
        std::fs::create_dir_all(data.join("patchfiles"))?;
        std::fs::create_dir_all(data.join("export"))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if name == "patchfiles" || name == "export" {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), data.join(&name))?;
        }
        for entry in std::fs::read_dir(system.join("export"))? {
            let entry = entry?;
            let name = entry.file_name();
            if name
                .to_string_lossy()
                .to_ascii_lowercase()
                .starts_with("mp3")
            {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), data.join("export").join(&name))?;
        }
        Ok(())
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

    /// The same, with scripts taken to have hung after `limit` instead of [`hang_limit`].
    pub fn with_hang_limit(self, limit: Duration) -> Self {
        Self {
            hang_limit: limit,
            ..self
        }
    }

    /// Runs a Lua script in Ardour's session tool and returns what it printed. A script that
    /// fails (an `assert`, a Lua error) or a tool that crashes is an error that shows the output.
    /// The tool is `luasession` run with the environment Debian's `ardour7-lua` wrapper gives it,
    /// but the data folder mirrored (the wrapper would fix it to `/usr/share/ardour7`); a tool
    /// named by `ARDOUR_LUA` runs as it is.
    pub fn run(&self, name: &str, script: &str) -> anyhow::Result<String> {
        self.run_once(name, script).map_err(|(_, e)| e)
    }

    /// [`Ardour::run`], but a tool killed by a signal (SIGSEGV, SIGABRT, or ours after
    /// [`hang_limit`]) runs the script once more after `reset` (which undoes what the first run
    /// left: a half-made session, an export).
    /// Ardour 7.3 corrupts its heap now and then on its own (see the module's documentation and
    /// `docs/upstream.md`); a crash in both runs is an error that shows both outputs, and the
    /// first crash is printed either way.
    pub fn run_retrying_a_crash(
        &self,
        name: &str,
        script: &str,
        reset: impl Fn() -> anyhow::Result<()>,
    ) -> anyhow::Result<String> {
        match self.run_once(name, script) {
            Err((true, first)) => {
                eprintln!("Ardour crashed; running {name}.lua once more. The crash: {first:#}");
                reset()?;
                self.run_once(name, script).map_err(|(_, second)| {
                    anyhow::anyhow!("{second:#}\n\nThe first run crashed as well: {first:#}")
                })
            }
            other => other.map_err(|(_, e)| e),
        }
    }

    /// One run; an error says whether the tool was killed by a signal.
    fn run_once(&self, name: &str, script: &str) -> Result<String, (bool, anyhow::Error)> {
        use std::os::unix::process::ExitStatusExt as _;
        let failed = |e: anyhow::Error| (false, e);
        let path = self.work.join(format!("{name}.lua"));
        std::fs::write(&path, script)
            .map_err(anyhow::Error::from)
            .map_err(failed)?;
        let session_tool = Path::new(ARDOUR_LIBS).join("luasession");
        let mut command = if std::env::var_os("ARDOUR_LUA").is_none() && session_tool.is_file() {
            let mut command = self.command(&session_tool);
            let libs = match std::env::var_os("LD_LIBRARY_PATH") {
                Some(more) if !more.is_empty() => {
                    let mut libs = std::ffi::OsString::from(format!("{ARDOUR_LIBS}:"));
                    libs.push(more);
                    libs
                }
                _ => ARDOUR_LIBS.into(),
            };
            command
                .env("LD_LIBRARY_PATH", libs)
                .env("ARDOUR_DATA_PATH", self.data_dir())
                .env("ARDOUR_CONFIG_PATH", "/etc/ardour7")
                .env("ARDOUR_DLL_PATH", ARDOUR_LIBS)
                .env("VAMP_PATH", format!("{ARDOUR_LIBS}/vamp"));
            command
        } else {
            self.command(&self.lua)
        };
        let mut child = command
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "{}: cannot run Ardour's Lua session tool (install Debian's `ardour`; \
                     `cargo xtask test` does)",
                    self.lua.display()
                )
            })
            .map_err(failed)?;
        let stdout = read_to_end_aside(child.stdout.take());
        let stderr = read_to_end_aside(child.stderr.take());
        let limit = self.hang_limit;
        let started = Instant::now();
        let status = loop {
            match child
                .try_wait()
                .map_err(anyhow::Error::from)
                .map_err(failed)?
            {
                Some(status) => break Some(status),
                None if started.elapsed() >= limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        let stdout = String::from_utf8_lossy(&collect(stdout)).into_owned();
        let stderr = String::from_utf8_lossy(&collect(stderr)).into_owned();
        let Some(status) = status else {
            return Err((
                true,
                anyhow::anyhow!(
                    "ardour7-lua {name}.lua hung: killed after {} s:\n{stdout}\n{stderr}",
                    limit.as_secs()
                ),
            ));
        };
        // luasession prints Lua errors as "Error: ..." and still exits 0.
        if !status.success() || stdout.contains("Error:") || stderr.contains("Error:") {
            return Err((
                status.signal().is_some(),
                anyhow::anyhow!("ardour7-lua {name}.lua failed ({status}):\n{stdout}\n{stderr}"),
            ));
        }
        Ok(stdout)
    }

    /// The work folder (sessions are made below it).
    pub fn work(&self) -> &Path {
        &self.work
    }
}

/// Reads a child's pipe to its end on a thread of its own, so the child never blocks on a full
/// pipe while it is waited for.
fn read_to_end_aside(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// What [`read_to_end_aside`] read, once the child has ended. A pipe that a process the tool
/// started still holds open is given up after 10 s (its output so far is lost), so a test never
/// waits on it.
fn collect(reader: std::thread::JoinHandle<Vec<u8>>) -> Vec<u8> {
    let given_up = Instant::now() + Duration::from_secs(10);
    while !reader.is_finished() && Instant::now() < given_up {
        std::thread::sleep(Duration::from_millis(20));
    }
    if reader.is_finished() {
        reader.join().unwrap_or_default()
    } else {
        b"(the output could not be read: a pipe stayed open)".to_vec()
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
    plugin_states(session_file, plugin)?
        .into_iter()
        .next()
        .with_context(|| format!("{}: no processor named {plugin}", session_file.display()))
}

/// The states of every processor named `plugin` in an Ardour session file, in the file's order
/// (see [`plugin_state`]).
pub fn plugin_states(session_file: &Path, plugin: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let xml = std::fs::read_to_string(session_file)
        .with_context(|| format!("{}: cannot read", session_file.display()))?;
    let name = format!("name=\"{plugin}\"");
    xml.match_indices("<Processor ")
        .map(|(at, _)| at)
        .filter(|&at| {
            xml[at..]
                .split('>')
                .next()
                .is_some_and(|tag| tag.contains(&name))
        })
        .map(|processor| {
            let rest = &xml[processor..];
            let start = rest.find("<chunk>").with_context(|| {
                format!("{}: {plugin} saved no state chunk", session_file.display())
            })? + "<chunk>".len();
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
        })
        .collect()
}
