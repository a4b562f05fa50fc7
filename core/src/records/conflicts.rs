//! Open conflicts and their resolution. A conflict is read from a record's state, so
//! every device that has the same ops lists the same conflicts with the same ids; a
//! resolution is an op that names every competing value and syncs like any other.

use super::{Batch, RecordError, RecordKind, Value, sealed};
use crate::ids::{DeviceId, RecordId};
use crate::records::FormRef;
use crate::store::{RowFilter, Store, StoreError};
use crate::sync::merge::RecordState;
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

/// One of the competing values of a conflict.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictValue {
    /// Short id to choose this value with (the same on every device).
    pub id: String,
    /// The field it sets (for a deletion conflict, the field edited; `None` for a log
    /// entry or for the delete itself).
    pub field: Option<String>,
    /// The value (`None`: cleared, or the delete itself).
    pub value: Option<Value>,
    /// This value is the delete.
    pub deletes: bool,
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
    /// Id to resolve it with (the same on every device).
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
    /// Keep one of the competing values, by its id (or its 1-based position).
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

fn conflict_id(record: RecordId, subject: &ConflictSubject) -> String {
    let mut hasher = blake3::Hasher::new_derive_key("safekeep 2026-11 conflict id");
    hasher.update(record.as_bytes());
    match subject {
        ConflictSubject::Field(name) => hasher.update(b"f").update(name.as_bytes()),
        ConflictSubject::Deletion => hasher.update(b"d"),
    };
    sealed::hex(&hasher.finalize().as_bytes()[..6])
}

/// The conflicts open on one record.
pub(crate) fn conflicts_of(id: RecordId, state: &RecordState) -> Vec<Conflict> {
    let Some(header) = state.header.as_ref() else {
        return Vec::new();
    };
    let make = |subject: ConflictSubject, mut values: Vec<ConflictValue>| {
        values.sort_by_key(|v| v.stamp);
        Conflict {
            id: conflict_id(id, &subject),
            record: id,
            kind: header.kind,
            case: header.case,
            form: header.form.clone(),
            subject,
            values,
        }
    };
    let mut out = Vec::new();
    for (name, shown, others) in state.conflicted_fields() {
        let values = std::iter::once((shown, true))
            .chain(others.iter().map(|o| (o, false)))
            .map(|(f, is_shown)| ConflictValue {
                id: value_id(&f.stamp),
                field: Some(name.clone()),
                value: f.value.clone(),
                deletes: false,
                device: f.stamp.device,
                stamp: f.stamp,
                shown: is_shown,
            })
            .collect();
        out.push(make(ConflictSubject::Field(name.clone()), values));
    }
    let unseen = state.unseen_by_delete();
    if !unseen.is_empty() {
        let mut values: Vec<ConflictValue> = state
            .live_tombstones()
            .map(|(stamp, _)| ConflictValue {
                id: value_id(stamp),
                field: None,
                value: None,
                deletes: true,
                device: stamp.device,
                stamp: *stamp,
                shown: state.deleted == Some(*stamp),
            })
            .collect();
        for (field, stamp) in unseen {
            let value = match field {
                Some(name) => state
                    .heads(name)
                    .into_iter()
                    .find(|h| h.stamp == stamp)
                    .and_then(|h| h.value.clone()),
                None => state
                    .entries
                    .values()
                    .find_map(|log| log.get(&stamp).cloned()),
            };
            values.push(ConflictValue {
                id: value_id(&stamp),
                field: field.map(str::to_owned),
                value,
                deletes: false,
                device: stamp.device,
                stamp,
                shown: false,
            });
        }
        out.push(make(ConflictSubject::Deletion, values));
    }
    out
}

fn pick<'c>(conflict: &'c Conflict, chosen: &str) -> Result<&'c ConflictValue, SyncError> {
    let chosen = chosen.trim().to_ascii_lowercase();
    if let Ok(n) = chosen.parse::<usize>()
        && (1..=conflict.values.len()).contains(&n)
    {
        return Ok(&conflict.values[n - 1]);
    }
    conflict
        .values
        .iter()
        .find(|v| v.id == chosen)
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
                    Choice::Value(value) => value,
                };
                let bases = state.heads(name).iter().map(|h| h.stamp).collect();
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
                if pick(conflict, &chosen)?.deletes {
                    self.keep_deleted(id, state)?;
                } else {
                    self.restore(id, state, false)?;
                }
            }
        }
        Ok(())
    }

    fn keep_deleted(&mut self, id: RecordId, state: RecordState) -> Result<(), SyncError> {
        let is_case = state.header.as_ref().map(|h| h.kind) == Some(RecordKind::Case);
        let seen = state.seen_stamps();
        self.write(id, state, OpBody::Resolve(Resolution::KeepDeleted { seen }))?;
        if is_case {
            // Records added to the case elsewhere while it was being deleted go too.
            for (child, child_state) in self.children(id)? {
                if child_state.deleted.is_none() || child_state.has_conflict() {
                    let seen = child_state.seen_stamps();
                    self.write(
                        child,
                        child_state,
                        OpBody::Resolve(Resolution::KeepDeleted { seen }),
                    )?;
                }
            }
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

impl Vault {
    /// Every open conflict in this vault, by record.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let mut out = Vec::new();
            for raw in Store::conflicted_records(conn)? {
                let id = RecordId::from_slice(&raw)
                    .map_err(|_| StoreError::Corrupt("a record id is not 16 bytes".into()))?;
                if let Some(state) = sealed::load_state(conn, &u.sealer, id)? {
                    out.extend(conflicts_of(id, &state));
                }
            }
            Ok(out)
        })
    }

    /// Resolves an open conflict. Only a team's coordinator resolves; the decision is
    /// an op that reaches every device with the next exchange.
    pub fn resolve(&self, conflict_id: &str, choice: Choice) -> Result<(), SyncError> {
        let wanted = conflict_id.trim().to_ascii_lowercase();
        let conflict = self
            .conflicts()?
            .into_iter()
            .find(|c| c.id == wanted)
            .ok_or(SyncError::ConflictNotFound)?;
        let role = self.team()?.map(|t| t.role).ok_or(SyncError::NoTeam)?;
        if role != Role::Coordinator {
            return Err(SyncError::NotCoordinator("resolve conflicts"));
        }
        self.with_unlocked(SyncError::Locked, |u| {
            super::run_batch(u, |b| b.resolve(&conflict, choice))
        })
    }
}
