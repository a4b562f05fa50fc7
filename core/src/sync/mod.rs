//! What sync merges: the hybrid logical clock, ops, and the per-field merge that derives
//! a record's state from its ops. Transports and bundles come later; they carry ops.

pub mod clock;
pub mod merge;
pub mod op;

pub use clock::{Clock, Hlc, Stamp, SystemClock};
pub use op::{FieldSet, Op, OpBody, OpId};
