//! The data the apps see: records and enums mirroring the core's, in types every
//! language has (dates as ISO 8601 text, amounts as decimal text, times as instants).

use std::collections::HashMap;
use std::time::SystemTime;

/// One typed answer. Dates are `YYYY-MM-DD`, date-times RFC 3339, decimals exact text
/// such as `"40000.50"`: the shells' layers turn them into `LocalDate`,
/// `OffsetDateTime` and `BigDecimal`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Answer {
    /// Free text, any script.
    Text {
        /// The text.
        value: String,
    },
    /// A whole number.
    Integer {
        /// The number.
        value: i64,
    },
    /// An exact decimal, as text.
    Decimal {
        /// For example `"40000.50"`.
        value: String,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date {
        /// The date.
        value: String,
    },
    /// A moment with its UTC offset, RFC 3339.
    DateTime {
        /// The moment.
        value: String,
    },
    /// One choice name.
    Choice {
        /// The choice's name (not its label).
        value: String,
    },
    /// Several choice names.
    Choices {
        /// The choices' names.
        values: Vec<String>,
    },
    /// Yes or no.
    Boolean {
        /// The answer.
        value: bool,
    },
    /// A geographic point (WGS 84).
    Location {
        /// Degrees.
        latitude: f64,
        /// Degrees.
        longitude: f64,
        /// Metres.
        altitude: Option<f64>,
        /// Metres.
        accuracy: Option<f64>,
    },
}

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordKind {
    /// What is known about one person.
    Case,
    /// One filled form in a case.
    Submission,
    /// One entry in a case's service log.
    ServiceEntry,
}

/// A form id and version.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormRef {
    /// Form id, e.g. `victim_identification`.
    pub id: String,
    /// Version; `None` means the newest this vault has.
    #[uniffi(default = None)]
    pub version: Option<String>,
}

/// A record as the app shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Record {
    /// Record id (32 hex digits).
    pub id: String,
    /// Kind.
    pub kind: RecordKind,
    /// The case it belongs to (none for a case).
    pub case_id: Option<String>,
    /// The form and exact version it was filled with.
    pub form: Option<FormRef>,
    /// Current answers by question name.
    pub answers: HashMap<String, Answer>,
    /// When it was created (device clock).
    pub created: SystemTime,
    /// When it last changed.
    pub updated: SystemTime,
    /// For a case: other cases linked to it as the same person.
    pub same_person: Vec<String>,
    /// Append-only logs by name (`notes`: see `append_note`), entries oldest first.
    pub logs: HashMap<String, Vec<LogEntry>>,
    /// Whether a conflict on this record waits for a coordinator (see `conflicts`).
    pub has_conflict: bool,
}

/// Which records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct RecordFilter {
    /// Only this kind.
    #[uniffi(default = None)]
    pub kind: Option<RecordKind>,
    /// Only this case and its records.
    #[uniffi(default = None)]
    pub case_id: Option<String>,
    /// Only submissions of this form id.
    #[uniffi(default = None)]
    pub form_id: Option<String>,
}

/// A filled form to save.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewEntry {
    /// The case; `None` creates a new case (a person identified for the first time).
    pub case_id: Option<String>,
    /// An entry in the case's service log rather than a submission.
    pub service_entry: bool,
    /// The form (newest version when none is given).
    pub form: FormRef,
    /// Answers by question name.
    pub answers: HashMap<String, Answer>,
    /// Save incomplete: required answers may be missing (what is given must be valid).
    pub draft: bool,
}

/// What a save produced.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Saved {
    /// The case.
    pub case_id: String,
    /// The submission or service entry.
    pub record_id: String,
    /// Whether the case was created by this save.
    pub new_case: bool,
    /// The form and exact version checked against.
    pub form: FormRef,
    /// What stands between this entry and a final one (empty: complete).
    pub missing: Vec<Problem>,
}

/// The kind of a problem with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProblemKind {
    /// A required question has no answer.
    Required,
    /// The answer breaks the question's constraint.
    Constraint,
    /// The answer's type does not fit the question.
    Type,
    /// A choice that is not in the question's list.
    UnknownChoice,
    /// An answer to a question the form does not have.
    UnknownQuestion,
    /// The form's own expression failed (a bug in the form).
    Expression,
}

/// One problem, shown next to its question.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Problem {
    /// Question name.
    pub question: String,
    /// Kind.
    pub kind: ProblemKind,
    /// Message in the requested language (falling back to the form's default).
    pub text: String,
}

/// A form the vault can use.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormSummary {
    /// Form id.
    pub id: String,
    /// Version.
    pub version: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Shipped with Safekeep rather than loaded into this vault.
    pub builtin: bool,
    /// Languages the form has labels in, as the form names them ("Hindi (hi)").
    pub languages: Vec<String>,
}

