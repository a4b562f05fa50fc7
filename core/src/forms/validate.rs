//! Checking answers against a form: every problem at once (required, constraint, type,
//! unknown choice, unknown question), messages in the requested language with the
//! form's default language as fallback; calculations evaluated and stored; answers to
//! questions that are not relevant dropped when a submission is finalized.
//!
//! Answers are flat (question name → value): questions inside a repeat are checked as
//! one instance until records carry repeat instances.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::expr::{Env, XValue};
use super::model::{Choice, Form, Formula, Item, Question, QuestionType, Required};
use crate::records::{Answers, Value, ValueType};

/// Saving a draft skips required checks; finalizing enforces everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Incomplete is fine; wrong is not.
    Draft,
    /// Everything enforced; answers to irrelevant questions dropped.
    Final,
}

/// What kind of problem an answer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// A required question has no answer.
    Required,
    /// The answer breaks the question's constraint.
    Constraint,
    /// The answer's type does not fit the question (text for a number, ...).
    Type,
    /// A choice that is not in the question's list.
    UnknownChoice,
    /// An answer to a question the form does not have.
    UnknownQuestion,
    /// An expression of the form could not be evaluated (a form bug, not the user's).
    Expression,
}

/// One problem, shown next to its question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Question name.
    pub question: String,
    /// Kind.
    pub kind: ProblemKind,
    /// Message in the requested language (or the form's default, or English).
    pub message: String,
}

/// The result of checking answers.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Answers to keep: for `Final`, only relevant questions; calculations included.
    pub answers: Answers,
    /// Every problem found; empty when the answers can be saved in this mode.
    pub problems: Vec<Problem>,
    /// Names of the questions relevant for these answers, in form order.
    pub relevant: Vec<String>,
}

impl Checked {
    /// Whether the answers can be saved.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The clock an evaluation reads (`today()`, `now()`).
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    /// Today where the device is.
    pub today: NaiveDate,
    /// Now, with the device's UTC offset.
    pub now: DateTime<FixedOffset>,
}

impl Moment {
    /// The system clock, in the device's time zone: "today" is the social worker's
    /// today, not UTC's (at 02:00 in India, UTC is still on yesterday).
    pub fn system() -> Self {
        let now = chrono::Local::now().fixed_offset();
        Self {
            today: now.date_naive(),
            now,
        }
    }
}

/// What expressions of one form read while answers are checked.
pub(crate) struct AnswerEnv<'a> {
    pub(crate) form: &'a Form,
    pub(crate) answers: &'a Answers,
    pub(crate) current: Option<&'a Value>,
    pub(crate) choice: Option<&'a Choice>,
    pub(crate) lang: Option<&'a str>,
    pub(crate) moment: Moment,
}

impl Env for AnswerEnv<'_> {
    fn value(&self, name: &str) -> Option<Value> {
        self.answers.get(name).cloned()
    }

    fn current(&self) -> Option<Value> {
        self.current.cloned()
    }

    fn choice_label(&self, question: &str, choice: &str) -> Option<String> {
        let list = match &self.form.question(question)?.kind {
            QuestionType::SelectOne { list, .. } | QuestionType::SelectMultiple { list, .. } => {
                list
            }
            _ => return None,
        };
        let found = self
            .form
            .choices
            .get(list)?
            .iter()
            .find(|c| c.name == choice)?;
        found
            .label
            .get(self.lang, self.form.default_language.as_deref())
            .map(str::to_owned)
    }

    fn today(&self) -> NaiveDate {
        self.moment.today
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.moment.now
    }

    fn choice_column(&self, column: &str) -> Option<String> {
        let choice = self.choice?;
        if column == "name" {
            return Some(choice.name.clone());
        }
        choice.extra.get(column).cloned().or_else(|| {
            choice
                .label
                .get(self.lang, self.form.default_language.as_deref())
                .filter(|_| column == "label")
                .map(str::to_owned)
        })
    }
}

fn eval(formula: &Formula, env: &AnswerEnv<'_>) -> Result<XValue, String> {
    formula
        .expr
        .eval(env)
        .map_err(|e| format!("the form's expression `{}` failed: {e}", formula.source))
}

