//! Long work the app can follow and cancel: saving many entries (an import from
//! another tool, a batch typed up after an operation). The listener is called between
//! entries, never while the vault's lock is held.

use std::sync::Arc;

use crate::error::SafekeepError;
use crate::types::{NewEntry, Problem, Saved};

/// Implemented by the app to show progress and to cancel.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` of `total` finished. Return `false` to stop after the current item.
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
