//! Between the core's types and the ones that cross the boundary. Input from the app
//! is untrusted: a malformed id, date or number is an `InvalidInput` naming the
//! question or argument, never the value.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use safekeep_core::forms::{self, Mode, QuestionType};
use safekeep_core::records as core_records;
use safekeep_core::records::Location;
use safekeep_core::search;
use safekeep_core::sync::{self as core_sync, BundleHeader, NewInvite, Role};
use safekeep_core::{Answers, Changes, RecordId, Stamp, Value};

use crate::error::SafekeepError;
use crate::types::*;

pub(crate) fn invalid(detail: impl Into<String>) -> SafekeepError {
    SafekeepError::InvalidInput {
        detail: detail.into(),
    }
}

/// A record id from the app.
pub(crate) fn record_id(text: &str, what: &str) -> Result<RecordId, SafekeepError> {
    RecordId::from_str(text.trim())
        .map_err(|_| invalid(format!("{what} is not a record id (32 hexadecimal digits)")))
}

pub(crate) fn mode(draft: bool) -> Mode {
    if draft { Mode::Draft } else { Mode::Final }
}

pub(crate) fn time(stamp: &Stamp) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(stamp.wall_ms)
}

pub(crate) fn answer(value: &Value) -> Answer {
    match value {
        Value::Text(s) => Answer::Text { value: s.clone() },
        Value::Integer(i) => Answer::Integer { value: *i },
        Value::Decimal(d) => Answer::Decimal {
            value: d.to_string(),
        },
        Value::Date(_) => Answer::Date {
            value: value.to_string(),
        },
        Value::DateTime(_) => Answer::DateTime {
            value: value.to_string(),
        },
        Value::Choice(c) => Answer::Choice { value: c.clone() },
        Value::Choices(cs) => Answer::Choices { values: cs.clone() },
        Value::Boolean(b) => Answer::Boolean { value: *b },
        Value::Location(l) => Answer::Location {
            latitude: l.latitude,
            longitude: l.longitude,
            altitude: l.altitude,
            accuracy: l.accuracy,
        },
    }
}

pub(crate) fn value(question: &str, answer: Answer) -> Result<Value, SafekeepError> {
    let bad = |what: &str| invalid(format!("answer '{question}' is not a valid {what}"));
    Ok(match answer {
        Answer::Text { value } => Value::Text(value),
        Answer::Integer { value } => Value::Integer(value),
        Answer::Decimal { value } => {
            Value::Decimal(Decimal::from_str(value.trim()).map_err(|_| bad("decimal"))?)
        }
        Answer::Date { value } => Value::Date(
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| bad("date"))?,
        ),
        Answer::DateTime { value } => Value::DateTime(
            DateTime::parse_from_rfc3339(value.trim()).map_err(|_| bad("date-time"))?,
        ),
        Answer::Choice { value } => Value::Choice(value),
        Answer::Choices { values } => Value::Choices(values),
        Answer::Boolean { value } => Value::Boolean(value),
        Answer::Location {
            latitude,
            longitude,
            altitude,
            accuracy,
        } => {
            let finite = [Some(latitude), Some(longitude), altitude, accuracy]
                .iter()
                .flatten()
                .all(|v| v.is_finite());
            if !finite || latitude.abs() > 90.0 || longitude.abs() > 180.0 {
                return Err(bad("location"));
            }
            Value::Location(Location {
                latitude,
                longitude,
                altitude,
                accuracy,
            })
        }
    })
}

pub(crate) fn answers(map: HashMap<String, Answer>) -> Result<Answers, SafekeepError> {
    map.into_iter()
        .map(|(name, a)| value(&name, a).map(|v| (name, v)))
        .collect()
}

pub(crate) fn answers_out(answers: &Answers) -> HashMap<String, Answer> {
    answers
        .iter()
        .map(|(k, v)| (k.clone(), answer(v)))
        .collect()
}

pub(crate) fn changes(map: HashMap<String, Option<Answer>>) -> Result<Changes, SafekeepError> {
    map.into_iter()
        .map(|(name, a)| match a {
            Some(a) => value(&name, a).map(|v| (name, Some(v))),
            None => Ok((name, None)),
        })
        .collect()
}

pub(crate) fn kind(kind: safekeep_core::RecordKind) -> RecordKind {
    match kind {
        safekeep_core::RecordKind::Case => RecordKind::Case,
        safekeep_core::RecordKind::Submission => RecordKind::Submission,
        safekeep_core::RecordKind::ServiceEntry => RecordKind::ServiceEntry,
    }
}

