//! Ops: every change to a record, as it is written to the append-only log and (later)
//! carried to other devices.

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

/// Setting one field. `value: None` clears it. `base` is the stamp of the value the
/// writer saw (and replaced); `None` when the field was empty for the writer. Sync uses
/// it to tell an informed overwrite from a concurrent one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldSet {
    /// Field (question) name.
    pub name: String,
    /// New value, or `None` to clear.
    pub value: Option<Value>,
    /// Stamp of the replaced value, as the writer saw it.
    pub base: Option<Stamp>,
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
        /// The record's last update stamp as the deleting device saw it.
        base: Option<Stamp>,
    },
    /// Marks this case and `other` as the same person (`same: true`) or withdraws that
    /// (`same: false`). Written on both cases; per pair, the highest stamp wins.
    Link {
        /// The other case.
        other: RecordId,
        /// Whether they are the same person.
        same: bool,
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
    /// What it does.
    pub body: OpBody,
}
