//! The one error the apps see, with the cases a screen branches on.

use safekeep_core::forms::{FormLoadError, RegistryError, SubmitError};
use safekeep_core::store::StoreError;
use safekeep_core::sync::SyncError;
use safekeep_core::{RecordError, VaultError};

use crate::types::Problem;

/// One problem in a form file, by sheet, row and column (form definitions are not
/// personal data).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormProblem {
    /// Sheet (`survey`, `choices`, `settings`).
    pub sheet: String,
    /// Row, counting the header as 1.
    pub row: Option<u32>,
    /// Column, when one is to blame.
    pub column: Option<String>,
    /// What is wrong.
    pub text: String,
}

/// Everything that can go wrong, as the app branches on it. `detail` texts are for
/// developers and logs; they name ids and causes, never a record's content or a secret.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SafekeepError {
    /// The passphrase does not open the vault.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The recovery key does not open the vault.
    #[error("wrong recovery key")]
    WrongRecoveryKey,
    /// The platform key (Keystore / Keychain) does not open the vault, or the vault has
    /// none set up.
    #[error("the platform key does not open this vault")]
    WrongPlatformKey,
    /// The vault is locked (or closed): unlock it first.
    #[error("the vault is locked")]
    Locked,
    /// No vault in the folder, or no such record or form.
    #[error("not found: {detail}")]
    NotFound {
        /// What was not found.
        detail: String,
    },
    /// `create` on a folder that already holds a vault.
    #[error("a vault already exists in this folder")]
    AlreadyExists,
    /// The answers were refused; every problem, nothing stored.
    #[error("the answers have {} problem(s)", .problems.len())]
    Validation {
        /// Every problem, by question.
        problems: Vec<Problem>,
    },
    /// A form file was refused; every problem, nothing stored.
    #[error("the form has {} problem(s)", .problems.len())]
    InvalidForm {
        /// Every problem, by sheet, row and column.
        problems: Vec<FormProblem>,
    },
    /// The vault's files are damaged, altered, or do not belong together.
    #[error("the vault is damaged: {detail}")]
    Corrupt {
        /// What failed.
        detail: String,
    },
    /// The vault wiped itself after too many failed unlock attempts.
    #[error("the vault was wiped after too many failed unlock attempts")]
    Wiped,
    /// An argument that cannot be used (a malformed id, an empty passphrase, ...).
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// What is wrong with it.
        detail: String,
    },
    /// The platform key store failed (thrown by the app's key provider).
    #[error("platform key store failed: {detail}")]
    KeyStore {
        /// What the key store said.
        detail: String,
    },
    /// Disk or database failure (full disk, permissions).
    #[error("storage failed: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// A bug in Safekeep. Report it; `check` tells whether the vault is intact.
    #[error("internal error: {detail}")]
    Internal {
        /// What failed.
        detail: String,
    },
    /// The vault is not in a team: create one (a coordinator) or join with an invite.
    #[error("this vault is not in a team")]
    NoTeam,
    /// The vault is already in a team (another one than the invite's).
    #[error("this vault is already in a team")]
    AlreadyInTeam,
    /// Only a coordinator may do this (invite members, resolve conflicts).
    #[error("{detail}")]
    NotCoordinator {
        /// What was refused.
        detail: String,
    },
    /// This phone joined as a coordinator and no other coordinator has confirmed it
    /// yet: it cannot invite, remove devices or hand out keys. Show "waiting for a
    /// coordinator to confirm this phone": it is confirmed at its first sync after a
    /// coordinator has synced.
    #[error("{detail}")]
    AwaitingConfirmation {
        /// What to tell the person.
        detail: String,
    },
    /// The invite text is not an invite (cut short, mistyped, or something else):
    /// scan or paste it again.
    #[error("invalid invite: {detail}")]
    InvalidInvite {
        /// What is wrong with it.
        detail: String,
    },
    /// The secret does not open the invite (or is mistyped): type it again.
    #[error("the invite secret does not open this invite")]
    WrongInviteSecret,
    /// The invite's validity has passed: ask the coordinator for a new one.
    #[error("this invite has expired")]
    InviteExpired,
    /// A summary text that is not a summary of this team (another team's, altered,
    /// cut short): ask the other device for its summary again.
    #[error("invalid summary: {detail}")]
    InvalidSummary {
        /// What is wrong with it.
        detail: String,
    },
    /// A bundle was refused as a whole: nothing of it was applied.
    #[error("bundle refused: {detail}")]
    BundleRejected {
        /// Why, as a screen branches on it.
        reason: BundleProblem,
        /// What failed.
        detail: String,
    },
    /// No open conflict with this id: it was resolved meanwhile (here or by a change
    /// that arrived), so list the conflicts again.
    #[error("no such open conflict")]
    ConflictNotFound,
    /// The conflict gained a value since it was listed (an import or sync arrived):
    /// nothing was decided. List the conflicts again and show the new value.
    #[error("the conflict changed since it was listed")]
    ConflictChanged,
    /// The team has no sync server: set one, or exchange bundle files.
    #[error("this team has no sync server")]
    NoServer,
    /// The server removed this device from the team; its vault was wiped. Show the
    /// person that this phone no longer holds the team's records.
    #[error("this device was removed from the team; its data has been wiped")]
    Revoked,
    /// The server refused a request (`code` is its error code, e.g. `unauthenticated`).
    #[error("the server refused the request ({status} {code})")]
    ServerRefused {
        /// HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
    },
    /// The server answered what only a compromised server would (it changed a
    /// device's key-exchange key): nothing was sent. Tell the team's administrator;
    /// do not retry until the server is checked.
    #[error("the server cannot be trusted: {detail}")]
    ServerUntrusted {
        /// What it did.
        detail: String,
    },
    /// No answer from the server (no signal, a cut, a timeout): try again later.
    #[error("network: {detail}")]
    Network {
        /// What failed.
        detail: String,
    },
    /// The operation was stopped by the caller.
    #[error("cancelled")]
    Cancelled,
}