/// A choice as shown.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ShownChoice {
    /// The stored name.
    pub name: String,
    /// The label in the requested language.
    pub label: String,
}

/// A question as shown.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ShownQuestion {
    /// Question name (the answer's key).
    pub name: String,
    /// XLSForm type: `text`, `integer`, `decimal`, `date`, `datetime`, `time`,
    /// `select_one`, `select_multiple`, `geopoint`, `note`, `image`, ...
    pub question_type: String,
    /// Groups it sits in, outermost first.
    pub groups: Vec<String>,
    /// Label in the requested language.
    pub label: Option<String>,
    /// Hint in the requested language.
    pub hint: Option<String>,
    /// Whether finalizing needs an answer.
    pub required: bool,
    /// Shown but not editable.
    pub read_only: bool,
    /// Display hints (`multiline`, `minimal`, ...).
    pub appearance: Option<String>,
    /// For select questions: the choices left after the choice filter.
    pub choices: Vec<ShownChoice>,
    /// The current answer.
    pub value: Option<Answer>,
}

/// Everything a screen draws for a form and the answers so far.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Screen {
    /// Visible questions in form order.
    pub questions: Vec<ShownQuestion>,
    /// Problems so far (required answers are reported when finalizing).
    pub problems: Vec<Problem>,
    /// Answers with the form's calculations applied.
    pub answers: HashMap<String, Answer>,
}

/// A person found by a search.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonMatch {
    /// The person's case.
    pub case_id: String,
    /// The identification whose name matched.
    pub record_id: String,
    /// The name or alias as written.
    pub name: String,
    /// 0 to 1.
    pub score: f32,
}

/// Why a case is suggested as the same person.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum MatchReason {
    /// Names alike, 0 to 1.
    Name {
        /// Similarity.
        similarity: f32,
    },
    /// Same sex recorded.
    SameSex,
    /// Different sex recorded.
    DifferentSex,
    /// Ages agree within this many years.
    AgeClose {
        /// Years apart.
        years: i64,
    },
    /// Ages this many years apart.
    AgeFar {
        /// Years apart.
        years: i64,
    },
    /// Same nationality.
    SameNationality,
    /// Different nationality.
    DifferentNationality,
    /// Identified at an operation on the same day.
    SameOperationDate,
    /// Found with the same number of companions.
    SameCompanions,
}

/// A case that may be the same person.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateCandidate {
    /// The other case.
    pub case_id: String,
    /// Its identification.
    pub record_id: String,
    /// Its name as written.
    pub name: String,
    /// 0 to 1, best first.
    pub score: f32,
    /// What agrees and what does not.
    pub reasons: Vec<MatchReason>,
}

/// The result of a vault check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckReport {
    /// True when nothing is damaged.
    pub ok: bool,
    /// Findings of SQLite's integrity check.
    pub integrity_problems: Vec<String>,
    /// Sealed values that opened.
    pub sealed_values_ok: u64,
    /// Values that failed to open, as "table id".
    pub damaged: Vec<String>,
    /// Records whose state differs from a replay of their history.
    pub replay_mismatches: Vec<String>,
    /// Made with the insecure test KDF (never for real records).
    pub insecure_test_kdf: bool,
    /// The failed-unlock limit, if set.
    pub failed_unlock_limit: Option<u32>,
}

/// How a vault is created or opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct VaultSettings {
    /// Fast, weak key derivation for test suites only; the vault remembers it and
    /// `check` reports it. Never for real records.
    #[uniffi(default = false)]
    pub insecure_fast_kdf_for_tests: bool,
}

/// One entry of a record's log (notes, follow-ups): entries from several devices never
/// conflict and are listed in stamp order.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LogEntry {
    /// The entry.
    pub value: Answer,
    /// When it was written (the writing device's clock).
    pub time: SystemTime,
    /// The device that wrote it (32 hex digits).
    pub device: String,
}

// Sync.

/// What a member does in the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TeamRole {
    /// Identifies victims and records intake during operations.
    Field,
    /// Logs restoration services over months.
    Aftercare,
    /// Gathers records, invites members, resolves conflicts.
    Coordinator,
}

/// This vault's membership of a team.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TeamInfo {
    /// The team's id (32 hex digits).
    pub id: String,
    /// The team's name as the coordinator typed it.
    pub name: String,
    /// This device's role.
    pub role: TeamRole,
    /// The current key epoch: new changes and bundles use its key.
    pub epoch: u32,
    /// The team's sync server, if it has one.
    pub server: Option<String>,
}

