//! The XLSForm model: questions (in groups and repeats), choice lists and settings,
//! built from [`Sheets`] and checked as a whole. Every problem found names its sheet,
//! row and column, and all of them are reported at once.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::Expr;
use super::sheets::{Row, Sheets, TRANSLATABLE};

/// Text in several languages: language name (as in `label::Hindi (hi)`) → text; the
/// key `""` holds a column written without a language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `lang`, else in `default_lang`, else without a language, else any.
    pub fn get(&self, lang: Option<&str>, default_lang: Option<&str>) -> Option<&str> {
        lang.and_then(|l| self.0.get(l))
            .or_else(|| default_lang.and_then(|l| self.0.get(l)))
            .or_else(|| self.0.get(""))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
    }

    /// Whether no language has text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An expression with the text it was parsed from.
#[derive(Clone, Debug)]
pub struct Formula {
    /// As written in the form.
    pub source: String,
    /// Parsed once, at load.
    pub expr: Expr,
}

/// Whether an answer is required.
#[derive(Clone, Debug, Default)]
pub enum Required {
    /// Not required.
    #[default]
    No,
    /// Always required.
    Yes,
    /// Required when the expression is true.
    If(Formula),
}

/// The type of a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuestionType {
    /// Free text.
    Text,
    /// Whole number.
    Integer,
    /// Decimal number.
    Decimal,
    /// Calendar date.
    Date,
    /// Date and time.
    DateTime,
    /// Time of day.
    Time,
    /// One choice from a list.
    SelectOne {
        /// Choice list name.
        list: String,
        /// `or_other`: an "other" choice with free text.
        or_other: bool,
    },
    /// Several choices from a list.
    SelectMultiple {
        /// Choice list name.
        list: String,
        /// `or_other`: an "other" choice with free text.
        or_other: bool,
    },
    /// Read-only text shown to the person.
    Note,
    /// A computed value, not shown.
    Calculate,
    /// A location.
    Geopoint,
    /// A line of locations.
    Geotrace,
    /// An area.
    Geoshape,
    /// A photo.
    Image,
    /// A sound recording.
    Audio,
    /// A video.
    Video,
    /// Any file.
    File,
    /// A checkbox the person ticks to acknowledge.
    Acknowledge,
    /// A barcode scan.
    Barcode,
    /// A number picked on a range.
    Range,
    /// A hidden value (set by default or calculation).
    Hidden,
    /// Filled by the device: start, end, today, deviceid, username, audit, ...
    Metadata(String),
}

impl QuestionType {
    /// Whether the question is filled by a person (it has a label to show).
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            QuestionType::Calculate | QuestionType::Hidden | QuestionType::Metadata(_)
        )
    }
}

/// One question.
#[derive(Clone, Debug)]
pub struct Question {
    /// Name (unique in the form): the answer's key.
    pub name: String,
    /// Type.
    pub kind: QuestionType,
    /// Label per language.
    pub label: Text,
    /// Hint per language.
    pub hint: Text,
    /// Whether an answer is required.
    pub required: Required,
    /// Message when a required answer is missing, per language.
    pub required_message: Text,
    /// Shown (and kept) only when true.
    pub relevant: Option<Formula>,
    /// The answer must make this true (`.` is the answer).
    pub constraint: Option<Formula>,
    /// Message when the constraint fails, per language.
    pub constraint_message: Text,
    /// Computed value.
    pub calculation: Option<Formula>,
    /// Default answer, as written.
    pub default: Option<String>,
    /// Shown but not editable.
    pub read_only: bool,
    /// Filters the choice list (`name` of each choice and its extra columns).
    pub choice_filter: Option<Formula>,
    /// Display hints for the shell.
    pub appearance: Option<String>,
    /// Every other column, kept as written.
    pub extra: BTreeMap<String, String>,
    /// Row in the survey sheet.
    pub row: usize,
}

