//! Records filled with forms. A submission or service entry is checked against the exact
//! form version it is filled with, and stores that version: a submission made with an
//! older version stays readable, and its edits are checked against that version. A
//! rejected save lists every problem and stores nothing. A draft is a saved entry that
//! does not pass the final check yet; there is no stored flag to fall out of step.

use super::model::{Form, QuestionType};
use super::registry::RegistryError;
use super::render::{Screen, render};
use super::validate::{Checked, Mode, Moment, Problem, ProblemKind, check};
use crate::ids::RecordId;
use crate::records::{Answers, Batch, Changes, FormRef, Record, RecordError, Value, ValueType};
use crate::vault::Vault;

/// What can go wrong saving answers against a form.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The answers have problems; every one is listed, and nothing was stored.
    #[error("the answers have {} problem(s); nothing was saved", .0.len())]
    Invalid(Vec<Problem>),
    /// Neither the built-in pack nor this vault has the form (or that version of it).
    #[error("no form {id}{} in this vault", .version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default())]
    UnknownForm {
        /// Form id.
        id: String,
        /// Version asked for.
        version: Option<String>,
    },
    /// The record was not filled with a form (a case), so there is nothing to check
    /// its answers against.
    #[error("record {0} was not filled with a form")]
    NoForm(RecordId),
    /// A record error (not found, deleted, locked, storage).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The vault's forms could not be read.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Where a filled form goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A submission (identification, intake, legal milestone, consent, ...).
    Submission,
    /// An entry in the case's service log.
    ServiceEntry,
}

/// A filled form to save.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// The case it belongs to; `None` creates a new case for it (a person identified
    /// for the first time).
    pub case: Option<RecordId>,
    /// Submission or service entry.
    pub kind: EntryKind,
    /// Form id, and version (`None`: the newest this vault has).
    pub form: FormRef,
    /// The answers.
    pub answers: Answers,
    /// Draft (incomplete allowed) or final (everything enforced).
    pub mode: Mode,
}

/// What a save produced.
#[derive(Clone, Debug)]
pub struct Saved {
    /// The case.
    pub case: RecordId,
    /// The submission or service entry.
    pub record: RecordId,
    /// Whether the case was created by this save.
    pub new_case: bool,
    /// The form and exact version checked against.
    pub form: FormRef,
    /// What still stands between a draft and a final entry (empty when complete).
    pub missing: Vec<Problem>,
}

impl Saved {
    /// Whether the saved answers pass the final check.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// The value type a person's text answer to this question takes, or `None` for
/// questions the form computes (calculations, notes, device metadata).
pub fn answer_type(kind: &QuestionType) -> Option<ValueType> {
    Some(match kind {
        QuestionType::Text
        | QuestionType::Barcode
        | QuestionType::Hidden
        | QuestionType::Time
        | QuestionType::Geotrace
        | QuestionType::Geoshape
        | QuestionType::Image
        | QuestionType::Audio
        | QuestionType::Video
        | QuestionType::File => ValueType::Text,
        QuestionType::Integer => ValueType::Integer,
        QuestionType::Decimal | QuestionType::Range => ValueType::Decimal,
        QuestionType::Date => ValueType::Date,
        QuestionType::DateTime => ValueType::DateTime,
        QuestionType::SelectOne { .. } => ValueType::Choice,
        QuestionType::SelectMultiple { .. } => ValueType::Choices,
        QuestionType::Geopoint => ValueType::Location,
        QuestionType::Acknowledge => ValueType::Boolean,
        QuestionType::Calculate | QuestionType::Note | QuestionType::Metadata(_) => return None,
    })
}

/// Types answers given as text the way ODK stores them (select_multiple as
/// space-separated choice names, dates as ISO 8601, geopoints as
/// "latitude longitude [altitude [accuracy]]", acknowledge as "OK"). Every answer that
/// does not parse, or names no question, is a problem; the text itself never appears
/// in a message.
pub fn parse_text_answers<'a>(
    form: &Form,
    texts: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Answers, Vec<Problem>) {
    let mut answers = Answers::new();
    let mut problems = Vec::new();
    for (name, text) in texts {
        let problem = |kind: ProblemKind, message: String| Problem {
            question: name.to_owned(),
            kind,
            message,
        };
        let Some(question) = form.question(name) else {
            problems.push(problem(
                ProblemKind::UnknownQuestion,
                "The form has no such question.".into(),
            ));
            continue;
        };
        let Some(ty) = answer_type(&question.kind) else {
            problems.push(problem(
                ProblemKind::Type,
                "This question is computed by the form, not answered.".into(),
            ));
            continue;
        };
        let parsed = if question.kind == QuestionType::Acknowledge
            && text.trim().eq_ignore_ascii_case("ok")
        {
            Ok(Value::Boolean(true))
        } else {
            ty.parse(text)
        };
        match parsed {
            Ok(value) => {
                answers.insert(name.to_owned(), value);
            }
            Err(e) => problems.push(problem(ProblemKind::Type, format!("Expected {}.", e.hint))),
        }
    }
    (answers, problems)
}

