//! Destroying a vault: the keyslot file first (crypto-erase: once it is gone nothing on
//! the device can unwrap the data key), then the database, its WAL and shared-memory
//! files, and the attachments. Files are overwritten in place before being unlinked;
//! on flash storage that is best effort, which is why the keyslots go first.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;

use super::keyslots::{self, KeyslotFile};
use super::{ATTACHMENTS_DIR, DB_FILE};

fn overwrite_and_remove(path: &Path, random: bool) -> io::Result<()> {
    match OpenOptions::new().write(true).open(path) {
        Ok(file) => {
            keyslots::overwrite(file, random)?;
            fs::remove_file(path)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Overwrites and removes the database and its side files.
fn remove_database_files(dir: &Path) -> io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        overwrite_and_remove(&dir.join(format!("{DB_FILE}{suffix}")), false)?;
    }
    Ok(())
}

fn wipe_tree(dir: &Path) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            wipe_tree(&path)?;
            fs::remove_dir(&path)?;
        } else {
            overwrite_and_remove(&path, false)?;
        }
    }
    Ok(())
}

/// Destroys every vault file in `dir`, keyslots first. The folder itself stays.
pub(super) fn wipe_dir(dir: &Path) -> io::Result<()> {
    overwrite_and_remove(&KeyslotFile::path(dir), true)?;
    overwrite_and_remove(&dir.join(format!("{}.tmp", keyslots::FILE_NAME)), true)?;
    keyslots::sync_dir(dir)?;
    remove_database_files(dir)?;
    wipe_tree(&dir.join(ATTACHMENTS_DIR))?;
    keyslots::sync_dir(dir)
}