/// A group of questions, or a repeat (a group filled several times).
#[derive(Clone, Debug)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Label per language.
    pub label: Text,
    /// Shown only when true.
    pub relevant: Option<Formula>,
    /// A repeat rather than a plain group.
    pub repeat: bool,
    /// Display hints (`field-list`, ...).
    pub appearance: Option<String>,
    /// Questions and groups inside.
    pub items: Vec<Item>,
    /// Every other column, kept as written.
    pub extra: BTreeMap<String, String>,
    /// Row of `begin group` / `begin repeat`.
    pub row: usize,
}

/// A survey item.
#[derive(Clone, Debug)]
pub enum Item {
    /// A question.
    Question(Box<Question>),
    /// A group or repeat.
    Group(Box<Group>),
}

/// One choice of a list.
#[derive(Clone, Debug)]
pub struct Choice {
    /// Stored value.
    pub name: String,
    /// Label per language.
    pub label: Text,
    /// Other columns (used by choice filters), kept as written.
    pub extra: BTreeMap<String, String>,
}

/// A loaded form.
#[derive(Clone, Debug)]
pub struct Form {
    /// `form_id` from settings (or the caller's default).
    pub id: String,
    /// `version` from settings.
    pub version: Option<String>,
    /// `form_title` from settings.
    pub title: Option<String>,
    /// `default_language` from settings.
    pub default_language: Option<String>,
    /// Every language seen in translated columns.
    pub languages: Vec<String>,
    /// The survey, as a tree.
    pub items: Vec<Item>,
    /// Choice lists by name.
    pub choices: BTreeMap<String, Vec<Choice>>,
    /// Other settings, kept as written.
    pub settings: BTreeMap<String, String>,
}

/// One problem in a form definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadProblem {
    /// Sheet.
    pub sheet: String,
    /// Row as a spreadsheet shows it.
    pub row: Option<usize>,
    /// Column, when one is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sheet)?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A form that cannot be loaded, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the form has {} problem(s); first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
pub struct FormLoadError {
    /// All problems, in sheet order.
    pub problems: Vec<LoadProblem>,
}

/// Question types by their XLSForm name (without list), with aliases.
fn simple_type(word: &str) -> Option<QuestionType> {
    Some(match word {
        "text" | "string" | "phone number" => QuestionType::Text,
        "integer" | "int" => QuestionType::Integer,
        "decimal" => QuestionType::Decimal,
        "date" => QuestionType::Date,
        "datetime" | "date_time" | "date time" => QuestionType::DateTime,
        "time" => QuestionType::Time,
        "note" => QuestionType::Note,
        "calculate" => QuestionType::Calculate,
        "geopoint" | "gps" | "location" => QuestionType::Geopoint,
        "geotrace" => QuestionType::Geotrace,
        "geoshape" => QuestionType::Geoshape,
        "image" | "photo" => QuestionType::Image,
        "audio" => QuestionType::Audio,
        "video" => QuestionType::Video,
        "file" => QuestionType::File,
        "acknowledge" | "trigger" => QuestionType::Acknowledge,
        "barcode" => QuestionType::Barcode,
        "range" => QuestionType::Range,
        "hidden" => QuestionType::Hidden,
        "start" | "end" | "today" | "deviceid" | "imei" | "username" | "email" | "phonenumber"
        | "simserial" | "subscriberid" | "audit" | "start-geopoint" | "background-audio"
        | "uri:deviceid" | "uri:username" | "uri:email" | "uri:phonenumber" | "uri:simserial"
        | "uri:subscriberid" | "xml-external" | "csv-external" => {
            QuestionType::Metadata(word.to_owned())
        }
        _ => return None,
    })
}

/// What a `type` cell says.
enum TypeCell {
    Question(QuestionType),
    BeginGroup { repeat: bool },
    EndGroup { repeat: bool },
}

