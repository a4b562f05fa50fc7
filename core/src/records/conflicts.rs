//! Open conflicts and their resolution. A conflict is read from a record's state (and,
//! for a deleted case, from the records added to it meanwhile), so every device that
//! has the same ops lists the same conflicts with the same ids; a resolution is an op
//! that names every competing value and syncs like any other.
//!
//! A conflict's id ends with a revision (a hash of the values it holds): a resolution
//! decides exactly what was shown, and a value that arrived after the listing makes
//! the resolution fail with [`SyncError::ConflictChanged`] instead of being retired
//! unseen.

use super::{Batch, RecordError, RecordKind, Value, sealed};
use crate::crypto::Sealer;
use crate::ids::{DeviceId, RecordId};
use crate::records::FormRef;
use crate::store::{RowFilter, Store, StoreError};
use crate::sync::merge::{RecordState, Unseen};
use crate::sync::op::{FieldSet, OpBody, Resolution};
use crate::sync::team::Role;
use crate::sync::{Stamp, SyncError};
use crate::vault::Vault;

/// What a conflict is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictSubject {
    /// Concurrent edits of one field left different values.
    Field(String),
    /// The record was deleted on one device and edited on another.
    Deletion,
}

/// What a competing value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A field's value (`value: None`: the field was cleared).
    Field,
    /// A log entry (a note, a follow-up) written after the delete was made.
    Entry,
    /// The delete itself.
    Delete,
    /// A coordinator's earlier decision to bring the record back.
    Restore,
    /// A record (a submission, a service entry) added to the case elsewhere while the
    /// case was being deleted; `record` names it.
    Added,
}

/// One of the competing values of a conflict.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictValue {
    /// Short id to choose this value with (the same on every device).
    pub id: String,
    /// What it is.
    pub kind: ValueKind,
    /// The record it belongs to: the conflict's record, or a record added to a deleted
    /// case.
    pub record: RecordId,
    /// The field it sets (for a deletion conflict, the field edited; `None` for
    /// anything else).
    pub field: Option<String>,
    /// The value (`None`: cleared, or not a field value).
    pub value: Option<Value>,
    /// The device that wrote it.
    pub device: DeviceId,
    /// When.
    pub stamp: Stamp,
    /// The value the record shows now.
    pub shown: bool,
}

/// An open conflict, waiting for a coordinator.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// Id to resolve it with (the same on every device with the same ops). It changes
    /// when a competing value arrives, so a resolution decides what was listed.
    pub id: String,
    /// The record.
    pub record: RecordId,
    /// Its kind.
    pub kind: RecordKind,
    /// Its case (none for a case).
    pub case: Option<RecordId>,
    /// Its form.
    pub form: Option<FormRef>,
    /// What the conflict is about.
    pub subject: ConflictSubject,
    /// Every competing value, oldest first.
    pub values: Vec<ConflictValue>,
}

/// A coordinator's decision.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    /// Keep one of the competing values, by its id (or its 1-based position in the
    /// listing, which the conflict's revision fixes).
    Keep(String),
    /// Set a new value (`None` clears the field). Field conflicts only.
    Value(Option<Value>),
}

fn stamp_bytes(stamp: &Stamp) -> [u8; 28] {
    let mut out = [0u8; 28];
    out[..8].copy_from_slice(&stamp.wall_ms.to_be_bytes());
    out[8..12].copy_from_slice(&stamp.counter.to_be_bytes());
    out[12..].copy_from_slice(&stamp.device.0);
    out
}

fn value_id(stamp: &Stamp) -> String {
    let digest = blake3::derive_key("safekeep 2026-11 conflict value id", &stamp_bytes(stamp));
    sealed::hex(&digest[..4])
}

/// The 12 hex digits that name a conflict for as long as it is open.
fn conflict_key(record: RecordId, subject: &ConflictSubject) -> String {
    let mut hasher = blake3::Hasher::new_derive_key("safekeep 2026-11 conflict id");
    hasher.update(record.as_bytes());
    match subject {
        ConflictSubject::Field(name) => hasher.update(b"f").update(name.as_bytes()),
        ConflictSubject::Deletion => hasher.update(b"d"),
    };
    sealed::hex(&hasher.finalize().as_bytes()[..6])
}

