//! `safekeep add` and `safekeep edit`: answers checked against the form (the exact
//! version a submission was filled with, for edits); a rejected save lists every
//! problem by question name and stores nothing.

use safekeep_core::forms::parse_text_answers;
use safekeep_core::forms::{EntryKind, Mode, NewEntry, Problem, ProblemKind, Saved, SubmitError};
use safekeep_core::{Changes, FormRef, RecordId, Vault};

use crate::{CliResult, Failure, answers};

/// Exit code of a save refused because of the answers.
const INVALID_ANSWERS: u8 = 7;

fn kind_name(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Required => "required",
        ProblemKind::Constraint => "constraint",
        ProblemKind::Type => "type",
        ProblemKind::UnknownChoice => "unknown choice",
        ProblemKind::UnknownQuestion => "unknown question",
        ProblemKind::Expression => "form expression",
    }
}

fn problem_lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {}: {}: {}", p.question, kind_name(p.kind), p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<SubmitError> for Failure {
    fn from(err: SubmitError) -> Self {
        match err {
            SubmitError::Invalid(problems) => Failure {
                // Question names and the form's messages only: never an answer.
                message: format!(
                    "the answers have {} problem(s); nothing was saved:\n{}",
                    problems.len(),
                    problem_lines(&problems)
                ),
                code: INVALID_ANSWERS,
            },
            SubmitError::Record(e) => e.into(),
            SubmitError::Registry(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

/// Every problem at once: answers that do not parse, then what the check finds in the
/// rest (a question with a parse problem is not reported twice).
fn merge_problems(mut parse: Vec<Problem>, checked: Vec<Problem>) -> Vec<Problem> {
    for p in checked {
        if !parse.iter().any(|q| q.question == p.question) {
            parse.push(p);
        }
    }
    parse
}

fn mode(draft: bool) -> Mode {
    if draft { Mode::Draft } else { Mode::Final }
}

fn print_missing(saved: &Saved) {
    if !saved.is_complete() {
        let names: Vec<&str> = saved.missing.iter().map(|p| p.question.as_str()).collect();
        println!(
            "draft: {} answer(s) needed to finalize: {}",
            names.len(),
            names.join(", ")
        );
    }
}

/// What `add` was asked to save.
pub struct Add<'a> {
    pub form: &'a str,
    pub version: Option<&'a str>,
    pub case: Option<RecordId>,
    pub service: bool,
    pub answers: &'a [String],
    pub draft: bool,
    pub lang: Option<&'a str>,
    pub json: bool,
}

pub fn add(vault: &Vault, add: Add<'_>) -> CliResult {
    let pairs = answers::pairs(add.answers)?;
    let form = vault.resolve_form(&FormRef {
        id: add.form.to_owned(),
        version: add.version.map(str::to_owned),
    })?;
    let form_ref = FormRef {
        id: form.id.clone(),
        version: form.version.clone(),
    };
    let (answers, parse_problems) =
        parse_text_answers(&form, pairs.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    if !parse_problems.is_empty() {
        let checked = vault.validate(&form_ref, &answers, add.lang, mode(add.draft))?;
        return Err(SubmitError::Invalid(merge_problems(parse_problems, checked.problems)).into());
    }
    let kind = if add.service {
        EntryKind::ServiceEntry
    } else {
        EntryKind::Submission
    };
    let saved = vault.submit(
        NewEntry {
            case: add.case,
            kind,
            form: form_ref,
            answers,
            mode: mode(add.draft),
        },
        add.lang,
    )?;
    let key = if add.service {
        "service_entry"
    } else {
        "submission"
    };
    if add.json {
        let missing: Vec<&str> = saved.missing.iter().map(|p| p.question.as_str()).collect();
        println!(
            "{}",
            serde_json::json!({
                "case": saved.case.to_string(),
                key: saved.record.to_string(),
                "form": saved.form.id,
                "version": saved.form.version,
                "complete": saved.is_complete(),
                "missing": missing,
            })
        );
    } else {
        if saved.new_case {
            println!("case {}", saved.case);
        }
        println!("{key} {}", saved.record);
        print_missing(&saved);
    }
    Ok(())
}

pub fn edit(
    vault: &Vault,
    id: RecordId,
    set: &[String],
    clear: &[String],
    draft: bool,
    lang: Option<&str>,
) -> CliResult {
    let pairs = answers::pairs(set)?;
    if pairs.is_empty() && clear.is_empty() {
        return Err(Failure::new("nothing to change: give --answer or --clear"));
    }
    let record = vault.get(id)?;
    let form_ref = record.form.clone().ok_or(SubmitError::NoForm(id))?;
    let form = vault.resolve_form(&form_ref)?;
    let (typed, mut problems) =
        parse_text_answers(&form, pairs.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let mut changes: Changes = typed.into_iter().map(|(k, v)| (k, Some(v))).collect();
    for name in clear {
        if form.question(name).is_none() {
            problems.push(Problem {
                question: name.clone(),
                kind: ProblemKind::UnknownQuestion,
                message: "The form has no such question.".into(),
            });
        }
        changes.insert(name.clone(), None);
    }
    if !problems.is_empty() {
        let mut merged = record.answers();
        for (name, value) in &changes {
            match value {
                Some(v) => merged.insert(name.clone(), v.clone()),
                None => merged.remove(name),
            };
        }
        let checked = vault.validate(&form_ref, &merged, lang, mode(draft))?;
        return Err(SubmitError::Invalid(merge_problems(problems, checked.problems)).into());
    }
    let saved = vault.edit_answers(id, changes, mode(draft), lang)?;
    println!("edited {id}");
    print_missing(&saved);
    Ok(())
}