/// Answers after `changes`, and the changes to store: the person's changes plus what
/// the check computed (calculations) or dropped (irrelevant answers, when final).
fn changes_to_store(current: &Answers, checked: &Checked) -> Changes {
    let mut out = Changes::new();
    for (name, value) in &checked.answers {
        if current.get(name) != Some(value) {
            out.insert(name.clone(), Some(value.clone()));
        }
    }
    for name in current.keys() {
        if !checked.answers.contains_key(name) {
            out.insert(name.clone(), None);
        }
    }
    out
}

impl Batch<'_> {
    /// Checks `answers` against `form` and saves them in this batch; every problem is
    /// returned at once and nothing is written when there is one. For bulk saves: the
    /// form is resolved once by the caller.
    pub fn submit(
        &mut self,
        form: &Form,
        case: RecordId,
        kind: EntryKind,
        answers: &Answers,
        mode: Mode,
        moment: Moment,
    ) -> Result<RecordId, SubmitError> {
        let checked = check(form, answers, None, mode, moment);
        if !checked.is_ok() {
            return Err(SubmitError::Invalid(checked.problems));
        }
        let form_ref = FormRef {
            id: form.id.clone(),
            version: form.version.clone(),
        };
        Ok(match kind {
            EntryKind::Submission => self.add_submission(case, form_ref, checked.answers)?,
            EntryKind::ServiceEntry => self.add_service_entry(case, form_ref, checked.answers)?,
        })
    }
}

impl Vault {
    /// The form a reference names: that exact version, or the newest when it has none.
    pub fn resolve_form(&self, form: &FormRef) -> Result<Form, SubmitError> {
        self.form(&form.id, form.version.as_deref())?
            .ok_or_else(|| SubmitError::UnknownForm {
                id: form.id.clone(),
                version: form.version.clone(),
            })
    }

    /// Checks answers against a form without saving: every problem, in `lang`.
    pub fn validate(
        &self,
        form: &FormRef,
        answers: &Answers,
        lang: Option<&str>,
        mode: Mode,
    ) -> Result<Checked, SubmitError> {
        let form = self.resolve_form(form)?;
        let lang = lang.map(|l| form.language(l));
        Ok(check(&form, answers, lang, mode, Moment::system()))
    }

    /// What a shell shows for a form and the answers so far, in `lang`.
    pub fn render_form(
        &self,
        form: &FormRef,
        answers: &Answers,
        lang: Option<&str>,
    ) -> Result<Screen, SubmitError> {
        let form = self.resolve_form(form)?;
        let lang = lang.map(|l| form.language(l));
        Ok(render(&form, answers, lang, Moment::system()))
    }

    /// What a shell shows to continue or edit a saved entry, against the form version
    /// it was filled with.
    pub fn render_record(&self, id: RecordId, lang: Option<&str>) -> Result<Screen, SubmitError> {
        let record = self.get(id)?;
        let form = self.record_form(&record)?;
        let lang = lang.map(|l| form.language(l));
        Ok(render(&form, &record.answers(), lang, Moment::system()))
    }