/// Why a bundle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum BundleProblem {
    /// Not a bundle, or cut short (an incomplete copy or download).
    Malformed,
    /// Made by a newer Safekeep: update the app.
    Unsupported,
    /// It belongs to another team.
    OtherTeam,
    /// Sealed under a team key this vault does not have yet: join again with a new
    /// invite from the coordinator.
    UnknownEpoch,
    /// It was altered, or sealed under another key.
    Unauthentic,
    /// It opened but its contents contradict its header or this vault.
    Inconsistent,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SafekeepError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SafekeepError::KeyStore { detail: err.reason }
    }
}

impl From<VaultError> for SafekeepError {
    fn from(err: VaultError) -> Self {
        let detail = err.to_string();
        match err {
            VaultError::NotFound => SafekeepError::NotFound { detail },
            VaultError::AlreadyExists => SafekeepError::AlreadyExists,
            VaultError::WrongPassphrase => SafekeepError::WrongPassphrase,
            VaultError::WrongRecoveryKey => SafekeepError::WrongRecoveryKey,
            VaultError::WrongPlatformKey | VaultError::NoPlatformKey => {
                SafekeepError::WrongPlatformKey
            }
            VaultError::KeyProvider(e) => SafekeepError::KeyStore { detail: e.reason },
            VaultError::Locked => SafekeepError::Locked,
            VaultError::Wiped => SafekeepError::Wiped,
            VaultError::InvalidInput(_) => SafekeepError::InvalidInput { detail },
            VaultError::Corrupt(_) => SafekeepError::Corrupt { detail },
            VaultError::Store(_) | VaultError::Io(_) => SafekeepError::Storage { detail },
            VaultError::Crypto(_) => SafekeepError::Internal { detail },
        }
    }
}

impl From<RecordError> for SafekeepError {
    fn from(err: RecordError) -> Self {
        let detail = err.to_string();
        match err {
            RecordError::Locked => SafekeepError::Locked,
            RecordError::NotFound(_) | RecordError::Deleted(_) => {
                SafekeepError::NotFound { detail }
            }
            RecordError::NotACase(_) | RecordError::InvalidInput(_) => {
                SafekeepError::InvalidInput { detail }
            }
            RecordError::Tampered { .. } | RecordError::Undecodable { .. } => {
                SafekeepError::Corrupt { detail }
            }
            RecordError::Store(_) => SafekeepError::Storage { detail },
            RecordError::Crypto(_) => SafekeepError::Internal { detail },
        }
    }
}

