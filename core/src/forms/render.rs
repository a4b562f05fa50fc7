//! What a shell shows for a form and the answers so far: the visible questions in
//! order, their labels and hints in the person's language (with `${name}` in a label
//! replaced by that answer), the choices left after each choice filter, the current
//! values, and the problems found so far. The core decides; Android, iOS and the
//! command only draw it.

use super::model::{Form, Item, Question, QuestionType, Required};
use super::validate::{self, AnswerEnv, Mode, Moment, Problem};
use crate::records::{Answers, Value};

/// A choice as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownChoice {
    /// Stored value.
    pub name: String,
    /// Label in the requested language (the name when the form has no label).
    pub label: String,
}

/// A question as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownQuestion {
    /// Question name (the answer's key).
    pub name: String,
    /// Type.
    pub kind: QuestionType,
    /// Names of the groups it sits in, outermost first.
    pub groups: Vec<String>,
    /// Label in the requested language.
    pub label: Option<String>,
    /// Hint in the requested language.
    pub hint: Option<String>,
    /// Whether an answer will be required to finalize.
    pub required: bool,
    /// Shown but not editable.
    pub read_only: bool,
    /// Display hints.
    pub appearance: Option<String>,
    /// For select questions, the choices left after the choice filter.
    pub choices: Vec<ShownChoice>,
    /// The current answer.
    pub value: Option<Value>,
}

/// Everything a shell draws for one state of the answers.
#[derive(Clone, Debug, Default)]
pub struct Screen {
    /// Visible questions, in form order.
    pub questions: Vec<ShownQuestion>,
    /// Problems with the answers so far (required answers are reported at finalize).
    pub problems: Vec<Problem>,
    /// Answers with calculations applied.
    pub answers: Answers,
}

fn interpolate(text: &str, answers: &Answers) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                if let Some(v) = answers.get(&after[..end]) {
                    out.push_str(&v.to_string());
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

struct Renderer<'a> {
    form: &'a Form,
    lang: Option<&'a str>,
    moment: Moment,
    answers: &'a Answers,
    relevant: &'a [String],
    out: Vec<ShownQuestion>,
}

impl Renderer<'_> {
    fn env(&self) -> AnswerEnv<'_> {
        AnswerEnv {
            form: self.form,
            answers: self.answers,
            current: None,
            choice: None,
            lang: self.lang,
            moment: self.moment,
        }
    }

    fn walk(&mut self, items: &[Item], groups: &mut Vec<String>) {
        for item in items {
            match item {
                Item::Group(g) => {
                    groups.push(g.name.clone());
                    self.walk(&g.items, groups);
                    groups.pop();
                }
                Item::Question(q) if q.kind.is_input() && self.relevant.contains(&q.name) => {
                    let shown = self.question(q, groups.clone());
                    self.out.push(shown);
                }
                Item::Question(_) => {}
            }
        }
    }

    fn question(&self, q: &Question, groups: Vec<String>) -> ShownQuestion {
        let default_lang = self.form.default_language.as_deref();
        let env = self.env();
        let required = match &q.required {
            Required::No => false,
            Required::Yes => true,
            Required::If(f) => f.expr.eval(&env).is_ok_and(|v| v.as_bool()),
        };
        let choices = match &q.kind {
            QuestionType::SelectOne { list, or_other }
            | QuestionType::SelectMultiple { list, or_other } => {
                let mut shown: Vec<ShownChoice> = self
                    .form
                    .choices
                    .get(list)
                    .into_iter()
                    .flatten()
                    .filter(|c| match &q.choice_filter {
                        None => true,
                        Some(filter) => {
                            let env = AnswerEnv {
                                choice: Some(c),
                                ..self.env()
                            };
                            filter.expr.eval(&env).is_ok_and(|v| v.as_bool())
                        }
                    })
                    .map(|c| ShownChoice {
                        name: c.name.clone(),
                        label: c
                            .label
                            .get(self.lang, default_lang)
                            .unwrap_or(&c.name)
                            .to_owned(),
                    })
                    .collect();
                if *or_other {
                    shown.push(ShownChoice {
                        name: "other".into(),
                        label: "Other".into(),
                    });
                }
                shown
            }
            _ => Vec::new(),
        };
        ShownQuestion {
            name: q.name.clone(),
            kind: q.kind.clone(),
            groups,
            label: q
                .label
                .get(self.lang, default_lang)
                .map(|l| interpolate(l, self.answers)),
            hint: q
                .hint
                .get(self.lang, default_lang)
                .map(|h| interpolate(h, self.answers)),
            required,
            read_only: q.read_only || matches!(q.kind, QuestionType::Note),
            appearance: q.appearance.clone(),
            choices,
            value: self.answers.get(&q.name).cloned(),
        }
    }
}

