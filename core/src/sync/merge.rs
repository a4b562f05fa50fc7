//! Deriving a record's state from its ops, identically on every device whatever the
//! order of arrival, with duplicates filtered by the op log.
//!
//! Each write of a field names the stamps it replaced (its bases), so a field's writes
//! form a tree. Its *heads* are the writes nobody has replaced yet. The field shows the
//! head with the highest stamp; when several heads hold different values, that is an
//! open conflict, and every head is kept until a resolution names them all. Because
//! the winner is chosen among heads, an edit made after seeing a value replaces it even
//! when a phone with a wrong clock stamped that value in the future.
//!
//! A delete is a tombstone listing the stamps it saw; a head or entry it did not see
//! (an edit made concurrently) makes the delete a conflict as well.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::records::{FieldState, FormRef, RecordKind, Value};
use crate::sync::clock::Stamp;
use crate::sync::op::{FieldSet, Op, OpBody, Resolution};

/// What a `Create` op fixes for the record's lifetime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Kind of record.
    pub kind: RecordKind,
    /// Owning case.
    pub case: Option<RecordId>,
    /// Form used.
    pub form: Option<FormRef>,
    /// Stamp of the creating op.
    pub created: Stamp,
}

/// A record's state as derived from its ops: what is sealed in the `records` table.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordState {
    /// Present once the creating op has been applied.
    pub header: Option<Header>,
    /// The value shown for every field ever set: its highest-stamped head (cleared
    /// fields keep their stamp).
    pub fields: BTreeMap<String, FieldState>,
    /// Highest stamp of any op applied.
    pub updated: Option<Stamp>,
    /// Stamp of the latest tombstone still in force, if deleted.
    pub deleted: Option<Stamp>,
    /// Other cases linked to this one as the same person (`true`) or unlinked
    /// (`false`), with the stamp of the deciding op.
    pub links: BTreeMap<RecordId, (bool, Stamp)>,
    /// Heads of a field other than the one shown (concurrent writes not yet replaced).
    pub competing: BTreeMap<String, Vec<FieldState>>,
    /// Bases named by writes whose replaced write has not arrived yet: when it does,
    /// it is history, not a head.
    pub pending: BTreeSet<(String, Stamp)>,
    /// Every tombstone, with the stamps its writer saw and whether it came with the
    /// deletion of the record's case.
    pub tombstones: BTreeMap<Stamp, (Vec<Stamp>, bool)>,
    /// Tombstones withdrawn by a resolution.
    pub restored: BTreeSet<Stamp>,
    /// Append-only logs: entries by stamp.
    pub entries: BTreeMap<String, BTreeMap<Stamp, Value>>,
}

impl RecordState {
    /// Applies one op. Commutative and associative over distinct ops of one record.
    pub fn apply(&mut self, op: &Op) {
        self.apply_owned(op.clone());
    }

    /// [`RecordState::apply`] for an op the caller no longer needs (moves, no copies).
    pub fn apply_owned(&mut self, op: Op) {
        let stamp = op.stamp;
        match op.body {
            OpBody::Create {
                kind,
                case,
                form,
                fields,
            } => {
                // Record ids are random, so two creates for one id do not happen; if
                // they did, the earliest wins on every device alike.
                match &self.header {
                    Some(existing) if existing.created <= stamp => {}
                    _ => {
                        self.header = Some(Header {
                            kind,
                            case,
                            form,
                            created: stamp,
                        })
                    }
                }
                self.apply_fields(fields, stamp);
            }
            OpBody::Set { fields } | OpBody::Resolve(Resolution::Fields(fields)) => {
                self.apply_fields(fields, stamp)
            }
            OpBody::Tombstone { seen, with_case } => {
                self.tombstones.insert(stamp, (seen, with_case));
                self.refresh_deleted();
            }
            OpBody::Resolve(Resolution::KeepDeleted { seen }) => {
                self.tombstones.insert(stamp, (seen, false));
                self.refresh_deleted();
            }
            OpBody::Resolve(Resolution::Restore { tombstones }) => {
                self.restored.extend(tombstones);
                self.refresh_deleted();
            }
            OpBody::Link { other, same } => match self.links.get(&other) {
                Some((_, current)) if *current >= stamp => {}
                _ => {
                    self.links.insert(other, (same, stamp));
                }
            },
            OpBody::Append { log, entry } => {
                self.entries.entry(log).or_default().insert(stamp, entry);
            }
        }
        self.updated = self.updated.max(Some(stamp));
    }