/// The key, a dot, and 12 hex digits of the revision: the values listed (their
/// stamps, kinds and contents) and `context`, the stamps a resolution would also
/// decide (what a record added to a deleted case has had written to it; the case's
/// deletes that restoring a record of it withdraws).
fn conflict_id(key: &str, values: &[ConflictValue], context: &[Stamp]) -> String {
    let mut hasher = blake3::Hasher::new_derive_key("safekeep 2026-11 conflict revision");
    for value in values {
        hasher.update(value.record.as_bytes());
        hasher.update(&stamp_bytes(&value.stamp));
        hasher.update(&[value.kind as u8]);
        let content = postcard::to_allocvec(&(&value.field, &value.value)).unwrap_or_default();
        hasher.update(&(content.len() as u64).to_be_bytes());
        hasher.update(&content);
    }
    hasher.update(b"context");
    for stamp in context {
        hasher.update(&stamp_bytes(stamp));
    }
    format!("{key}.{}", sealed::hex(&hasher.finalize().as_bytes()[..6]))
}

fn key_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// A record added to a deleted case, as it shows in the case's deletion conflict.
pub(crate) struct AddedChild {
    pub id: RecordId,
    pub created: Stamp,
    /// Everything written to it: keeping the delete deletes all of it.
    pub seen: Vec<Stamp>,
}

/// The conflicts open on one record. `added` lists, for a deleted case, its records
/// that no delete covers (added elsewhere while it was being deleted);
/// `case_deletes`, for a record of a deleted case, that case's deletes in force.
pub(crate) fn conflicts_of(
    id: RecordId,
    state: &RecordState,
    added: &[AddedChild],
    case_deletes: &[Stamp],
) -> Vec<Conflict> {
    let Some(header) = state.header.as_ref() else {
        return Vec::new();
    };
    let make = |subject: ConflictSubject, mut values: Vec<ConflictValue>, context: &[Stamp]| {
        values.sort_by_key(|v| (v.stamp, v.record));
        Conflict {
            id: conflict_id(&conflict_key(id, &subject), &values, context),
            record: id,
            kind: header.kind,
            case: header.case,
            form: header.form.clone(),
            subject,
            values,
        }
    };
    let value = |kind: ValueKind, stamp: Stamp| ConflictValue {
        id: value_id(&stamp),
        kind,
        record: id,
        field: None,
        value: None,
        device: stamp.device,
        stamp,
        shown: false,
    };
    let mut out = Vec::new();
    for (name, shown, others) in state.conflicted_fields() {
        let values = std::iter::once((shown, true))
            .chain(others.iter().map(|o| (o, false)))
            .map(|(f, is_shown)| ConflictValue {
                field: Some(name.clone()),
                value: f.value.clone(),
                shown: is_shown,
                ..value(ValueKind::Field, f.stamp)
            })
            .collect();
        out.push(make(ConflictSubject::Field(name.clone()), values, &[]));
    }
    let unseen = state.unseen_by_delete();
    let added: &[AddedChild] = if state.deleted.is_some() { added } else { &[] };
    if !unseen.is_empty() || !added.is_empty() {
        let mut values: Vec<ConflictValue> = state
            .live_tombstones()
            .map(|(stamp, _)| ConflictValue {
                shown: state.deleted == Some(*stamp),
                ..value(ValueKind::Delete, *stamp)
            })
            .collect();
        for item in unseen {
            values.push(match item {
                Unseen::Field(name, head) => ConflictValue {
                    field: Some(name.to_owned()),
                    value: head.value.clone(),
                    ..value(ValueKind::Field, head.stamp)
                },
                Unseen::Entry(stamp, entry) => ConflictValue {
                    value: Some(entry.clone()),
                    ..value(ValueKind::Entry, stamp)
                },
                Unseen::Restore(stamp) => value(ValueKind::Restore, stamp),
            });
        }
        for child in added {
            values.push(ConflictValue {
                record: child.id,
                ..value(ValueKind::Added, child.created)
            });
        }
        let mut context: Vec<Stamp> = added.iter().flat_map(|c| c.seen.iter().copied()).collect();
        context.extend_from_slice(case_deletes);
        // A set: the same on every device whatever order records are stored in.
        context.sort();
        context.dedup();
        out.push(make(ConflictSubject::Deletion, values, &context));
    }
    out
}