/// What to show for `answers` in `lang`.
pub fn render(form: &Form, answers: &Answers, lang: Option<&str>, moment: Moment) -> Screen {
    let checked = validate::check(form, answers, lang, Mode::Draft, moment);
    let mut renderer = Renderer {
        form,
        lang,
        moment,
        answers: &checked.answers,
        relevant: &checked.relevant,
        out: Vec::new(),
    };
    renderer.walk(&form.items, &mut Vec::new());
    let questions = renderer.out;
    Screen {
        questions,
        problems: checked.problems,
        answers: checked.answers,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FormFormat, load};
    use super::*;

    fn form() -> Form {
        let json = r#"{
          "survey": [
            {"type": "select_one country", "name": "country", "label::English (en)": "Country", "label::Hindi (hi)": "देश"},
            {"type": "select_one district", "name": "district", "choice_filter": "country = ${country}",
             "label::English (en)": "District in ${country}"},
            {"type": "integer", "name": "age"},
            {"type": "begin group", "name": "minor_care", "relevant": "${age} < 18"},
            {"type": "text", "name": "guardian", "required": "yes"},
            {"type": "end group"},
            {"type": "calculate", "name": "adult", "calculation": "${age} >= 18"}
          ],
          "choices": [
            {"list_name": "country", "name": "IN", "label::English (en)": "India", "label::Hindi (hi)": "भारत"},
            {"list_name": "country", "name": "NP", "label::English (en)": "Nepal"},
            {"list_name": "district", "name": "gaya", "label::English (en)": "Gaya", "country": "IN"},
            {"list_name": "district", "name": "patna", "label::English (en)": "Patna", "country": "IN"},
            {"list_name": "district", "name": "morang", "label::English (en)": "Morang", "country": "NP"}
          ],
          "settings": [{"form_id": "place", "default_language": "English (en)"}]
        }"#;
        load(json.as_bytes(), FormFormat::Json, "place").unwrap()
    }

    fn moment() -> Moment {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-02T10:00:00+05:30").unwrap();
        Moment {
            today: now.date_naive(),
            now,
        }
    }

    #[test]
    fn choices_follow_the_filter_and_groups_follow_relevance() {
        let mut answers = Answers::new();
        answers.insert("country".into(), Value::Choice("IN".into()));
        answers.insert("age".into(), Value::Integer(14));
        let screen = render(&form(), &answers, Some("Hindi (hi)"), moment());
        let names: Vec<&str> = screen.questions.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["country", "district", "age", "guardian"]);
        assert_eq!(screen.questions[0].label.as_deref(), Some("देश"));
        assert_eq!(screen.questions[0].choices[0].label, "भारत");
        assert_eq!(
            screen.questions[0].choices[1].label, "Nepal",
            "falls back to the default language"
        );
        let districts: Vec<&str> = screen.questions[1]
            .choices
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(districts, ["gaya", "patna"]);
        assert_eq!(screen.questions[1].label.as_deref(), Some("District in IN"));
        assert_eq!(screen.questions[3].groups, ["minor_care"]);
        assert!(screen.questions[3].required);
        assert_eq!(screen.answers.get("adult"), Some(&Value::Boolean(false)));

        answers.insert("age".into(), Value::Integer(30));
        answers.insert("country".into(), Value::Choice("NP".into()));
        let screen = render(&form(), &answers, None, moment());
        let names: Vec<&str> = screen.questions.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["country", "district", "age"]);
        assert_eq!(screen.questions[1].choices.len(), 1);
    }
}