    fn refresh_deleted(&mut self) {
        self.deleted = self
            .tombstones
            .keys()
            .filter(|t| !self.restored.contains(t))
            .max()
            .copied();
    }

    fn apply_fields(&mut self, fields: Vec<FieldSet>, stamp: Stamp) {
        for set in fields {
            self.apply_write(set, stamp);
        }
    }

    fn apply_write(&mut self, set: FieldSet, stamp: Stamp) {
        let FieldSet { name, value, bases } = set;
        let mut heads: Vec<FieldState> = Vec::new();
        heads.extend(self.fields.remove(&name));
        heads.extend(self.competing.remove(&name).unwrap_or_default());
        for base in bases {
            let before = heads.len();
            heads.retain(|h| h.stamp != base);
            if heads.len() == before && base != stamp {
                // Replaced a write this device has not received yet (or has already
                // retired as history; remembering it twice changes nothing visible).
                self.pending.insert((name.clone(), base));
            }
        }
        let replaced_already = self.pending.remove(&(name.clone(), stamp));
        if !replaced_already && !heads.iter().any(|h| h.stamp == stamp) {
            heads.push(FieldState { value, stamp });
        }
        // The shown value is the highest-stamped head; the rest compete with it.
        heads.sort_by_key(|h| h.stamp);
        if let Some(winner) = heads.pop() {
            if !heads.is_empty() {
                self.competing.insert(name.clone(), heads);
            }
            self.fields.insert(name, winner);
        }
    }

