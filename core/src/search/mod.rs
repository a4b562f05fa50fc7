//! Finding persons by name or alias across spelling variants, transliterations and
//! typos, without writing names to disk: the index lives in memory while the vault is
//! unlocked and is wiped with it. Also: likely duplicates of an identification, and
//! persons counted once across cases linked as the same person.

mod index;
mod names;
mod persons;

pub use index::{Hit, SearchIndex};
pub use names::name_similarity;
pub use persons::{DuplicateCandidate, MAX_RESULTS, MatchReason, PersonMatch};