fn parse_type(cell: &str) -> Result<TypeCell, String> {
    let lower = cell.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let joined = words.join(" ");
    match joined.as_str() {
        "begin group" | "begin_group" | "begin page" => {
            return Ok(TypeCell::BeginGroup { repeat: false });
        }
        "end group" | "end_group" | "end page" => return Ok(TypeCell::EndGroup { repeat: false }),
        "begin repeat" | "begin_repeat" => return Ok(TypeCell::BeginGroup { repeat: true }),
        "end repeat" | "end_repeat" => return Ok(TypeCell::EndGroup { repeat: true }),
        _ => {}
    }
    if joined.starts_with("begin loop") || joined.starts_with("begin_loop") || joined == "end loop"
    {
        return Err(
            "loops over a choice list ('begin loop over ...') are not supported: use a repeat"
                .into(),
        );
    }
    if let Some(t) = simple_type(&joined) {
        return Ok(TypeCell::Question(t));
    }
    // select_one LIST [or_other], select_multiple LIST [or_other], and the older
    // "select one from LIST" / "select all that apply from LIST".
    let (multiple, rest): (bool, Vec<&str>) = match words.as_slice() {
        ["select_one", rest @ ..] | ["select1", rest @ ..] => (false, rest.to_vec()),
        ["select_multiple", rest @ ..] => (true, rest.to_vec()),
        ["select", "one", "from", rest @ ..] | ["select", "one", rest @ ..] => {
            (false, rest.to_vec())
        }
        ["select", "all", "that", "apply", "from", rest @ ..]
        | ["select", "multiple", "from", rest @ ..]
        | ["select", "multiple", rest @ ..] => (true, rest.to_vec()),
        [first, ..]
            if first.starts_with("select_one_from_file")
                || first.starts_with("select_multiple_from_file") =>
        {
            return Err(format!(
                "'{}' (choices from a CSV/XML file) is not supported: put the choices on the choices sheet",
                first
            ));
        }
        [first, ..] if first.starts_with("select_one_external") => {
            return Err("'select_one_external' (external choices) is not supported".into());
        }
        ["include", ..] => return Err("'include' sections are not supported".into()),
        _ => return Err(format!("unknown question type '{}'", cell.trim())),
    };
    // The list name keeps its original case.
    let original: Vec<&str> = cell.split_whitespace().collect();
    let list_word = original.get(original.len() - rest.len()).copied();
    let tail = rest.get(1..).map(|t| t.join(" ")).unwrap_or_default();
    let or_other = matches!(tail.as_str(), "or_other" | "or other" | "or specify other");
    if rest.is_empty() || (!tail.is_empty() && !or_other) {
        return Err(format!("'{}' needs one choice list name", cell.trim()));
    }
    let list = list_word.unwrap_or_default().to_owned();
    Ok(TypeCell::Question(if multiple {
        QuestionType::SelectMultiple { list, or_other }
    } else {
        QuestionType::SelectOne { list, or_other }
    }))
}

/// Whether `name` is a valid XML element name (what ODK requires of names).
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.to_lowercase().starts_with("xml")
}

const KNOWN_SURVEY_COLUMNS: &[&str] = &[
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "default",
    "read_only",
    "choice_filter",
    "appearance",
];

fn translated(row: &Row, column: &str, languages: &mut BTreeSet<String>) -> Text {
    let mut text = Text::default();
    for (key, value) in &row.cells {
        if value.trim().is_empty() {
            continue;
        }
        if key == column {
            text.0.insert(String::new(), value.clone());
        } else if let Some(lang) = key.strip_prefix(column).and_then(|r| r.strip_prefix("::")) {
            languages.insert(lang.to_owned());
            text.0.insert(lang.to_owned(), value.clone());
        }
    }
    text
}

fn is_translated_column(key: &str) -> bool {
    TRANSLATABLE
        .iter()
        .any(|c| key == *c || key.strip_prefix(c).is_some_and(|r| r.starts_with("::")))
}

struct Builder<'a> {
    problems: Vec<LoadProblem>,
    languages: BTreeSet<String>,
    survey_sheet: &'a str,
}