/// The value types an answer to a question of this type may have.
fn accepted_types(kind: &QuestionType) -> &'static [ValueType] {
    use ValueType as V;
    match kind {
        QuestionType::Text | QuestionType::Barcode | QuestionType::Hidden => &[V::Text],
        QuestionType::Integer => &[V::Integer],
        QuestionType::Decimal | QuestionType::Range => &[V::Decimal, V::Integer],
        QuestionType::Date => &[V::Date],
        QuestionType::DateTime => &[V::DateTime],
        QuestionType::Time => &[V::Text],
        QuestionType::SelectOne { .. } => &[V::Choice],
        QuestionType::SelectMultiple { .. } => &[V::Choices],
        QuestionType::Geopoint => &[V::Location],
        QuestionType::Geotrace | QuestionType::Geoshape => &[V::Text],
        QuestionType::Image | QuestionType::Audio | QuestionType::Video | QuestionType::File => {
            &[V::Text]
        }
        QuestionType::Acknowledge => &[V::Boolean, V::Choice],
        QuestionType::Calculate => &[
            V::Text,
            V::Integer,
            V::Decimal,
            V::Date,
            V::DateTime,
            V::Boolean,
        ],
        QuestionType::Metadata(_) => &[V::Text, V::DateTime, V::Date],
        QuestionType::Note => &[],
    }
}

/// Built-in messages, used when the form has none for the language.
fn default_message(kind: ProblemKind, lang: Option<&str>) -> &'static str {
    let hindi =
        lang.is_some_and(|l| l.contains("(hi)") || l.eq_ignore_ascii_case("hindi") || l == "hi");
    match (kind, hindi) {
        (ProblemKind::Required, true) => "यह प्रश्न आवश्यक है।",
        (ProblemKind::Required, false) => "This question is required.",
        (ProblemKind::Constraint, true) => "यह उत्तर स्वीकार्य नहीं है।",
        (ProblemKind::Constraint, false) => "This answer is not accepted.",
        (ProblemKind::Type, true) => "यह उत्तर इस प्रश्न के प्रकार का नहीं है।",
        (ProblemKind::Type, false) => "The answer is not of the type this question takes.",
        (ProblemKind::UnknownChoice, true) => "यह विकल्प प्रश्न की सूची में नहीं है।",
        (ProblemKind::UnknownChoice, false) => "This choice is not in the question's list.",
        (ProblemKind::UnknownQuestion, true) => "फ़ॉर्म में ऐसा कोई प्रश्न नहीं है।",
        (ProblemKind::UnknownQuestion, false) => "The form has no such question.",
        (ProblemKind::Expression, _) => "The form's expression could not be evaluated.",
    }
}

struct Walk<'a> {
    form: &'a Form,
    lang: Option<&'a str>,
    mode: Mode,
    moment: Moment,
    out: Checked,
}

impl Walk<'_> {
    fn env<'b>(&'b self, answers: &'b Answers, current: Option<&'b Value>) -> AnswerEnv<'b> {
        AnswerEnv {
            form: self.form,
            answers,
            current,
            choice: None,
            lang: self.lang,
            moment: self.moment,
        }
    }

    fn problem(&mut self, question: &Question, kind: ProblemKind, from_form: Option<&super::Text>) {
        let default_lang = self.form.default_language.as_deref();
        let message = from_form
            .and_then(|t| t.get(self.lang, default_lang))
            .unwrap_or_else(|| default_message(kind, self.lang))
            .to_owned();
        self.out.problems.push(Problem {
            question: question.name.clone(),
            kind,
            message,
        });
    }

    fn expression_failed(&mut self, question: &Question, message: String) {
        self.out.problems.push(Problem {
            question: question.name.clone(),
            kind: ProblemKind::Expression,
            message,
        });
    }

    fn relevant(
        &mut self,
        q_name: &str,
        formula: Option<&Formula>,
        answers: &Answers,
    ) -> Option<bool> {
        let formula = formula?;
        let env = self.env(answers, None);
        match eval(formula, &env) {
            Ok(v) => Some(v.as_bool()),
            Err(message) => {
                self.out.problems.push(Problem {
                    question: q_name.to_owned(),
                    kind: ProblemKind::Expression,
                    message,
                });
                Some(false)
            }
        }
    }

    fn items(&mut self, items: &[Item], visible: bool, answers: &mut Answers) {
        for item in items {
            match item {
                Item::Group(g) => {
                    let shown = visible
                        && self
                            .relevant(&g.name, g.relevant.as_ref(), answers)
                            .unwrap_or(true);
                    self.items(&g.items, shown, answers);
                }
                Item::Question(q) => self.question(q, visible, answers),
            }
        }
    }

    fn question(&mut self, q: &Question, parent_visible: bool, answers: &mut Answers) {
        let visible = parent_visible
            && self
                .relevant(&q.name, q.relevant.as_ref(), answers)
                .unwrap_or(true);
        if let Some(calc) = &q.calculation {
            let env = self.env(answers, None);
            match eval(calc, &env) {
                Ok(v) if v.is_empty() => {
                    answers.remove(&q.name);
                }
                Ok(v) => {
                    answers.insert(q.name.clone(), calculated(&q.kind, v));
                }
                Err(message) => self.expression_failed(q, message),
            }
        }
        if !visible {
            if self.mode == Mode::Final {
                answers.remove(&q.name);
            }
            return;
        }
        self.out.relevant.push(q.name.clone());
        let Some(answer) = answers.get(&q.name).cloned() else {
            let required = match &q.required {
                Required::No => false,
                Required::Yes => true,
                Required::If(f) => {
                    let env = self.env(answers, None);
                    eval(f, &env).map(|v| v.as_bool()).unwrap_or(false)
                }
            };
            if required && self.mode == Mode::Final {
                self.problem(q, ProblemKind::Required, Some(&q.required_message));
            }
            return;
        };
        if !accepted_types(&q.kind).contains(&answer.value_type()) {
            self.problem(q, ProblemKind::Type, None);
            return;
        }
        if let QuestionType::SelectOne { list, or_other }
        | QuestionType::SelectMultiple { list, or_other } = &q.kind
        {
            let names: Vec<&str> = match &answer {
                Value::Choice(c) => vec![c.as_str()],
                Value::Choices(cs) => cs.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            };
            let known = self.form.choices.get(list);
            let missing = names.iter().any(|n| {
                let listed = known.is_some_and(|cs| cs.iter().any(|c| c.name == *n));
                let other = *or_other && *n == "other";
                !(listed || other)
            });
            if missing {
                self.problem(q, ProblemKind::UnknownChoice, None);
                return;
            }
        }
        if let Some(constraint) = &q.constraint {
            let env = self.env(answers, Some(&answer));
            match eval(constraint, &env) {
                Ok(v) if v.as_bool() => {}
                Ok(_) => self.problem(q, ProblemKind::Constraint, Some(&q.constraint_message)),
                Err(message) => self.expression_failed(q, message),
            }
        }
    }
}

