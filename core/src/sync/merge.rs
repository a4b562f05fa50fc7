//! Deriving a record's state from its ops. Per field, the highest stamp wins (the
//! stamp ends with the device id, so there are no ties). Applying the same ops in any
//! order, with duplicates, gives the same state: the materialized state can always be
//! rebuilt from the log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::records::{FieldState, FormRef, RecordKind};
use crate::sync::clock::Stamp;
use crate::sync::op::{FieldSet, Op, OpBody};

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
    /// Current value and stamp of every field ever set (cleared fields keep their stamp).
    pub fields: BTreeMap<String, FieldState>,
    /// Highest stamp of any op applied.
    pub updated: Option<Stamp>,
    /// Stamp of the latest tombstone, if deleted.
    pub deleted: Option<Stamp>,
    /// Other cases linked to this one as the same person (`true`) or unlinked
    /// (`false`), with the stamp of the deciding op.
    pub links: BTreeMap<RecordId, (bool, Stamp)>,
}

impl RecordState {
    /// Applies one op. Commutative, associative and idempotent over ops of one record.
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
            OpBody::Set { fields } => self.apply_fields(fields, stamp),
            OpBody::Tombstone { .. } => {
                self.deleted = self.deleted.max(Some(stamp));
            }
            OpBody::Link { other, same } => match self.links.get(&other) {
                Some((_, current)) if *current >= stamp => {}
                _ => {
                    self.links.insert(other, (same, stamp));
                }
            },
        }
        self.updated = self.updated.max(Some(stamp));
    }

    fn apply_fields(&mut self, fields: Vec<FieldSet>, stamp: Stamp) {
        for set in fields {
            match self.fields.get_mut(&set.name) {
                Some(current) if current.stamp >= stamp => {}
                Some(current) => {
                    current.value = set.value;
                    current.stamp = stamp;
                }
                None => {
                    self.fields.insert(
                        set.name,
                        FieldState {
                            value: set.value,
                            stamp,
                        },
                    );
                }
            }
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
            body,
        }
    }

    fn set(name: &str, text: &str) -> OpBody {
        OpBody::Set {
            fields: vec![FieldSet {
                name: name.into(),
                value: Some(Value::Text(text.into())),
                base: None,
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
            op(1, 3, 40, OpBody::Tombstone { base: None }),
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
}