pub(crate) fn kind_in(kind: RecordKind) -> safekeep_core::RecordKind {
    match kind {
        RecordKind::Case => safekeep_core::RecordKind::Case,
        RecordKind::Submission => safekeep_core::RecordKind::Submission,
        RecordKind::ServiceEntry => safekeep_core::RecordKind::ServiceEntry,
    }
}

pub(crate) fn form_ref(form: &safekeep_core::FormRef) -> FormRef {
    FormRef {
        id: form.id.clone(),
        version: form.version.clone(),
    }
}

pub(crate) fn form_ref_in(form: FormRef) -> safekeep_core::FormRef {
    safekeep_core::FormRef {
        id: form.id,
        version: form.version,
    }
}

pub(crate) fn record(r: &safekeep_core::Record) -> Record {
    Record {
        id: r.id.to_string(),
        kind: kind(r.kind),
        case_id: r.case.map(|c| c.to_string()),
        form: r.form.as_ref().map(form_ref),
        answers: answers_out(&r.answers()),
        created: time(&r.created),
        updated: time(&r.updated),
        same_person: r.same_person.iter().map(|c| c.to_string()).collect(),
        logs: r
            .logs
            .iter()
            .map(|(name, entries)| {
                let entries = entries
                    .iter()
                    .map(|(stamp, value)| LogEntry {
                        value: answer(value),
                        time: time(stamp),
                        device: stamp.device.to_string(),
                    })
                    .collect();
                (name.clone(), entries)
            })
            .collect(),
        has_conflict: r.has_conflict,
    }
}

impl From<forms::Problem> for Problem {
    fn from(p: forms::Problem) -> Self {
        Problem {
            question: p.question,
            kind: match p.kind {
                forms::ProblemKind::Required => ProblemKind::Required,
                forms::ProblemKind::Constraint => ProblemKind::Constraint,
                forms::ProblemKind::Type => ProblemKind::Type,
                forms::ProblemKind::UnknownChoice => ProblemKind::UnknownChoice,
                forms::ProblemKind::UnknownQuestion => ProblemKind::UnknownQuestion,
                forms::ProblemKind::Expression => ProblemKind::Expression,
            },
            text: p.message,
        }
    }
}

pub(crate) fn problems(list: Vec<forms::Problem>) -> Vec<Problem> {
    list.into_iter().map(Problem::from).collect()
}

pub(crate) fn saved(s: forms::Saved) -> Saved {
    Saved {
        case_id: s.case.to_string(),
        record_id: s.record.to_string(),
        new_case: s.new_case,
        form: form_ref(&s.form),
        missing: problems(s.missing),
    }
}