fn pick<'c>(conflict: &'c Conflict, chosen: &str) -> Result<&'c ConflictValue, SyncError> {
    let chosen = chosen.trim().to_ascii_lowercase();
    if let Some(value) = conflict.values.iter().find(|v| v.id == chosen) {
        return Ok(value);
    }
    chosen
        .parse::<usize>()
        .ok()
        .and_then(|n| conflict.values.get(n.checked_sub(1)?))
        .ok_or_else(|| SyncError::UnknownValue(conflict.id.clone()))
}

impl Batch<'_> {
    fn resolve(&mut self, conflict: &Conflict, choice: Choice) -> Result<(), SyncError> {
        let id = conflict.record;
        let state =
            sealed::load_state(&self.tx, self.sealer, id)?.ok_or(RecordError::NotFound(id))?;
        match &conflict.subject {
            ConflictSubject::Field(name) => {
                let value = match choice {
                    Choice::Keep(chosen) => pick(conflict, &chosen)?.value.clone(),
                    Choice::Value(value) => {
                        super::check_values(value.iter())?;
                        value
                    }
                };
                // Exactly the values listed (the caller checked they are still the heads).
                let bases = conflict.values.iter().map(|v| v.stamp).collect();
                let fields = vec![FieldSet {
                    name: name.clone(),
                    value,
                    bases,
                }];
                self.write(id, state, OpBody::Resolve(Resolution::Fields(fields)))?;
            }
            ConflictSubject::Deletion => {
                let Choice::Keep(chosen) = choice else {
                    return Err(SyncError::InvalidChoice(
                        "a delete conflict is resolved by keeping the delete or an edit",
                    ));
                };
                if pick(conflict, &chosen)?.kind == ValueKind::Delete {
                    let added = conflict
                        .values
                        .iter()
                        .filter(|v| v.kind == ValueKind::Added)
                        .map(|v| v.record);
                    self.keep_deleted(id, state, added.collect())?;
                } else {
                    self.restore(id, state, false)?;
                }
            }
        }
        Ok(())
    }

    fn keep_deleted(
        &mut self,
        id: RecordId,
        state: RecordState,
        added: Vec<RecordId>,
    ) -> Result<(), SyncError> {
        let seen = state.seen_stamps();
        self.write(id, state, OpBody::Resolve(Resolution::KeepDeleted { seen }))?;
        // Records added to the case elsewhere while it was being deleted go too. (A
        // record deleted with the case that has a conflict of its own stays listed
        // apart: it was not shown here.)
        // They are deleted as part of the case (restoring the case brings them back).
        for child in added {
            let child_state = sealed::load_state(&self.tx, self.sealer, child)?
                .ok_or(RecordError::NotFound(child))?;
            let seen = child_state.seen_stamps();
            let with_case = true;
            self.write(child, child_state, OpBody::Tombstone { seen, with_case })?;
        }
        Ok(())
    }

    fn restore(
        &mut self,
        id: RecordId,
        state: RecordState,
        only_cascaded: bool,
    ) -> Result<(), SyncError> {
        // A record cannot come back into a deleted case: the case comes back first,
        // with everything deleted because it was deleted (this record included).
        let case = state.header.as_ref().and_then(|h| h.case);
        let state = match case {
            Some(case) if !only_cascaded => {
                match sealed::load_state(&self.tx, self.sealer, case)? {
                    Some(case_state) if case_state.deleted.is_some() => {
                        self.restore(case, case_state, false)?;
                        sealed::load_state(&self.tx, self.sealer, id)?
                            .ok_or(RecordError::NotFound(id))?
                    }
                    _ => state,
                }
            }
            _ => state,
        };
        let live: Vec<(Stamp, bool)> = state
            .live_tombstones()
            .map(|(stamp, (_, with_case))| (*stamp, *with_case))
            .collect();
        if live.is_empty() || (only_cascaded && !live.iter().all(|(_, with_case)| *with_case)) {
            return Ok(());
        }
        let is_case = state.header.as_ref().map(|h| h.kind) == Some(RecordKind::Case);
        let tombstones = live.into_iter().map(|(s, _)| s).collect();
        self.write(
            id,
            state,
            OpBody::Resolve(Resolution::Restore { tombstones }),
        )?;
        if is_case {
            // What was deleted because the case was deleted comes back with it.
            for (child, child_state) in self.children(id)? {
                self.restore(child, child_state, true)?;
            }
        }
        Ok(())
    }

    fn children(&self, case: RecordId) -> Result<Vec<(RecordId, RecordState)>, SyncError> {
        let filter = RowFilter {
            case_id: Some(case.0.to_vec()),
            include_deleted: true,
            ..RowFilter::default()
        };
        let mut out = Vec::new();
        let mut scratch = zeroize::Zeroizing::new(Vec::new());
        Store::for_each_record(&self.tx, &filter, |row| {
            out.push(sealed::open_state(self.sealer, row, &mut scratch)?);
            Ok::<_, RecordError>(())
        })?;
        Ok(out)
    }
}

