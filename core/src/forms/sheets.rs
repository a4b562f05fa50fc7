//! Reading an XLSForm's sheets (`survey`, `choices`, `settings`) from .xlsx, .xls or
//! JSON into rows of named cells, with the column names normalized the way XLSForm
//! tools read them: case-insensitive, aliases (`relevance`, `bind::relevant`,
//! `jr:constraintMsg`, `list name`, ...) mapped to one name, and translations as
//! `label::Hindi (hi)` (or the older `label:Hindi`).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader};

/// Where a cell came from, for error messages: sheet, 1-based row, column name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellRef {
    /// Sheet name as written in the file.
    pub sheet: String,
    /// Row number as a spreadsheet shows it (1-based).
    pub row: usize,
}

/// One data row: normalized column name → text, with its row number.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// Row number as a spreadsheet shows it (1-based).
    pub number: usize,
    /// Normalized column → non-empty cell text.
    pub cells: BTreeMap<String, String>,
}

impl Row {
    /// A cell's text, if present and not blank.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cells
            .get(column)
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
    }
}

/// One sheet: its name as written and its data rows (header and blank rows removed).
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    /// The sheet's name in the file.
    pub name: String,
    /// Data rows in order.
    pub rows: Vec<Row>,
}

/// The sheets an XLSForm is made of.
#[derive(Clone, Debug, Default)]
pub struct Sheets {
    /// Questions.
    pub survey: Sheet,
    /// Choice lists, if present.
    pub choices: Option<Sheet>,
    /// Settings, if present (the first data row is used).
    pub settings: Option<Sheet>,
}

/// A problem reading the sheets, before any question is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{sheet}{}: {message}", row.map(|r| format!(", row {r}")).unwrap_or_default())]
pub struct SheetError {
    /// Sheet concerned (or the file).
    pub sheet: String,
    /// Row, if one.
    pub row: Option<usize>,
    /// What is wrong.
    pub message: String,
}

fn sheet_error(sheet: &str, row: Option<usize>, message: impl Into<String>) -> SheetError {
    SheetError {
        sheet: sheet.to_owned(),
        row,
        message: message.into(),
    }
}

/// A run of this many empty rows ends a sheet's data, as in pyxform.
const MAX_ADJACENT_EMPTY_ROWS: usize = 60;

/// Columns whose values are translated: `label::Hindi (hi)`.
pub(crate) const TRANSLATABLE: &[&str] = &[
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "required_message",
    "image",
    "audio",
    "video",
    "big-image",
];

/// The canonical name for a column header (without its language part).
fn canonical(base: &str) -> String {
    let lower = base.trim().to_lowercase();
    let lower = lower.replace(' ', "_");
    let name = match lower.as_str() {
        "relevance" | "bind::relevant" | "bind:relevant" => "relevant",
        "bind::constraint" | "bind:constraint" => "constraint",
        "constraint_msg"
        | "jr:constraintmsg"
        | "bind::jr:constraintmsg"
        | "bind:jr:constraintmsg" => "constraint_message",
        "required_msg" | "jr:requiredmsg" | "bind::jr:requiredmsg" | "bind:jr:requiredmsg" => {
            "required_message"
        }
        "bind::required" | "bind:required" => "required",
        "bind::calculate" | "bind:calculate" | "calculate" => "calculation",
        "bind::readonly" | "bind:readonly" | "readonly" => "read_only",
        "control::appearance" | "control:appearance" => "appearance",
        "media::image" | "media:image" => "image",
        "media::audio" | "media:audio" => "audio",
        "media::video" | "media:video" => "video",
        "media::big-image" | "media:big-image" => "big-image",
        "list_name" | "list" => "list_name",
        "caption" => "label",
        "default_value" => "default",
        other => other,
    };
    name.to_owned()
}

