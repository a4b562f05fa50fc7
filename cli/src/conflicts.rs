//! `safekeep conflicts` and `safekeep resolve`: concurrent edits kept side by side
//! until a coordinator decides. Every device lists the same conflicts with the same
//! ids; the decision is an op that reaches the others with the next exchange.

use safekeep_core::forms::{Mode, Problem, ProblemKind, SubmitError, answer_type};
use safekeep_core::records::{Choice, Conflict, ConflictSubject, ConflictValue, ValueKind};
use safekeep_core::sync::{Role, SyncError};
use safekeep_core::{Value, ValueType, Vault};
use serde_json::{Value as Json, json};

use crate::output::{short_device, stamp_text, value_json};
use crate::{CliResult, Failure};

/// What the coordinator decided, as given on the command line.
pub enum Decision<'a> {
    /// Keep a value by its id or 1-based number.
    Keep(&'a str),
    /// A new value, typed by the record's form.
    Value(&'a str),
    /// Clear the field.
    Clear,
}

const DELETION_SUBJECT: &str = "deleted vs edited";

fn subject_text(subject: &ConflictSubject) -> &str {
    match subject {
        ConflictSubject::Field(name) => name,
        ConflictSubject::Deletion => DELETION_SUBJECT,
    }
}

fn value_text(value: &ConflictValue) -> String {
    let shown = || match &value.value {
        Some(v) => v.to_string(),
        None => "cleared".to_owned(),
    };
    match (value.kind, &value.field) {
        (ValueKind::Field, Some(field)) => format!("{field} = {}", shown()),
        (ValueKind::Field, None) => shown(),
        (ValueKind::Entry, _) => format!("log entry: {}", shown()),
        (ValueKind::Delete, _) => "deleted".to_owned(),
        (ValueKind::Restore, _) => "restored by a coordinator".to_owned(),
        (ValueKind::Added, _) => format!("record {} added to the case", value.record),
    }
}

fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Field => "field",
        ValueKind::Entry => "entry",
        ValueKind::Delete => "delete",
        ValueKind::Restore => "restore",
        ValueKind::Added => "added",
    }
}

fn value_entry_json(number: usize, value: &ConflictValue) -> Json {
    json!({
        "id": value.id,
        "number": number,
        "kind": kind_name(value.kind),
        "record": value.record.to_string(),
        "device": value.device.to_string(),
        "time": value.stamp.datetime().map(|t| t.to_rfc3339()),
        "shown": value.shown,
        "field": value.field,
        "deletes": value.kind == ValueKind::Delete,
        "cleared": value.kind == ValueKind::Field && value.value.is_none(),
        "value": value.value.as_ref().map(value_json),
        "type": value.value.as_ref().map(|v| v.value_type().name()),
    })
}

fn conflict_json(conflict: &Conflict) -> Json {
    json!({
        "id": conflict.id,
        "record": conflict.record.to_string(),
        "kind": conflict.kind.name(),
        "case": conflict.case.map(|c| c.to_string()),
        "form": conflict.form.as_ref().map(|f| json!({"id": f.id, "version": f.version})),
        "subject": subject_text(&conflict.subject),
        "field": match &conflict.subject {
            ConflictSubject::Field(name) => Some(name.as_str()),
            ConflictSubject::Deletion => None,
        },
        "values": conflict
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| value_entry_json(i + 1, v))
            .collect::<Vec<_>>(),
    })
}

fn print_conflict(conflict: &Conflict) {
    let form = conflict
        .form
        .as_ref()
        .map(|f| match &f.version {
            Some(v) => format!("{} (version {v})", f.id),
            None => f.id.clone(),
        })
        .unwrap_or_else(|| "-".into());
    println!(
        "conflict {}  {} {}  form {form}  {}",
        conflict.id,
        conflict.kind.name(),
        conflict.record,
        match &conflict.subject {
            ConflictSubject::Field(name) => format!("field {name}"),
            ConflictSubject::Deletion => DELETION_SUBJECT.to_owned(),
        }
    );
    for (i, value) in conflict.values.iter().enumerate() {
        println!(
            "  {:>2}  {}  device {}  {}  {:<6}  {}",
            i + 1,
            value.id,
            short_device(&value.device),
            stamp_text(&value.stamp),
            if value.shown { "shown" } else { "" },
            value_text(value)
        );
    }
}

/// Lists the open conflicts.
pub fn list(vault: &Vault, json: bool) -> CliResult {
    let conflicts = vault.conflicts()?;
    if json {
        println!(
            "{}",
            Json::Array(conflicts.iter().map(conflict_json).collect())
        );
        return Ok(());
    }
    if conflicts.is_empty() {
        println!("no open conflicts");
        return Ok(());
    }
    for conflict in &conflicts {
        print_conflict(conflict);
    }
    println!(
        "{} open conflict(s); a coordinator resolves one with: safekeep resolve CONFLICT --keep NUMBER",
        conflicts.len()
    );
    Ok(())
}