    /// Saves a filled form: checked against the form (`Final` enforces everything,
    /// `Draft` skips required answers), every problem listed in `lang`, nothing stored
    /// when there is one. Without a case, the case is created in the same transaction.
    pub fn submit(&self, entry: NewEntry, lang: Option<&str>) -> Result<Saved, SubmitError> {
        let form = self.resolve_form(&entry.form)?;
        let lang = lang.map(|l| form.language(l));
        let moment = Moment::system();
        let checked = check(&form, &entry.answers, lang, entry.mode, moment);
        if !checked.is_ok() {
            return Err(SubmitError::Invalid(checked.problems));
        }
        let missing = missing_to_finalize(&form, &checked.answers, lang, moment);
        let answers = checked.answers;
        let (case, new_case, record) = self.batch(|b| {
            let (case, new_case) = match entry.case {
                Some(case) => (case, false),
                None => (b.create_case(Answers::new())?, true),
            };
            let form_ref = FormRef {
                id: form.id.clone(),
                version: form.version.clone(),
            };
            let record = match entry.kind {
                EntryKind::Submission => b.add_submission(case, form_ref, answers)?,
                EntryKind::ServiceEntry => b.add_service_entry(case, form_ref, answers)?,
            };
            Ok((case, new_case, record))
        })?;
        Ok(Saved {
            case,
            record,
            new_case,
            form: FormRef {
                id: form.id,
                version: form.version,
            },
            missing,
        })
    }

    /// Changes answers of a saved entry, checked against the form version it was filled
    /// with. Calculations are recomputed and stored; when final, answers that are no
    /// longer relevant are cleared. Nothing is stored when there is a problem.
    pub fn edit_answers(
        &self,
        id: RecordId,
        changes: Changes,
        mode: Mode,
        lang: Option<&str>,
    ) -> Result<Saved, SubmitError> {
        let record = self.get(id)?;
        let form = self.record_form(&record)?;
        let lang = lang.map(|l| form.language(l));
        let moment = Moment::system();
        let (checked, missing) = self.batch(|b| {
            // Re-read inside the transaction so the diff is against what is stored now.
            let current = b.get(id)?.answers();
            let mut merged = current.clone();
            for (name, value) in &changes {
                match value {
                    Some(v) => merged.insert(name.clone(), v.clone()),
                    None => merged.remove(name),
                };
            }
            let checked = check(&form, &merged, lang, mode, moment);
            if !checked.is_ok() {
                return Ok((Err(checked.problems), Vec::new()));
            }
            let missing = missing_to_finalize(&form, &checked.answers, lang, moment);
            b.edit(id, changes_to_store(&current, &checked))?;
            Ok((Ok(()), missing))
        })?;
        checked.map_err(SubmitError::Invalid)?;
        Ok(Saved {
            case: record.case.unwrap_or(id),
            record: id,
            new_case: false,
            form: FormRef {
                id: form.id,
                version: form.version,
            },
            missing,
        })
    }

    /// What stands between a saved entry and a final one, in `lang` (empty: complete).
    pub fn missing_to_finalize(
        &self,
        record: &Record,
        lang: Option<&str>,
    ) -> Result<Vec<Problem>, SubmitError> {
        let form = self.record_form(record)?;
        Ok(missing_to_finalize(
            &form,
            &record.answers(),
            lang.map(|l| form.language(l)),
            Moment::system(),
        ))
    }

    fn record_form(&self, record: &Record) -> Result<Form, SubmitError> {
        let form = record.form.as_ref().ok_or(SubmitError::NoForm(record.id))?;
        self.resolve_form(form)
    }
}

fn missing_to_finalize(
    form: &Form,
    answers: &Answers,
    lang: Option<&str>,
    moment: Moment,
) -> Vec<Problem> {
    check(form, answers, lang, Mode::Final, moment).problems
}