impl From<FormLoadError> for SafekeepError {
    fn from(err: FormLoadError) -> Self {
        SafekeepError::InvalidForm {
            problems: err
                .problems
                .into_iter()
                .map(|p| FormProblem {
                    sheet: p.sheet,
                    row: p.row.and_then(|r| u32::try_from(r).ok()),
                    column: p.column,
                    text: p.message,
                })
                .collect(),
        }
    }
}

impl From<RegistryError> for SafekeepError {
    fn from(err: RegistryError) -> Self {
        let detail = err.to_string();
        match err {
            RegistryError::Locked => SafekeepError::Locked,
            RegistryError::Invalid(e) => e.into(),
            RegistryError::Damaged => SafekeepError::Corrupt { detail },
            RegistryError::Store(_) => SafekeepError::Storage { detail },
            RegistryError::Crypto(_) => SafekeepError::Internal { detail },
        }
    }
}

impl From<SubmitError> for SafekeepError {
    fn from(err: SubmitError) -> Self {
        let detail = err.to_string();
        match err {
            SubmitError::Invalid(problems) => SafekeepError::Validation {
                problems: problems.into_iter().map(Problem::from).collect(),
            },
            SubmitError::UnknownForm { .. } => SafekeepError::NotFound { detail },
            SubmitError::NoForm(_) => SafekeepError::InvalidInput { detail },
            SubmitError::Record(e) => e.into(),
            SubmitError::Registry(e) => e.into(),
        }
    }
}

impl From<SyncError> for SafekeepError {
    fn from(err: SyncError) -> Self {
        let detail = err.to_string();
        let rejected = |reason| SafekeepError::BundleRejected {
            reason,
            detail: detail.clone(),
        };
        match err {
            SyncError::Locked => SafekeepError::Locked,
            SyncError::NoTeam => SafekeepError::NoTeam,
            SyncError::AlreadyInTeam => SafekeepError::AlreadyInTeam,
            SyncError::NotCoordinator(_) => SafekeepError::NotCoordinator { detail },
            SyncError::AwaitingConfirmation => SafekeepError::AwaitingConfirmation { detail },
            SyncError::InvalidInvite(what) => SafekeepError::InvalidInvite {
                detail: what.into(),
            },
            SyncError::WrongInviteSecret => SafekeepError::WrongInviteSecret,
            SyncError::InviteExpired => SafekeepError::InviteExpired,
            SyncError::InvalidSummary(what) => SafekeepError::InvalidSummary {
                detail: what.into(),
            },
            SyncError::MalformedBundle(_) => rejected(BundleProblem::Malformed),
            SyncError::UnsupportedBundle(_) => rejected(BundleProblem::Unsupported),
            SyncError::OtherTeam => rejected(BundleProblem::OtherTeam),
            SyncError::UnknownEpoch(_) => rejected(BundleProblem::UnknownEpoch),
            SyncError::Unauthentic => rejected(BundleProblem::Unauthentic),
            SyncError::Inconsistent(_) => rejected(BundleProblem::Inconsistent),
            SyncError::ConflictNotFound => SafekeepError::ConflictNotFound,
            SyncError::ConflictChanged => SafekeepError::ConflictChanged,
            SyncError::InvalidInput(what) => SafekeepError::InvalidInput {
                detail: what.into(),
            },
            SyncError::UnknownValue(_) => SafekeepError::InvalidInput {
                detail: "the chosen value is not one of the conflict's values".into(),
            },
            SyncError::InvalidChoice(what) => SafekeepError::InvalidInput {
                detail: what.into(),
            },
            SyncError::Cancelled => SafekeepError::Cancelled,
            SyncError::NoServer => SafekeepError::NoServer,
            SyncError::Revoked => SafekeepError::Revoked,
            SyncError::Server { status, code } => SafekeepError::ServerRefused { status, code },
            SyncError::Transport(_) => SafekeepError::Network { detail },
            SyncError::KeyChanged | SyncError::UnprovenRemoval | SyncError::RemovalNotice(_) => {
                SafekeepError::ServerUntrusted { detail }
            }
            SyncError::Record(e) => e.into(),
            SyncError::Store(StoreError::Corrupt(_)) => SafekeepError::Corrupt { detail },
            SyncError::Store(_) => SafekeepError::Storage { detail },
            SyncError::Crypto(_) => SafekeepError::Internal { detail },
        }
    }
}
