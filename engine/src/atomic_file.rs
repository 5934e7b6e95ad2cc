//! Writing a file so that a kill or a crash never leaves a half-written file under its real name:
//! the bytes go to a temporary file beside it, are flushed to the disk (`fsync`), and the
//! temporary file is renamed over the real one (atomic on the same file system). Every output of
//! the project that a later run reads back (model files, checkpoints, the feature cache, reports,
//! audio the data makers write) goes through here.
//!
//! Each write has its own temporary name (`NAME.<process>-<count>.tmp`), so writers of the same
//! file never share one: two trainings filling one feature cache, or two threads meeting on one
//! entry because a data set holds the same audio twice, each finish their own file and the last
//! rename wins, whole.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary name beside `path` (`path` with `.<process>-<count>.tmp` appended) that no other
/// call in any process gets: where [`write_with`] writes before the rename.
pub fn temp_path(path: &Path) -> PathBuf {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{count}.tmp", std::process::id()));
    PathBuf::from(name)
}

/// Writes `bytes` to `path` atomically (see the module documentation).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Writes to `path` atomically through `fill`, which writes into a buffered temporary file. On an
/// error the temporary file is removed and the real file is untouched.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut writer = BufWriter::new(File::create(&tmp)?);
        fill(&mut writer)?;
        // Flush explicitly: a BufWriter dropped with a full disk would lose the error.
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        write(&path, b"first").unwrap();
        let failed = write_with(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("killed"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(files_in(dir.path()), ["out.bin"]);
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
    }

    /// Writers of one file at once (two trainings on one feature cache) each succeed, and the
    /// file is always one writer's bytes, whole.
    #[test]
    fn writers_of_the_same_file_at_once_all_succeed_and_leave_one_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.mcf");
        let len = 1 << 16;
        std::thread::scope(|scope| {
            for writer in 0..8u8 {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..40 {
                        write(path, &vec![writer; len]).expect("every write succeeds");
                        let now = std::fs::read(path).unwrap();
                        assert_eq!(now.len(), len);
                        assert!(
                            now.iter().all(|&b| b == now[0]),
                            "bytes of two writers mixed"
                        );
                    }
                });
            }
        });
        assert_eq!(files_in(dir.path()), ["entry.mcf"]);
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}