/// Normalizes a header: `Label::Hindi (hi)` → `label::Hindi (hi)`,
/// `bind:jr:constraintMsg` → `constraint_message`, `label:English` → `label::English`.
pub fn normalize_header(header: &str) -> String {
    let header = header.trim();
    if let Some((base, lang)) = header.split_once("::") {
        let base_c = canonical(base);
        if TRANSLATABLE.contains(&base_c.as_str()) || base_c == "media" {
            return format!("{base_c}::{}", lang.trim());
        }
        return canonical(header);
    }
    // Older single-colon translations, but not jr:/bind: prefixes.
    if let Some((base, lang)) = header.split_once(':') {
        let base_c = canonical(base);
        if TRANSLATABLE.contains(&base_c.as_str()) && !lang.contains(':') {
            return format!("{base_c}::{}", lang.trim());
        }
    }
    canonical(header)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => {
            if *b {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => {
                dt.date().format("%Y-%m-%d").to_string()
            }
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// Builds a sheet from a header row and data rows of text, checking for duplicate
/// columns. `first_row` is the spreadsheet row number of `rows[0]`.
fn build_sheet(name: &str, rows: Vec<Vec<String>>, first_row: usize) -> Result<Sheet, SheetError> {
    let mut rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (first_row + i, r));
    // The header is the first row with any text.
    let (header_number, header) = loop {
        match rows.next() {
            Some((n, r)) if r.iter().any(|c| !c.trim().is_empty()) => break (n, r),
            Some(_) => continue,
            None => {
                return Ok(Sheet {
                    name: name.to_owned(),
                    rows: Vec::new(),
                });
            }
        }
    };
    let mut columns: Vec<Option<String>> = Vec::with_capacity(header.len());
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for raw in &header {
        if raw.trim().is_empty() {
            columns.push(None);
            continue;
        }
        let norm = normalize_header(raw);
        if let Some(first) = seen.get(&norm) {
            let message = if first.trim().eq_ignore_ascii_case(raw.trim()) {
                format!("duplicate column header: {}", raw.trim())
            } else {
                format!(
                    "columns '{}' and '{}' are two names for the same column",
                    first.trim(),
                    raw.trim()
                )
            };
            return Err(sheet_error(name, Some(header_number), message));
        }
        seen.insert(norm.clone(), raw.clone());
        columns.push(Some(norm));
    }
    let mut out = Vec::new();
    let mut adjacent_empty = 0;
    for (number, cells) in rows {
        // After a long run of empty rows, the data has ended (as pyxform reads it):
        // stray cells far below are not part of the form.
        if cells.iter().all(|c| c.trim().is_empty()) {
            adjacent_empty += 1;
            if adjacent_empty > MAX_ADJACENT_EMPTY_ROWS {
                break;
            }
            continue;
        }
        adjacent_empty = 0;
        let mut row = Row {
            number,
            cells: BTreeMap::new(),
        };
        for (i, text) in cells.into_iter().enumerate() {
            if text.trim().is_empty() {
                continue;
            }
            // Cells under no header are ignored, as XLSForm tools do.
            if let Some(Some(column)) = columns.get(i) {
                row.cells.insert(column.clone(), text);
            }
        }
        if !row.cells.is_empty() {
            out.push(row);
        }
    }
    Ok(Sheet {
        name: name.to_owned(),
        rows: out,
    })
}

fn assemble(mut found: Vec<(String, Vec<Vec<String>>, usize)>) -> Result<Sheets, SheetError> {
    let position = |found: &[(String, Vec<Vec<String>>, usize)], want: &str| {
        found
            .iter()
            .position(|(n, _, _)| n.trim().eq_ignore_ascii_case(want))
    };
    let survey_at = match position(&found, "survey") {
        Some(i) => i,
        // A workbook of one sheet is its survey, whatever the sheet is called.
        None if found.len() == 1 => 0,
        None => return Err(sheet_error("workbook", None, "no sheet named 'survey'")),
    };
    let (name, rows, first) = found.remove(survey_at);
    let survey = build_sheet(&name, rows, first)?;
    let mut take = |want: &str| -> Result<Option<Sheet>, SheetError> {
        match position(&found, want) {
            Some(i) => {
                let (name, rows, first) = found.remove(i);
                Ok(Some(build_sheet(&name, rows, first)?))
            }
            None => Ok(None),
        }
    };
    let choices = take("choices")?;
    let settings = take("settings")?;
    Ok(Sheets {
        survey,
        choices,
        settings,
    })
}

/// Reads the sheets of an .xlsx or .xls workbook given as bytes.
pub fn from_workbook(bytes: &[u8]) -> Result<Sheets, SheetError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        sheet_error(
            "workbook",
            None,
            format!("not a readable .xlsx or .xls file ({e})"),
        )
    })?;
    let mut found = Vec::new();
    for name in book.sheet_names() {
        let lower = name.trim().to_lowercase();
        if !matches!(lower.as_str(), "survey" | "choices" | "settings")
            && book.sheet_names().len() > 1
        {
            continue;
        }
        let range = book
            .worksheet_range(&name)
            .map_err(|e| sheet_error(&name, None, format!("cannot read the sheet ({e})")))?;
        let first = range.start().map(|(r, _)| r as usize + 1).unwrap_or(1);
        let start_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| {
                let mut cells = vec![String::new(); start_col];
                cells.extend(r.iter().map(cell_text));
                cells
            })
            .collect();
        found.push((name, rows, first));
    }
    assemble(found)
}