/// A fresh invite into the team. Show `invite` (text or QR code) and `secret` to the
/// new member by two different ways if you can (the QR code on screen, the secret
/// spoken), once; neither is stored.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Invite {
    /// The invite text, `SKINV1:...` (says nothing without the secret, not even the
    /// team's name).
    pub invite: String,
    /// The one-time secret that opens it: 32 letters and digits in groups of four.
    pub secret: String,
    /// When the invite stops working.
    pub expires: SystemTime,
    /// The role it grants.
    pub role: TeamRole,
}

/// What importing a bundle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Changes received.
    pub received: u64,
    /// Of those, new to this vault and applied.
    pub applied: u64,
    /// Already here (skipped): importing a bundle twice changes nothing.
    pub duplicates: u64,
    /// Made by a newer Safekeep that this build cannot read: kept and passed on to
    /// other devices, not applied.
    pub held: u64,
    /// Records changed.
    pub records: u64,
    /// Records left with an open conflict (see `conflicts()`).
    pub conflicted: u64,
    /// Changes stamped more than an hour ahead of this device's clock: a phone with a
    /// wrong date. Applied as they are; show it so someone fixes that phone's clock.
    pub ahead: u64,
    /// Changes in this device's name that it has no record of making: made by a copy
    /// of this vault on another phone, or before a restore from backup. Applied like
    /// the rest, and this device's numbering skips past them. Worth showing: two
    /// phones may be sharing one vault.
    pub own_unknown: u64,
}

/// A bundle's header, readable without opening it. Says nothing about records.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleInfo {
    /// The team it belongs to (32 hex digits).
    pub team_id: String,
    /// The team key epoch it is sealed under.
    pub epoch: u32,
    /// The device that made it (32 hex digits).
    pub device: String,
    /// That device's bundle number (1, 2, 3, ...): with `device`, names the bundle.
    pub batch: u64,
    /// When it was made (the making device's clock).
    pub created: SystemTime,
    /// How many changes it carries.
    pub op_count: u32,
}

/// One bundle made by `export_bundles`: write `bytes` to a file (`.skb`) or hand them
/// to a nearby share; they are sealed under the team key.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExportedBundle {
    /// The sealed bundle.
    pub bytes: Vec<u8>,
    /// Its header.
    pub info: BundleInfo,
}

/// What a conflict is about.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConflictSubject {
    /// Concurrent edits of one field left different values.
    Field {
        /// The field (question name).
        name: String,
    },
    /// The record was deleted on one device and edited on another.
    Deletion,
}

/// What a competing value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConflictValueKind {
    /// A field's value (`value` null: the field was cleared).
    Field,
    /// A log entry (a note, a follow-up) written without knowing of the delete.
    Entry,
    /// The delete itself.
    Delete,
    /// A coordinator's earlier decision to bring the record back.
    Restore,
    /// A record added to the case elsewhere while the case was being deleted
    /// (`record_id` names it).
    Added,
}

/// One of the competing values of a conflict.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictValue {
    /// Short id to choose this value with (the same on every device).
    pub id: String,
    /// What it is.
    pub kind: ConflictValueKind,
    /// The record it belongs to (32 hex digits): the conflict's record, or a record
    /// added to a deleted case.
    pub record_id: String,
    /// The field it sets (for a deletion conflict, the field edited; null for
    /// anything else).
    pub field: Option<String>,
    /// The value (null: cleared, or not a field value).
    pub value: Option<Answer>,
    /// The device that wrote it (32 hex digits).
    pub device: String,
    /// When (the writing device's clock).
    pub time: SystemTime,
    /// The value the record shows now (until a coordinator decides).
    pub shown: bool,
}

/// An open conflict, waiting for a coordinator. Every device with the same changes
/// lists the same conflicts with the same ids.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Conflict {
    /// Id to resolve it with (the same on every device).
    pub id: String,
    /// The record (32 hex digits).
    pub record_id: String,
    /// Its kind.
    pub kind: RecordKind,
    /// Its case (none for a case).
    pub case_id: Option<String>,
    /// Its form.
    pub form: Option<FormRef>,
    /// What the conflict is about.
    pub subject: ConflictSubject,
    /// Every competing value, oldest first.
    pub values: Vec<ConflictValue>,
}

/// A coordinator's decision on a conflict.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ResolveChoice {
    /// Keep one of the competing values, by its `ConflictValue.id`. For a deletion
    /// conflict: keep the delete, or keep an edit (which brings the record back).
    Keep {
        /// The chosen value's id.
        value_id: String,
    },
    /// Set a new value (`None` clears the field). Field conflicts only.
    SetValue {
        /// The new value.
        answer: Option<Answer>,
    },
}