    /// The state that `ops` produce from nothing.
    pub fn replay<'a>(ops: impl IntoIterator<Item = &'a Op>) -> Self {
        let mut state = Self::default();
        for op in ops {
            state.apply(op);
        }
        state
    }

    /// Fields whose heads hold different values: open conflicts.
    pub fn conflicted_fields(&self) -> impl Iterator<Item = (&String, &FieldState, &[FieldState])> {
        self.competing.iter().filter_map(|(name, others)| {
            let shown = self.fields.get(name)?;
            others.iter().any(|o| o.value != shown.value).then_some((
                name,
                shown,
                others.as_slice(),
            ))
        })
    }

    /// Every head of `name`: the shown value first, then the competing ones.
    pub fn heads(&self, name: &str) -> Vec<&FieldState> {
        let mut out: Vec<&FieldState> = self.fields.get(name).into_iter().collect();
        out.extend(self.competing.get(name).into_iter().flatten());
        out
    }

    /// Stamps of every head of every field and of every log entry: what a device that
    /// deletes or resolves this record has seen.
    pub fn seen_stamps(&self) -> Vec<Stamp> {
        let mut out: Vec<Stamp> = self.fields.values().map(|f| f.stamp).collect();
        out.extend(self.competing.values().flatten().map(|f| f.stamp));
        out.extend(self.entries.values().flat_map(|log| log.keys().copied()));
        out.sort();
        out.dedup();
        out
    }

    /// Tombstones in force (not withdrawn by a resolution).
    pub fn live_tombstones(&self) -> impl Iterator<Item = (&Stamp, &(Vec<Stamp>, bool))> {
        self.tombstones
            .iter()
            .filter(|(t, _)| !self.restored.contains(t))
    }

    /// While deleted: heads and entries that no tombstone in force saw, which are
    /// edits made concurrently with the delete. Empty when not deleted.
    pub fn unseen_by_delete(&self) -> Vec<(Option<&str>, Stamp)> {
        if self.deleted.is_none() {
            return Vec::new();
        }
        let seen: BTreeSet<&Stamp> = self.live_tombstones().flat_map(|(_, (s, _))| s).collect();
        let mut out: Vec<(Option<&str>, Stamp)> = Vec::new();
        for (name, field) in &self.fields {
            for head in std::iter::once(field).chain(self.competing.get(name).into_iter().flatten())
            {
                if !seen.contains(&head.stamp) {
                    out.push((Some(name.as_str()), head.stamp));
                }
            }
        }
        for log in self.entries.values() {
            out.extend(log.keys().filter(|s| !seen.contains(s)).map(|s| (None, *s)));
        }
        out
    }

    /// Whether any conflict is open on this record.
    pub fn has_conflict(&self) -> bool {
        self.conflicted_fields().next().is_some() || !self.unseen_by_delete().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;
    use crate::records::Value;
    use crate::sync::op::OpId;

    fn op(device: u8, seq: u64, wall: u64, body: OpBody) -> Op {
        let device = DeviceId([device; 16]);
        Op {
            id: OpId { device, seq },
            record: RecordId([9; 16]),
            stamp: Stamp {
                wall_ms: wall,
                counter: 0,
                device,
            },
            epoch: 0,
            body,
        }
    }

    fn set(name: &str, text: &str) -> OpBody {
        OpBody::Set {
            fields: vec![FieldSet {
                name: name.into(),
                value: Some(Value::Text(text.into())),
                bases: vec![],
            }],
        }
    }

    #[test]
    fn any_order_with_duplicates_gives_the_same_state() {
        let create = op(
            1,
            1,
            10,
            OpBody::Create {
                kind: RecordKind::Case,
                case: None,
                form: None,
                fields: vec![],
            },
        );
        let ops = vec![
            create,
            op(1, 2, 20, set("name", "Asha")),
            op(2, 1, 20, set("name", "Aasha")),
            op(2, 2, 30, set("village", "Rampur")),
            op(
                1,
                3,
                40,
                OpBody::Tombstone {
                    seen: vec![],
                    with_case: false,
                },
            ),
        ];
        let forward = RecordState::replay(&ops);
        let mut reversed: Vec<&Op> = ops.iter().rev().collect();
        reversed.extend(ops.iter());
        let backward = RecordState::replay(reversed);
        assert_eq!(forward, backward);
        // Equal wall time: the higher device id wins, everywhere.
        assert_eq!(
            forward.fields["name"].value,
            Some(Value::Text("Aasha".into()))
        );
        assert!(forward.deleted.is_some());
        assert_eq!(forward.header.unwrap().kind, RecordKind::Case);
    }

    fn set_on(name: &str, text: &str, bases: Vec<Stamp>) -> OpBody {
        OpBody::Set {
            fields: vec![FieldSet {
                name: name.into(),
                value: Some(Value::Text(text.into())),
                bases,
            }],
        }
    }

    #[test]
    fn a_late_base_never_becomes_a_head() {
        let a = op(1, 1, 10, set_on("notes", "first", vec![]));
        let b = op(2, 1, 20, set_on("notes", "second", vec![a.stamp]));
        let c = op(3, 1, 30, set_on("notes", "third", vec![b.stamp]));
        let orders: [[&Op; 3]; 3] = [[&a, &b, &c], [&c, &b, &a], [&b, &c, &a]];
        for order in orders {
            let state = RecordState::replay(order);
            assert_eq!(
                state.fields["notes"].value,
                Some(Value::Text("third".into()))
            );
            assert!(!state.has_conflict(), "{order:?}");
            assert!(state.competing.is_empty());
        }
    }

    #[test]
    fn concurrent_different_values_are_kept_until_a_resolution_names_both() {
        let a = op(1, 1, 10, set_on("age", "14", vec![]));
        let b = op(2, 1, 11, set_on("age", "15", vec![]));
        let state = RecordState::replay([&a, &b]);
        assert!(state.has_conflict());
        assert_eq!(state.heads("age").len(), 2);
        // An edit that saw only the shown value leaves the other head competing.
        let c = op(1, 2, 12, set_on("age", "16", vec![b.stamp]));
        let mut after = state.clone();
        after.apply(&c);
        assert!(after.has_conflict());
        let resolve = op(
            1,
            3,
            13,
            OpBody::Resolve(Resolution::Fields(vec![FieldSet {
                name: "age".into(),
                value: Some(Value::Text("15".into())),
                bases: vec![a.stamp, c.stamp],
            }])),
        );
        after.apply(&resolve);
        assert!(!after.has_conflict());
        assert_eq!(after.fields["age"].value, Some(Value::Text("15".into())));
    }

    #[test]
    fn an_edit_the_delete_did_not_see_is_a_conflict() {
        let create = op(
            1,
            1,
            10,
            OpBody::Create {
                kind: RecordKind::Case,
                case: None,
                form: None,
                fields: vec![],
            },
        );
        let name = op(1, 2, 11, set_on("name", "Asha", vec![]));
        let delete = op(
            1,
            3,
            20,
            OpBody::Tombstone {
                seen: vec![name.stamp],
                with_case: false,
            },
        );
        let seen_everything = RecordState::replay([&create, &name, &delete]);
        assert!(seen_everything.deleted.is_some() && !seen_everything.has_conflict());
        let concurrent = op(2, 1, 15, set_on("notes", "moved", vec![]));
        let mut state = seen_everything.clone();
        state.apply(&concurrent);
        assert!(state.has_conflict());
        assert_eq!(
            state.unseen_by_delete(),
            vec![(Some("notes"), concurrent.stamp)]
        );
    }
}