/// The XLSForm name of a question type.
fn type_name(kind: &QuestionType) -> String {
    match kind {
        QuestionType::SelectOne { .. } => "select_one".into(),
        QuestionType::SelectMultiple { .. } => "select_multiple".into(),
        QuestionType::Metadata(m) => m.clone(),
        QuestionType::DateTime => "datetime".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

pub(crate) fn screen(s: forms::Screen) -> Screen {
    Screen {
        questions: s
            .questions
            .into_iter()
            .map(|q| ShownQuestion {
                question_type: type_name(&q.kind),
                name: q.name,
                groups: q.groups,
                label: q.label,
                hint: q.hint,
                required: q.required,
                read_only: q.read_only,
                appearance: q.appearance,
                choices: q
                    .choices
                    .into_iter()
                    .map(|c| ShownChoice {
                        name: c.name,
                        label: c.label,
                    })
                    .collect(),
                value: q.value.as_ref().map(answer),
            })
            .collect(),
        problems: problems(s.problems),
        answers: answers_out(&s.answers),
    }
}

pub(crate) fn person(m: search::PersonMatch) -> PersonMatch {
    PersonMatch {
        case_id: m.case.to_string(),
        record_id: m.record.to_string(),
        name: m.name,
        score: m.score,
    }
}

pub(crate) fn duplicate(c: search::DuplicateCandidate) -> DuplicateCandidate {
    DuplicateCandidate {
        case_id: c.case.to_string(),
        record_id: c.record.to_string(),
        name: c.name,
        score: c.score,
        reasons: c
            .reasons
            .into_iter()
            .map(|r| match r {
                search::MatchReason::Name { similarity } => MatchReason::Name { similarity },
                search::MatchReason::SameSex => MatchReason::SameSex,
                search::MatchReason::DifferentSex => MatchReason::DifferentSex,
                search::MatchReason::AgeClose { years } => MatchReason::AgeClose { years },
                search::MatchReason::AgeFar { years } => MatchReason::AgeFar { years },
                search::MatchReason::SameNationality => MatchReason::SameNationality,
                search::MatchReason::DifferentNationality => MatchReason::DifferentNationality,
                search::MatchReason::SameOperationDate => MatchReason::SameOperationDate,
                search::MatchReason::SameCompanions => MatchReason::SameCompanions,
            })
            .collect(),
    }
}

pub(crate) fn check_report(r: &safekeep_core::CheckReport) -> CheckReport {
    CheckReport {
        ok: r.is_ok(),
        integrity_problems: r.integrity_problems.clone(),
        sealed_values_ok: r.sealed_values_ok,
        damaged: r
            .damaged
            .iter()
            .map(|(table, id)| format!("{table} {id}"))
            .collect(),
        replay_mismatches: r.replay_mismatches.clone(),
        insecure_test_kdf: r.insecure_test_kdf,
        failed_unlock_limit: r.failed_unlock_limit,
    }
}

// Sync.

pub(crate) fn role(role: Role) -> TeamRole {
    match role {
        Role::Field => TeamRole::Field,
        Role::Aftercare => TeamRole::Aftercare,
        Role::Coordinator => TeamRole::Coordinator,
    }
}

pub(crate) fn role_in(role: TeamRole) -> Role {
    match role {
        TeamRole::Field => Role::Field,
        TeamRole::Aftercare => Role::Aftercare,
        TeamRole::Coordinator => Role::Coordinator,
    }
}

pub(crate) fn team(t: core_sync::Team) -> TeamInfo {
    TeamInfo {
        id: t.id.to_string(),
        name: t.name,
        role: role(t.role),
        epoch: t.epoch,
        server: t.server,
    }
}

fn instant(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

pub(crate) fn invite(i: NewInvite) -> Invite {
    Invite {
        secret: i.secret.to_display_string(),
        invite: i.invite,
        expires: instant(i.expires_ms),
        role: role(i.role),
    }
}

pub(crate) fn sync_report(r: core_sync::SyncReport) -> SyncReport {
    SyncReport {
        received: r.received,
        applied: r.applied,
        duplicates: r.duplicates,
        held: r.held,
        records: r.records,
        conflicted: r.conflicted,
        ahead: r.ahead,
        own_unknown: r.own_unknown,
    }
}

pub(crate) fn bundle_info(h: &BundleHeader) -> BundleInfo {
    BundleInfo {
        team_id: h.team.to_string(),
        epoch: h.epoch,
        device: h.device.to_string(),
        batch: h.batch,
        created: instant(h.created_ms),
        op_count: h.op_count,
    }
}

pub(crate) fn conflict(c: core_records::Conflict) -> Conflict {
    Conflict {
        id: c.id,
        record_id: c.record.to_string(),
        kind: kind(c.kind),
        case_id: c.case.map(|id| id.to_string()),
        form: c.form.as_ref().map(form_ref),
        subject: match c.subject {
            core_records::ConflictSubject::Field(name) => ConflictSubject::Field { name },
            core_records::ConflictSubject::Deletion => ConflictSubject::Deletion,
        },
        values: c
            .values
            .into_iter()
            .map(|v| ConflictValue {
                id: v.id,
                kind: match v.kind {
                    core_records::ValueKind::Field => ConflictValueKind::Field,
                    core_records::ValueKind::Entry => ConflictValueKind::Entry,
                    core_records::ValueKind::Delete => ConflictValueKind::Delete,
                    core_records::ValueKind::Restore => ConflictValueKind::Restore,
                    core_records::ValueKind::Added => ConflictValueKind::Added,
                },
                record_id: v.record.to_string(),
                field: v.field,
                value: v.value.as_ref().map(answer),
                device: v.device.to_string(),
                time: time(&v.stamp),
                shown: v.shown,
            })
            .collect(),
    }
}

pub(crate) fn choice(c: ResolveChoice) -> Result<core_records::Choice, SafekeepError> {
    Ok(match c {
        ResolveChoice::Keep { value_id } => core_records::Choice::Keep(value_id),
        ResolveChoice::SetValue { answer } => {
            core_records::Choice::Value(answer.map(|a| value("value", a)).transpose()?)
        }
    })
}
