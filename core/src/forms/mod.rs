//! Forms in the XLSForm model that humanitarian data teams already write (ODK,
//! KoboToolbox, CommCare, SurveyCTO): questions, choices, settings, and the expression
//! language of their `relevant`, `constraint`, `calculation`, `required` and
//! `choice_filter` columns.

pub mod builtin;
pub mod expr;
pub mod model;
pub mod registry;
pub mod render;
pub mod sheets;
pub mod submission;
pub mod validate;

pub use model::{
    Choice, Form, FormLoadError, Formula, Group, Item, LoadProblem, Question, QuestionType,
    Required, Text,
};
pub use registry::{FormSummary, RegistryError};
pub use render::{Screen, ShownChoice, ShownQuestion};
pub use submission::{EntryKind, NewEntry, Saved, SubmitError, answer_type, parse_text_answers};
pub use validate::{Checked, Mode, Moment, Problem, ProblemKind};

/// The file formats a form is loaded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormFormat {
    /// Excel 2007+ workbook.
    Xlsx,
    /// Excel 97-2003 workbook.
    Xls,
    /// The same sheets as JSON: `{"survey": [{column: value}], "choices": [...], "settings": [...]}`.
    Json,
}

impl FormFormat {
    /// The format a file name's extension says, if any.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_lowercase();
        if lower.ends_with(".xlsx") {
            Some(FormFormat::Xlsx)
        } else if lower.ends_with(".xls") {
            Some(FormFormat::Xls)
        } else if lower.ends_with(".json") {
            Some(FormFormat::Json)
        } else {
            None
        }
    }
}

/// Loads and checks a form. `default_id` names it when its settings have no `form_id`
/// (XLSForm tools use the file name). Bytes from outside are untrusted: any problem is
/// an error listing every problem found, never a panic.
pub fn load(bytes: &[u8], format: FormFormat, default_id: &str) -> Result<Form, FormLoadError> {
    let sheets = match format {
        FormFormat::Xlsx | FormFormat::Xls => sheets::from_workbook(bytes),
        FormFormat::Json => sheets::from_json(bytes),
    }
    .map_err(|e| FormLoadError {
        problems: vec![LoadProblem {
            sheet: e.sheet,
            row: e.row,
            column: None,
            message: e.message,
        }],
    })?;
    Form::from_sheets(&sheets, default_id)
}