/// A calculation's result, stored with a type where the result has one.
fn calculated(kind: &QuestionType, v: XValue) -> Value {
    match (kind, v) {
        (QuestionType::Integer, v) => Value::Integer(v.as_number() as i64),
        (_, XValue::Boolean(b)) => Value::Boolean(b),
        (_, XValue::Date(d)) => Value::Date(d),
        (_, XValue::DateTime(t)) => Value::DateTime(t),
        (_, v) => Value::Text(v.as_string()),
    }
}

/// Checks `answers` against `form`: every problem at once, calculations evaluated, and
/// for [`Mode::Final`] answers to irrelevant questions dropped. `lang` picks message
/// translations (falling back to the form's default language, then English).
pub fn check(
    form: &Form,
    answers: &Answers,
    lang: Option<&str>,
    mode: Mode,
    moment: Moment,
) -> Checked {
    let mut walk = Walk {
        form,
        lang,
        mode,
        moment,
        out: Checked::default(),
    };
    let known: BTreeMap<&str, ()> = form
        .questions()
        .iter()
        .map(|q| (q.name.as_str(), ()))
        .collect();
    for name in answers.keys() {
        if !known.contains_key(name.as_str()) {
            walk.out.problems.push(Problem {
                question: name.clone(),
                kind: ProblemKind::UnknownQuestion,
                message: default_message(ProblemKind::UnknownQuestion, lang).to_owned(),
            });
        }
    }
    let mut working = answers.clone();
    // Calculations may read questions further down: two passes settle chains of them.
    for _ in 0..2 {
        let mut scratch = Walk {
            form,
            lang,
            mode: Mode::Draft,
            moment,
            out: Checked::default(),
        };
        scratch.items(&form.items, true, &mut working);
    }
    walk.items(&form.items, true, &mut working);
    working.retain(|name, _| known.contains_key(name.as_str()));
    walk.out.answers = working;
    walk.out
}

#[cfg(test)]
mod tests {
    use super::super::{FormFormat, load};
    use super::*;

