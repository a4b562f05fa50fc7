//! Files the sync commands read and write: texts given inline or as `@path`, and
//! outputs written whole or not at all (a temporary file in the same folder, renamed
//! into place), never replacing an existing file unless asked.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::{CliResult, Failure};

/// The largest text read through `@path` (summaries and invites are a few KiB).
const MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// `arg` itself, or the content of the file it names when it starts with `@`.
pub fn text_arg(arg: &str, what: &str) -> CliResult<String> {
    let Some(path) = arg.strip_prefix('@') else {
        return Ok(arg.to_owned());
    };
    let path = Path::new(path);
    let len = std::fs::metadata(path)
        .map_err(|e| {
            Failure::new(format!(
                "cannot read the {what} file {}: {e}",
                path.display()
            ))
        })?
        .len();
    if len > MAX_TEXT_BYTES {
        return Err(Failure::new(format!(
            "the {what} file {} is too large to be a {what}",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::new(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::new(format!("the {what} file {} is not text", path.display())))
}

/// `file` for the first part, then `file` with `-2`, `-3`, ... before its extension
/// (`out.skb`, `out-2.skb`, `out-3.skb`).
pub fn part_path(file: &Path, part: usize) -> PathBuf {
    if part <= 1 {
        return file.to_owned();
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match file.extension() {
        Some(ext) => format!("{stem}-{part}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{part}"),
    };
    file.with_file_name(name)
}

/// Bytes written to a temporary file next to where they go, not yet in place.
pub struct Pending {
    temp: NamedTempFile,
    target: PathBuf,
}

impl Pending {
    /// Writes `bytes` (flushed to disk) into a temporary file in `target`'s folder.
    pub fn write(target: &Path, bytes: &[u8]) -> CliResult<Self> {
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let cannot =
            |e: std::io::Error| Failure::new(format!("cannot write {}: {e}", target.display()));
        let mut temp = NamedTempFile::new_in(folder).map_err(cannot)?;
        temp.write_all(bytes).map_err(cannot)?;
        temp.as_file().sync_all().map_err(cannot)?;
        Ok(Self {
            temp,
            target: target.to_owned(),
        })
    }

    /// Where it goes.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves it into place; an existing file is replaced only with `force`.
    pub fn persist(self, force: bool) -> CliResult {
        let target = self.target;
        let result = if force {
            self.temp.persist(&target).map(drop)
        } else {
            self.temp.persist_noclobber(&target).map(drop)
        };
        result.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                exists(&target)
            } else {
                Failure::new(format!("cannot write {}: {}", target.display(), e.error))
            }
        })
    }
}

/// The error for an output file that is already there.
pub fn exists(target: &Path) -> Failure {
    Failure::new(format!(
        "{} already exists: pass --force to replace it",
        target.display()
    ))
}

/// Writes `bytes` to `target` whole or not at all (replacing it with `force`).
pub fn write_atomic(target: &Path, bytes: &[u8], force: bool) -> CliResult {
    if !force && target.exists() {
        return Err(exists(target));
    }
    Pending::write(target, bytes)?.persist(force)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_numbered_before_the_extension() {
        let file = Path::new("/media/usb/kolkata.skb");
        assert_eq!(part_path(file, 1), file);
        assert_eq!(part_path(file, 2), Path::new("/media/usb/kolkata-2.skb"));
        assert_eq!(part_path(Path::new("out"), 3), Path::new("out-3"));
        assert_eq!(
            part_path(Path::new("a.tar.skb"), 10),
            Path::new("a.tar-10.skb")
        );
    }

    #[test]
    fn an_existing_file_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("b.skb");
        write_atomic(&target, b"first", false).unwrap();
        assert!(write_atomic(&target, b"second", false).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        write_atomic(&target, b"third", true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"third");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