/// The type a new value for `field` of the conflicted record takes: the question's
/// (in the form version the record was filled with); text for a field the form does
/// not ask; the competing values' own type when the form is not in this vault.
fn field_type(vault: &Vault, conflict: &Conflict, field: &str) -> CliResult<ValueType> {
    let Some(form_ref) = &conflict.form else {
        return Ok(ValueType::Text);
    };
    let form = match vault.resolve_form(form_ref) {
        Ok(form) => form,
        Err(SubmitError::UnknownForm { .. }) => {
            let mut types = conflict
                .values
                .iter()
                .filter_map(|v| v.value.as_ref().map(Value::value_type));
            let first = types.next().unwrap_or(ValueType::Text);
            return Ok(if types.all(|t| t == first) {
                first
            } else {
                ValueType::Text
            });
        }
        Err(e) => return Err(e.into()),
    };
    match form.question(field) {
        None => Ok(ValueType::Text),
        Some(question) => answer_type(&question.kind).ok_or_else(|| {
            Failure::new(format!(
                "'{field}' is computed by the form: choose one of the values with --keep"
            ))
        }),
    }
}

/// Types `text` for the conflicted field and checks it against the record's form
/// (choices, constraints); problems name the question, never the value.
fn typed_value(
    vault: &Vault,
    conflict: &Conflict,
    text: &str,
    lang: Option<&str>,
) -> CliResult<Value> {
    let ConflictSubject::Field(field) = &conflict.subject else {
        return Err(SyncError::InvalidChoice(
            "a delete conflict is resolved by keeping the delete or an edit (--keep)",
        )
        .into());
    };
    let ty = field_type(vault, conflict, field)?;
    let value = ty.parse(text).map_err(|e| {
        SubmitError::Invalid(vec![Problem {
            question: field.clone(),
            kind: ProblemKind::Type,
            message: format!("Expected {}.", e.hint),
        }])
    })?;
    let Some(form_ref) = &conflict.form else {
        return Ok(value);
    };
    // The rest of the record as it stands, with the new value: only this field's
    // problems count (required answers may still be missing).
    let Ok(record) = vault.get(conflict.record) else {
        return Ok(value);
    };
    let form_known = vault
        .resolve_form(form_ref)
        .is_ok_and(|f| f.question(field).is_some());
    if form_known {
        let mut answers = record.answers();
        answers.insert(field.clone(), value.clone());
        let checked = vault.validate(form_ref, &answers, lang, Mode::Draft)?;
        let problems: Vec<Problem> = checked
            .problems
            .into_iter()
            .filter(|p| &p.question == field)
            .collect();
        if !problems.is_empty() {
            return Err(SubmitError::Invalid(problems).into());
        }
    }
    Ok(value)
}

/// Resolves one conflict. Only the team's coordinator may.
pub fn resolve(
    vault: &Vault,
    conflict_id: &str,
    decision: Decision<'_>,
    lang: Option<&str>,
) -> CliResult {
    let team = vault.team()?.ok_or(SyncError::NoTeam)?;
    if team.role != Role::Coordinator {
        return Err(SyncError::NotCoordinator("resolve conflicts").into());
    }
    let wanted = conflict_id.trim().to_ascii_lowercase();
    let open = vault.conflicts()?;
    let key = |id: &str| id.split('.').next().unwrap_or_default().to_owned();
    let conflict = match open.iter().find(|c| c.id == wanted) {
        Some(found) => found.clone(),
        // Listed before a value arrived: the decision would retire it unseen.
        None if open.iter().any(|c| key(&c.id) == key(&wanted)) => {
            return Err(SyncError::ConflictChanged.into());
        }
        None => return Err(SyncError::ConflictNotFound.into()),
    };
    let (choice, done) = match decision {
        Decision::Keep(chosen) => {
            let kept = chosen.trim().to_ascii_lowercase();
            let number = conflict
                .values
                .iter()
                .position(|v| v.id == kept)
                .map(|i| i + 1)
                .or_else(|| kept.parse::<usize>().ok());
            let what = match number.and_then(|n| conflict.values.get(n.wrapping_sub(1))) {
                Some(v) => format!("kept value {} ({})", number.unwrap_or(0), v.id),
                None => format!("kept value {kept}"),
            };
            (Choice::Keep(chosen.to_owned()), what)
        }
        Decision::Value(text) => (
            Choice::Value(Some(typed_value(vault, &conflict, text, lang)?)),
            "set a new value".to_owned(),
        ),
        Decision::Clear => {
            if conflict.subject == ConflictSubject::Deletion {
                return Err(SyncError::InvalidChoice(
                    "a delete conflict is resolved by keeping the delete or an edit (--keep)",
                )
                .into());
            }
            (Choice::Value(None), "cleared the field".to_owned())
        }
    };
    vault.resolve(&conflict.id, choice)?;
    println!(
        "resolved conflict {} on {} {}: {done}",
        conflict.id,
        conflict.kind.name(),
        conflict.record
    );
    println!("the other devices get the decision with the next bundle exchange");
    Ok(())
}