    fn form() -> Form {
        let json = r#"{
          "survey": [
            {"type": "text", "name": "name", "required": "yes",
             "label::English (en)": "Name or alias", "label::Hindi (hi)": "नाम या उपनाम"},
            {"type": "integer", "name": "age", "constraint": ". >= 0 and . <= 120",
             "constraint_message::English (en)": "Age is between 0 and 120",
             "constraint_message::Hindi (hi)": "आयु 0 से 120 के बीच होनी चाहिए"},
            {"type": "calculate", "name": "minor", "calculation": "if(${age} != '' and ${age} < 18, 'yes', 'no')"},
            {"type": "select_multiple indicators", "name": "indicators"},
            {"type": "text", "name": "guardian", "relevant": "${minor} = 'yes'", "required": "yes"},
            {"type": "select_one sex", "name": "sex"}
          ],
          "choices": [
            {"list_name": "indicators", "name": "debt", "label::English (en)": "Debt"},
            {"list_name": "indicators", "name": "withheld_documents", "label::English (en)": "Documents withheld"},
            {"list_name": "sex", "name": "female", "label::English (en)": "Female"},
            {"list_name": "sex", "name": "male", "label::English (en)": "Male"}
          ],
          "settings": [{"form_id": "identification", "default_language": "English (en)"}]
        }"#;
        load(json.as_bytes(), FormFormat::Json, "identification").unwrap()
    }

    fn moment() -> Moment {
        let now = DateTime::parse_from_rfc3339("2026-11-02T10:00:00+05:30").unwrap();
        Moment {
            today: now.date_naive(),
            now,
        }
    }

    fn answers(pairs: &[(&str, Value)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_fourteen_year_old_is_flagged_as_a_minor_and_needs_a_guardian() {
        let a = answers(&[
            ("name", Value::Text("Asha".into())),
            ("age", Value::Integer(14)),
        ]);
        let checked = check(&form(), &a, None, Mode::Final, moment());
        assert_eq!(
            checked.answers.get("minor"),
            Some(&Value::Text("yes".into()))
        );
        assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
        assert_eq!(checked.problems[0].question, "guardian");
        assert_eq!(checked.problems[0].kind, ProblemKind::Required);
        // A draft may be saved without the guardian.
        assert!(check(&form(), &a, None, Mode::Draft, moment()).is_ok());
    }

    #[test]
    fn a_constraint_message_is_shown_in_hindi_and_falls_back_to_the_default_language() {
        let a = answers(&[
            ("name", Value::Text("Asha".into())),
            ("age", Value::Integer(130)),
        ]);
        let hindi = check(&form(), &a, Some("Hindi (hi)"), Mode::Final, moment());
        let problem = hindi.problems.iter().find(|p| p.question == "age").unwrap();
        assert_eq!(problem.kind, ProblemKind::Constraint);
        assert_eq!(problem.message, "आयु 0 से 120 के बीच होनी चाहिए");
        let khmer = check(&form(), &a, Some("Khmer (km)"), Mode::Final, moment());
        let problem = khmer.problems.iter().find(|p| p.question == "age").unwrap();
        assert_eq!(problem.message, "Age is between 0 and 120");
        let required = check(
            &form(),
            &Answers::new(),
            Some("Hindi (hi)"),
            Mode::Final,
            moment(),
        );
        assert_eq!(required.problems[0].message, "यह प्रश्न आवश्यक है।");
    }

    #[test]
    fn an_irrelevant_answer_is_dropped_on_finalize_and_kept_in_a_draft() {
        let a = answers(&[
            ("name", Value::Text("Ravi".into())),
            ("age", Value::Integer(30)),
            (
                "guardian",
                Value::Text("entered before the age was corrected".into()),
            ),
        ]);
        let final_ = check(&form(), &a, None, Mode::Final, moment());
        assert!(final_.is_ok(), "{:?}", final_.problems);
        assert!(!final_.answers.contains_key("guardian"));
        assert!(!final_.relevant.contains(&"guardian".to_string()));
        let draft = check(&form(), &a, None, Mode::Draft, moment());
        assert!(draft.answers.contains_key("guardian"));
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let a = answers(&[
            ("age", Value::Text("fourteen".into())),
            (
                "indicators",
                Value::Choices(vec!["debt".into(), "beatings".into()]),
            ),
            ("sex", Value::Choice("female".into())),
            ("village", Value::Text("Rampur".into())),
        ]);
        let checked = check(&form(), &a, None, Mode::Final, moment());
        let mut kinds: Vec<(&str, ProblemKind)> = checked
            .problems
            .iter()
            .map(|p| (p.question.as_str(), p.kind))
            .collect();
        kinds.sort_by_key(|(q, _)| *q);
        assert_eq!(
            kinds,
            vec![
                ("age", ProblemKind::Type),
                ("indicators", ProblemKind::UnknownChoice),
                ("name", ProblemKind::Required),
                ("village", ProblemKind::UnknownQuestion),
            ]
        );
        assert!(!checked.answers.contains_key("village"));
    }
}
