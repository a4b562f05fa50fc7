//! Ops: every change to a record, as it is written to the append-only log and carried
//! to other devices in bundles.

use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, RecordId};
use crate::records::{FormRef, RecordKind, Value};
use crate::sync::clock::Stamp;

/// Identifies an op on every device: the device that made it and its sequence number
/// there (1, 2, 3, ... without gaps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId {
    /// The device that made the op.
    pub device: DeviceId,
    /// That device's sequence number.
    pub seq: u64,
}

impl OpId {
    /// The 24 bytes `device ‖ seq` that bind the sealed op to its row.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..16].copy_from_slice(&self.device.0);
        out[16..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }
}

/// Setting one field. `value: None` clears it. `bases` are the stamps of the values the
/// writer saw and replaced: empty when the field was empty for the writer, one stamp
/// for an ordinary edit, every competing value for a resolution. Sync uses them to
/// tell an informed overwrite from a concurrent one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldSet {
    /// Field (question) name.
    pub name: String,
    /// New value, or `None` to clear.
    pub value: Option<Value>,
    /// Stamps of the replaced values, as the writer saw them.
    pub bases: Vec<Stamp>,
}

/// What an op does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OpBody {
    /// Creates a record with its first field values.
    Create {
        /// Case, submission, service entry, ...
        kind: RecordKind,
        /// The case it belongs to (for everything but cases).
        case: Option<RecordId>,
        /// The form it was filled with.
        form: Option<FormRef>,
        /// Initial values.
        fields: Vec<FieldSet>,
    },
    /// Sets or clears fields.
    Set {
        /// The changes.
        fields: Vec<FieldSet>,
    },
    /// Deletes the record (a tombstone: the ops stay, the record disappears from lists).
    Tombstone {
        /// Stamps of every value and entry the deleting device saw. An edit not among
        /// them was made without knowing of the delete: a conflict, not a silent loss.
        seen: Vec<Stamp>,
        /// Written because the record's case was deleted (restoring the case brings
        /// the record back too).
        with_case: bool,
    },
    /// Marks this case and `other` as the same person (`same: true`) or withdraws that
    /// (`same: false`). Written on both cases; per pair, the highest stamp wins.
    Link {
        /// The other case.
        other: RecordId,
        /// Whether they are the same person.
        same: bool,
    },
    /// Appends an entry to one of the record's logs (notes, follow-ups). Entries have
    /// their own stamps and never conflict.
    Append {
        /// The log's name.
        log: String,
        /// The entry.
        entry: Value,
    },
    /// A coordinator's decision on a conflict. Syncs like any op.
    Resolve(Resolution),
}

/// How a conflict was resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Resolution {
    /// Fields set to the chosen value; each names every competing value as a base.
    Fields(Vec<FieldSet>),
    /// The record stays deleted; `seen` covers every edit that competed with the delete.
    KeepDeleted {
        /// Stamps of every value and entry the resolver saw.
        seen: Vec<Stamp>,
    },
    /// The record is brought back; the named tombstones no longer count.
    Restore {
        /// Stamps of the tombstones withdrawn.
        tombstones: Vec<Stamp>,
    },
}

/// One change, stamped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Unique id across devices.
    pub id: OpId,
    /// The record it changes.
    pub record: RecordId,
    /// When, by the device's hybrid logical clock.
    pub stamp: Stamp,
    /// The team key epoch in force when the op was made (0 before the vault joined a
    /// team). A bundle is sealed under an epoch at least this high.
    pub epoch: u32,
    /// What it does.
    pub body: OpBody,
}
