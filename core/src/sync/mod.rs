//! Sync: the hybrid logical clock, ops, the per-field merge with surfaced conflicts,
//! teams and their keys, sealed bundles, and the seam every transport calls
//! (summary, outgoing, stage, apply, delivered).

mod authority;
pub mod bundle;
pub mod clock;
pub mod engine;
mod error;
pub mod merge;
pub mod online;
pub mod op;
mod rotation;
pub mod team;
pub mod transport;

pub use bundle::{BundleHeader, WireOp};
pub use clock::{Clock, Hlc, MAX_AHEAD_MS, Stamp, SystemClock};
pub use engine::{ExportReport, Outgoing, Staged, Summary, SyncReport};
pub use error::SyncError;
pub use online::{ServerDevice, SyncPhase, SyncRound};
pub use op::{FieldSet, Op, OpBody, OpId, Resolution};
pub use team::{InviteSecret, NewInvite, Role, Team};
#[cfg(feature = "http")]
pub use transport::HttpTransport;
pub use transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// Meta key: the highest sequence number of this device's own id seen on a refused op.
pub(crate) const SEQ_FLOOR_KEY: &str = "seq_floor";