impl Builder<'_> {
    fn problem(&mut self, row: Option<usize>, column: Option<&str>, message: impl Into<String>) {
        self.problems.push(LoadProblem {
            sheet: self.survey_sheet.to_owned(),
            row,
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    fn formula(&mut self, row: &Row, column: &str) -> Option<Formula> {
        let source = row.get(column)?.trim().to_owned();
        let parsed = if column == "choice_filter" {
            Expr::parse_choice_filter(&source)
        } else {
            Expr::parse(&source)
        };
        match parsed {
            Ok(expr) => Some(Formula { source, expr }),
            Err(e) => {
                self.problem(Some(row.number), Some(column), format!("{e}"));
                None
            }
        }
    }

    fn extra(row: &Row) -> BTreeMap<String, String> {
        row.cells
            .iter()
            .filter(|(k, _)| {
                !KNOWN_SURVEY_COLUMNS.contains(&k.as_str()) && !is_translated_column(k)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn yes(value: Option<&str>) -> bool {
        matches!(
            value.map(|v| v.trim().to_lowercase()).as_deref(),
            Some("yes" | "true" | "true()" | "1")
        )
    }

    fn question(&mut self, row: &Row, kind: QuestionType) -> Option<Question> {
        let name = match row.get("name").map(|n| n.trim().to_owned()) {
            Some(name) => name,
            // A note holds no answer; like pyxform, give it a name of its own.
            None if kind == QuestionType::Note => format!("generated_note_name_{}", row.number),
            None => {
                self.problem(Some(row.number), Some("name"), "question with no name");
                return None;
            }
        };
        let phone_number = row
            .get("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("phone number"));
        if kind == QuestionType::Calculate && row.get("calculation").is_none() {
            self.problem(
                Some(row.number),
                Some("calculation"),
                format!("'{name}' is a calculate with no calculation"),
            );
        }
        let required = match row.get("required").map(|v| v.trim().to_lowercase()) {
            None => Required::No,
            Some(v) if matches!(v.as_str(), "yes" | "true" | "true()" | "1") => Required::Yes,
            Some(v) if matches!(v.as_str(), "no" | "false" | "false()" | "0") => Required::No,
            Some(_) => self
                .formula(row, "required")
                .map(Required::If)
                .unwrap_or_default(),
        };
        Some(Question {
            label: translated(row, "label", &mut self.languages),
            hint: translated(row, "hint", &mut self.languages),
            required,
            required_message: translated(row, "required_message", &mut self.languages),
            relevant: self.formula(row, "relevant"),
            constraint: match self.formula(row, "constraint") {
                // "phone number" is text of digits only, as in pyxform.
                None if phone_number => {
                    Expr::parse(r"regex(., '^\d*$')").ok().map(|expr| Formula {
                        source: r"regex(., '^\d*$')".into(),
                        expr,
                    })
                }
                other => other,
            },
            constraint_message: translated(row, "constraint_message", &mut self.languages),
            calculation: self.formula(row, "calculation"),
            default: row.get("default").map(str::to_owned),
            read_only: Self::yes(row.get("read_only")),
            choice_filter: self.formula(row, "choice_filter"),
            appearance: row.get("appearance").map(str::to_owned),
            extra: Self::extra(row),
            row: row.number,
            name,
            kind,
        })
    }
}

/// Every question in `items`, depth first.
pub fn questions(items: &[Item]) -> Vec<&Question> {
    let mut out = Vec::new();
    fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Question>) {
        for item in items {
            match item {
                Item::Question(q) => out.push(q.as_ref()),
                Item::Group(g) => walk(&g.items, out),
            }
        }
    }
    walk(items, &mut out);
    out
}

impl Form {
    /// Builds and checks a form from its sheets. `default_id` names the form when the
    /// settings sheet has no `form_id` (XLSForm tools use the file name).
    pub fn from_sheets(sheets: &Sheets, default_id: &str) -> Result<Form, FormLoadError> {
        let mut b = Builder {
            problems: Vec::new(),
            languages: BTreeSet::new(),
            survey_sheet: &sheets.survey.name,
        };

        // The survey, as a tree: a stack of open groups.
        let mut stack: Vec<Group> = Vec::new();
        let mut top: Vec<Item> = Vec::new();
        for row in &sheets.survey.rows {
            let Some(type_cell) = row.get("type") else {
                if row.get("name").is_some() {
                    b.problem(
                        Some(row.number),
                        Some("type"),
                        "question with a name but no type",
                    );
                }
                continue;
            };
            let item = match parse_type(type_cell) {
                Err(message) => {
                    b.problem(Some(row.number), Some("type"), message);
                    continue;
                }
                Ok(TypeCell::BeginGroup { repeat }) => {
                    let Some(name) = row.get("name").map(|n| n.trim().to_owned()) else {
                        b.problem(Some(row.number), Some("name"), "group with no name");
                        // Keep the nesting balanced so later rows are checked sensibly.
                        stack.push(Group {
                            name: String::new(),
                            label: Text::default(),
                            relevant: None,
                            repeat,
                            appearance: None,
                            items: Vec::new(),
                            extra: BTreeMap::new(),
                            row: row.number,
                        });
                        continue;
                    };
                    stack.push(Group {
                        label: translated(row, "label", &mut b.languages),
                        relevant: b.formula(row, "relevant"),
                        appearance: row.get("appearance").map(str::to_owned),
                        extra: Builder::extra(row),
                        row: row.number,
                        items: Vec::new(),
                        repeat,
                        name,
                    });
                    continue;
                }
                Ok(TypeCell::EndGroup { repeat }) => match stack.pop() {
                    Some(group) if group.repeat == repeat => Item::Group(Box::new(group)),
                    Some(group) => {
                        b.problem(
                            Some(row.number),
                            Some("type"),
                            format!(
                                "'{}' closes a {} opened at row {}",
                                type_cell.trim(),
                                if group.repeat { "repeat" } else { "group" },
                                group.row
                            ),
                        );
                        Item::Group(Box::new(group))
                    }
                    None => {
                        b.problem(
                            Some(row.number),
                            Some("type"),
                            format!("'{}' with nothing open", type_cell.trim()),
                        );
                        continue;
                    }
                },
                Ok(TypeCell::Question(kind)) => match b.question(row, kind) {
                    Some(q) => Item::Question(Box::new(q)),
                    None => continue,
                },
            };
            match stack.last_mut() {
                Some(parent) => parent.items.push(item),
                None => top.push(item),
            }
        }
        while let Some(group) = stack.pop() {
            b.problem(
                Some(group.row),
                Some("type"),
                format!("'{}' is never closed", group.name),
            );
            match stack.last_mut() {
                Some(parent) => parent.items.push(Item::Group(Box::new(group))),
                None => top.push(Item::Group(Box::new(group))),
            }
        }

        // Choices.
        let mut choices: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
        if let Some(sheet) = &sheets.choices {
            for row in &sheet.rows {
                let (Some(list), Some(name)) = (row.get("list_name"), row.get("name")) else {
                    if row.get("list_name").is_some() {
                        b.problems.push(LoadProblem {
                            sheet: sheet.name.clone(),
                            row: Some(row.number),
                            column: Some("name".into()),
                            message: "choice with no name".into(),
                        });
                    }
                    continue;
                };
                let extra = row
                    .cells
                    .iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "list_name" | "name") && !is_translated_column(k)
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                // A name may repeat within a list (a choice filter tells them apart),
                // as pyxform allows.
                let list = choices.entry(list.trim().to_owned()).or_default();
                let name = name.trim().to_owned();
                list.push(Choice {
                    label: translated(row, "label", &mut b.languages),
                    extra,
                    name,
                });
            }
        }

        // Settings: the first data row.
        let mut settings: BTreeMap<String, String> = sheets
            .settings
            .as_ref()
            .and_then(|s| s.rows.first())
            .map(|r| {
                r.cells
                    .iter()
                    .map(|(k, v)| (k.clone(), v.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let id = settings
            .remove("form_id")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default_id.to_owned());
        let version = settings.remove("version").filter(|s| !s.is_empty());
        let title = settings.remove("form_title").filter(|s| !s.is_empty());
        let default_language = settings
            .remove("default_language")
            .filter(|s| !s.is_empty());

        // Whole-form checks: unique names, lists exist, references resolve.
        let all = questions(&top);
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        let mut later = Vec::new();
        for q in &all {
            if !valid_name(&q.name) {
                later.push((q.row, "name", format!("'{}' is not a valid question name (letters, digits, _ - . ; not starting with a digit)", q.name)));
            }
            if let Some(first) = names.insert(&q.name, q.row) {
                later.push((
                    q.row,
                    "name",
                    format!("'{}' is used twice (also row {first})", q.name),
                ));
            }
            if let QuestionType::SelectOne { list, .. } | QuestionType::SelectMultiple { list, .. } =
                &q.kind
                && !choices.contains_key(list)
            {
                later.push((
                    q.row,
                    "type",
                    format!("choice list '{list}' is not on the choices sheet"),
                ));
            }
        }
        for q in &all {
            let formulas = [
                ("relevant", q.relevant.as_ref()),
                ("constraint", q.constraint.as_ref()),
                ("calculation", q.calculation.as_ref()),
                ("choice_filter", q.choice_filter.as_ref()),
                (
                    "required",
                    match &q.required {
                        Required::If(f) => Some(f),
                        _ => None,
                    },
                ),
            ];
            for (column, formula) in formulas {
                let Some(formula) = formula else { continue };
                for name in formula.expr.references() {
                    if !names.contains_key(name.as_str()) {
                        later.push((
                            q.row,
                            column,
                            format!(
                                "refers to '${{{name}}}', which is not a question in this form"
                            ),
                        ));
                    }
                }
            }
        }
        for (row, column, message) in later {
            b.problem(Some(row), Some(column), message);
        }
        if all.is_empty() && b.problems.is_empty() {
            b.problem(None, None, "the survey has no questions");
        }
        if !b.problems.is_empty() {
            b.problems.sort_by(|a, c| {
                (a.sheet != *b.survey_sheet, a.row).cmp(&(c.sheet != *b.survey_sheet, c.row))
            });
            return Err(FormLoadError {
                problems: b.problems,
            });
        }
        Ok(Form {
            id,
            version,
            title,
            default_language,
            languages: b.languages.into_iter().collect(),
            items: top,
            choices,
            settings,
        })
    }

    /// Every question, depth first.
    pub fn questions(&self) -> Vec<&Question> {
        questions(&self.items)
    }

    /// One question by name.
    pub fn question(&self, name: &str) -> Option<&Question> {
        self.questions().into_iter().find(|q| q.name == name)
    }

    /// The form's own name for a language given in full ("Hindi (hi)"), by name
    /// ("hindi") or by code ("hi"); the text as given when the form does not have it
    /// (messages then fall back to the default language).
    pub fn language<'a>(&'a self, lang: &'a str) -> &'a str {
        let code = format!("({lang})");
        self.languages
            .iter()
            .find(|l| {
                l.eq_ignore_ascii_case(lang)
                    || l.ends_with(&code)
                    || l.split(" (")
                        .next()
                        .is_some_and(|n| n.eq_ignore_ascii_case(lang))
            })
            .map(String::as_str)
            .unwrap_or(lang)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FormFormat, load};
    use super::*;

    fn json_form(survey: &str, choices: &str) -> Result<Form, FormLoadError> {
        let text = format!(
            r#"{{"survey": [{survey}], "choices": [{choices}],
                "settings": [{{"form_id": "identification", "version": "2026-11", "default_language": "English (en)"}}]}}"#
        );
        load(text.as_bytes(), FormFormat::Json, "fallback")
    }

    #[test]
    fn an_identification_form_loads_with_groups_translations_and_choices() {
        let form = json_form(
            r#"{"type": "text", "name": "name", "label::English (en)": "Name or alias", "label::Hindi (hi)": "नाम या उपनाम", "required": "yes"},
               {"type": "integer", "name": "age", "constraint": ". >= 0 and . <= 120", "constraint_message::Hindi (hi)": "आयु 0 से 120 के बीच"},
               {"type": "calculate", "name": "minor", "calculation": "if(${age} < 18, 'yes', 'no')"},
               {"type": "begin group", "name": "found", "label::English (en)": "Where found"},
               {"type": "select_one places", "name": "place_type", "relevant": "${age} != ''", "photo_hint": "kept"},
               {"type": "end group"},
               {"type": "begin repeat", "name": "companions"},
               {"type": "text", "name": "companion_name"},
               {"type": "end repeat"}"#,
            r#"{"list_name": "places", "name": "brick_kiln", "label::English (en)": "Brick kiln"},
               {"list_name": "places", "name": "brothel", "label::English (en)": "Brothel"}"#,
        )
        .unwrap();
        assert_eq!(form.id, "identification");
        assert_eq!(form.version.as_deref(), Some("2026-11"));
        assert_eq!(
            form.languages,
            vec!["English (en)".to_string(), "Hindi (hi)".to_string()]
        );
        let names: Vec<_> = form.questions().iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            ["name", "age", "minor", "place_type", "companion_name"]
        );
        let name = form.question("name").unwrap();
        assert!(matches!(name.required, Required::Yes));
        assert_eq!(
            name.label.get(Some("Hindi (hi)"), None),
            Some("नाम या उपनाम")
        );
        assert_eq!(
            name.label.get(Some("Khmer (km)"), Some("English (en)")),
            Some("Name or alias")
        );
        let place = form.question("place_type").unwrap();
        assert_eq!(
            place.extra.get("photo_hint").map(String::as_str),
            Some("kept"),
            "unknown columns are kept"
        );
        assert!(matches!(&form.items[3], Item::Group(g) if !g.repeat && g.name == "found"));
        assert!(matches!(&form.items[4], Item::Group(g) if g.repeat && g.items.len() == 1));
        assert_eq!(form.choices["places"].len(), 2);
    }

    #[test]
    fn every_problem_is_reported_with_its_sheet_row_and_column() {
        let err = json_form(
            r#"{"type": "integer", "name": "age", "constraint": ". >= 0 and"},
               {"type": "text", "name": "notes", "relevant": "${agee} > 3"},
               {"type": "select_one nolist", "name": "sex"},
               {"type": "text", "name": "age"},
               {"type": "selfie", "name": "x"},
               {"type": "select_one_from_file villages.csv", "name": "village"},
               {"type": "begin group", "name": "g"}"#,
            "",
        )
        .unwrap_err();
        let found: Vec<(Option<usize>, Option<&str>)> = err
            .problems
            .iter()
            .map(|p| (p.row, p.column.as_deref()))
            .collect();
        assert!(found.contains(&(Some(2), Some("constraint"))), "{err:?}");
        assert!(found.contains(&(Some(3), Some("relevant"))), "{err:?}");
        assert!(found.contains(&(Some(4), Some("type"))), "{err:?}");
        assert!(found.contains(&(Some(5), Some("name"))), "{err:?}");
        assert!(found.contains(&(Some(6), Some("type"))), "{err:?}");
        assert!(found.contains(&(Some(7), Some("type"))), "{err:?}");
        assert!(found.contains(&(Some(8), Some("type"))), "{err:?}");
        assert!(err.problems.iter().all(|p| p.sheet == "survey"));
        let unknown = err.problems.iter().find(|p| p.row == Some(3)).unwrap();
        assert!(unknown.message.contains("agee"), "{unknown}");
        let file = err.problems.iter().find(|p| p.row == Some(7)).unwrap();
        assert!(file.message.contains("not supported"), "{file}");
    }

    #[test]
    fn a_form_without_settings_takes_the_default_id_and_calculations_need_a_formula() {
        let form = load(
            br#"{"survey": [{"type": "text", "name": "a"}]}"#,
            FormFormat::Json,
            "from_file",
        )
        .unwrap();
        assert_eq!(form.id, "from_file");
        let err = load(
            br#"{"survey": [{"type": "calculate", "name": "c"}]}"#,
            FormFormat::Json,
            "f",
        )
        .unwrap_err();
        assert_eq!(err.problems[0].column.as_deref(), Some("calculation"));
        let empty = load(br#"{"survey": []}"#, FormFormat::Json, "f").unwrap_err();
        assert!(empty.problems[0].message.contains("no questions"));
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"PK\x03\x04garbage",
            b"\xd0\xcf\x11\xe0broken",
            b"{\"survey\": 3}",
        ] {
            assert!(load(bytes, FormFormat::Xlsx, "f").is_err());
            assert!(load(bytes, FormFormat::Json, "f").is_err());
        }
    }
}