/// Every open conflict, read through `conn` (the vault's connection or a batch's
/// transaction).
fn open_conflicts(
    conn: &rusqlite::Connection,
    sealer: &Sealer,
) -> Result<Vec<Conflict>, SyncError> {
    let mut out = Vec::new();
    for raw in Store::conflicted_records(conn)? {
        let id = RecordId::from_slice(&raw)
            .map_err(|_| StoreError::Corrupt("a record id is not 16 bytes".into()))?;
        let Some(state) = sealed::load_state(conn, sealer, id)? else {
            continue;
        };
        let header = state.header.as_ref();
        let is_case = header.map(|h| h.kind) == Some(RecordKind::Case);
        let added = if is_case && state.deleted.is_some() {
            added_children(conn, sealer, id)?
        } else {
            Vec::new()
        };
        let case_deletes: Vec<Stamp> = match header.and_then(|h| h.case) {
            Some(case) if state.deleted.is_some() => sealed::load_state(conn, sealer, case)?
                .map(|c| c.live_tombstones().map(|(s, _)| *s).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        out.extend(conflicts_of(id, &state, &added, &case_deletes));
    }
    Ok(out)
}

/// The records of a case that are not deleted.
fn added_children(
    conn: &rusqlite::Connection,
    sealer: &Sealer,
    case: RecordId,
) -> Result<Vec<AddedChild>, SyncError> {
    let filter = RowFilter {
        case_id: Some(case.0.to_vec()),
        include_deleted: false,
        ..RowFilter::default()
    };
    let mut out = Vec::new();
    let mut scratch = zeroize::Zeroizing::new(Vec::new());
    Store::for_each_record(conn, &filter, |row| {
        let (id, state) = sealed::open_state(sealer, row, &mut scratch)?;
        if let Some(header) = &state.header {
            out.push(AddedChild {
                id,
                created: header.created,
                seen: state.seen_stamps(),
            });
        }
        Ok::<_, RecordError>(())
    })?;
    Ok(out)
}

impl Vault {
    /// Every open conflict in this vault, by record.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            open_conflicts(u.store.conn(), &u.sealer)
        })
    }

    /// Resolves an open conflict, by the id it was listed with. Only a team's
    /// coordinator resolves; the decision is an op that reaches every device with the
    /// next exchange. If a competing value arrived since the listing, nothing is
    /// written and the error is [`SyncError::ConflictChanged`]: list again.
    pub fn resolve(&self, conflict_id: &str, choice: Choice) -> Result<(), SyncError> {
        let wanted = conflict_id.trim().to_ascii_lowercase();
        let role = self.team()?.map(|t| t.role).ok_or(SyncError::NoTeam)?;
        if role != Role::Coordinator {
            return Err(SyncError::NotCoordinator("resolve conflicts"));
        }
        self.with_unlocked(SyncError::Locked, |u| {
            super::run_batch(u, |b| {
                // Read inside the transaction: what is decided is what is stored.
                let open = open_conflicts(&b.tx, b.sealer)?;
                let conflict = match open.iter().find(|c| c.id == wanted) {
                    Some(found) => found,
                    None if open.iter().any(|c| key_of(&c.id) == key_of(&wanted)) => {
                        return Err(SyncError::ConflictChanged);
                    }
                    None => return Err(SyncError::ConflictNotFound),
                };
                b.resolve(conflict, choice)
            })
        })
    }
}