/// Reads the sheets of a form written as JSON: `{"survey": [{"type": "text", "name":
/// "name", "label::English (en)": "Name"}, ...], "choices": [...], "settings": [{...}]}`
/// (the same rows and columns as the spreadsheet).
pub fn from_json(bytes: &[u8]) -> Result<Sheets, SheetError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| sheet_error("json", None, format!("not valid JSON ({e})")))?;
    let object = value
        .as_object()
        .ok_or_else(|| sheet_error("json", None, "expected an object of sheets"))?;
    let mut found = Vec::new();
    for (name, rows) in object {
        let rows = rows
            .as_array()
            .ok_or_else(|| sheet_error(name, None, "expected an array of rows"))?;
        // Header: every key used in any row, in first-seen order.
        let mut header: Vec<String> = Vec::new();
        for row in rows {
            let row = row
                .as_object()
                .ok_or_else(|| sheet_error(name, None, "expected each row to be an object"))?;
            for key in row.keys() {
                if !header.contains(key) {
                    header.push(key.clone());
                }
            }
        }
        let mut table = vec![header.clone()];
        for row in rows {
            let row = row
                .as_object()
                .ok_or_else(|| sheet_error(name, None, "row is not an object"))?;
            table.push(
                header
                    .iter()
                    .map(|k| match row.get(k) {
                        None | Some(serde_json::Value::Null) => String::new(),
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect(),
            );
        }
        found.push((name.clone(), table, 1));
    }
    assemble(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_normalized_like_xlsform_tools_do() {
        assert_eq!(normalize_header("Label::Hindi (hi)"), "label::Hindi (hi)");
        assert_eq!(normalize_header("label:English"), "label::English");
        assert_eq!(
            normalize_header("bind:jr:constraintMsg"),
            "constraint_message"
        );
        assert_eq!(normalize_header("bind::relevant"), "relevant");
        assert_eq!(normalize_header("List Name"), "list_name");
        assert_eq!(normalize_header("TYPE"), "type");
        assert_eq!(
            normalize_header("constraint_message::हिन्दी"),
            "constraint_message::हिन्दी"
        );
    }

    #[test]
    fn a_json_form_reads_as_the_same_rows() {
        let json = br#"{"survey": [{"type": "text", "name": "name", "label::English (en)": "Name"},
                                   {"type": "integer", "name": "age", "constraint": ". <= 120"}],
                        "settings": [{"form_id": "f", "version": 3}]}"#;
        let sheets = from_json(json).unwrap();
        assert_eq!(sheets.survey.rows.len(), 2);
        assert_eq!(
            sheets.survey.rows[0].get("label::English (en)"),
            Some("Name")
        );
        assert_eq!(sheets.survey.rows[1].number, 3);
        assert_eq!(sheets.settings.unwrap().rows[0].get("version"), Some("3"));
        assert!(from_json(b"[1,2]").is_err());
        assert!(
            from_json(b"{\"choices\": [], \"settings\": []}").is_err(),
            "no survey"
        );
        // A single sheet is the survey, whatever its name (as pyxform reads it).
        assert!(from_json(br#"{"Sheet1": [{"type": "text", "name": "a"}]}"#).is_ok());
    }

    #[test]
    fn duplicate_and_aliased_columns_are_refused() {
        let dup = br#"{"survey": [{"type": "text", "name": "a"}]}"#;
        assert!(from_json(dup).is_ok());
        let rows = vec![
            vec![
                "type".to_string(),
                "relevant".into(),
                "bind:relevant".into(),
            ],
            vec!["text".into(), "".into(), "".into()],
        ];
        let err = build_sheet("survey", rows, 1).unwrap_err();
        assert!(
            err.message.contains("two names for the same column"),
            "{err}"
        );
    }
}
