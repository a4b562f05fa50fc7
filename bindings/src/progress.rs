//! Long work the app can follow (and, where it can stop, cancel): saving many entries
//! (an import from another tool, a batch typed up after an operation), importing a
//! bundle. The listener is called on the caller's thread, never while the vault's lock
//! is held.

use std::sync::{Arc, Condvar, Mutex};

use crate::convert;
use crate::error::SafekeepError;
use crate::types::{NewEntry, Problem, Saved, SyncReport};

/// Implemented by the app to show progress and to cancel.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` of `total` finished. Return `false` to stop after the current item
    /// (`submit_all`); an `import_bundle` cannot stop halfway and ignores it.
    fn progress(&self, done: u64, total: u64) -> bool;
}

/// An entry of a bulk save that the form refused; the others are saved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefusedEntry {
    /// Position in the list given.
    pub index: u64,
    /// Every problem.
    pub problems: Vec<Problem>,
}

/// What a bulk save did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BulkReport {
    /// Entries saved, in order.
    pub saved: Vec<Saved>,
    /// Entries refused by their form (nothing of them stored).
    pub refused: Vec<RefusedEntry>,
    /// The listener asked to stop; entries after that were not looked at.
    pub cancelled: bool,
}

/// Saves `entries` one by one (each wholly or not at all), reporting after each.
pub(crate) fn submit_all(
    entries: Vec<NewEntry>,
    listener: Option<Arc<dyn ProgressListener>>,
    mut submit: impl FnMut(NewEntry) -> Result<Saved, SafekeepError>,
) -> Result<BulkReport, SafekeepError> {
    let total = entries.len() as u64;
    let mut report = BulkReport {
        saved: Vec::new(),
        refused: Vec::new(),
        cancelled: false,
    };
    for (index, entry) in entries.into_iter().enumerate() {
        match submit(entry) {
            Ok(saved) => report.saved.push(saved),
            Err(SafekeepError::Validation { problems }) => report.refused.push(RefusedEntry {
                index: index as u64,
                problems,
            }),
            Err(other) => return Err(other),
        }
        let done = index as u64 + 1;
        if let Some(listener) = &listener
            && !listener.progress(done, total)
            && done < total
        {
            report.cancelled = true;
            break;
        }
    }
    Ok(report)
}

/// The newest progress of work running on another thread, and whether it is over.
#[derive(Default)]
struct Latest {
    state: Mutex<(Option<(u64, u64)>, bool)>,
    changed: Condvar,
}

impl Latest {
    fn post(&self, done: u64, total: u64) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0 = Some((done, total));
        self.changed.notify_one();
    }

    fn finish(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        self.changed.notify_one();
    }

    /// The next progress to report (older ones are skipped), or `None` once the work
    /// is over and everything posted has been reported.
    fn next(&self) -> Option<(u64, u64)> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(progress) = state.0.take() {
                return Some(progress);
            }
            if state.1 {
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Marks the work over even if it panics, so the caller's loop ends.
struct Finish<'a>(&'a Latest);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Imports a bundle, telling `listener` how far it got. The core reports progress from
/// inside its transaction, with the vault's lock held, so the import runs on a thread
/// of its own and the listener is called here, on the caller's thread, with no lock
/// held: it may call back into the vault (that call waits for the import to end). The
/// import is one transaction and cannot stop halfway: the listener's answer is ignored.
pub(crate) fn import_bundle(
    vault: &safekeep_core::Vault,
    bytes: &[u8],
    listener: Option<Arc<dyn ProgressListener>>,
) -> Result<SyncReport, SafekeepError> {
    let Some(listener) = listener else {
        return Ok(convert::sync_report(vault.import_bundle(bytes)?));
    };
    let latest = Latest::default();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("safekeep-import".into())
            .spawn_scoped(scope, || {
                let _finish = Finish(&latest);
                vault
                    .import_bundle_with_progress(bytes, &mut |done, total| latest.post(done, total))
            })
            .map_err(|_| SafekeepError::Internal {
                detail: "cannot start the import thread".into(),
            })?;
        while let Some((done, total)) = latest.next() {
            let _ = listener.progress(done, total);
        }
        match worker.join() {
            Ok(report) => Ok(convert::sync_report(report?)),
            Err(_) => Err(SafekeepError::Internal {
                detail: "the import failed unexpectedly".into(),
            }),
        }
    })
}
