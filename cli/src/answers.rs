//! `--answer NAME=VALUE` on the command line: the form decides the type, as ODK stores
//! answers (select_multiple as space-separated choice names, dates as ISO 8601).

use crate::Failure;

/// Splits every `NAME=VALUE`; a name given twice is an error. Messages name the
/// question, never the value.
pub fn pairs(args: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let mut out: Vec<(String, String)> = Vec::new();
    for arg in args {
        let (name, text) = arg
            .split_once('=')
            .ok_or_else(|| Failure::new("an answer must look like NAME=VALUE"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Failure::new("an answer has an empty question name"));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(Failure::new(format!("answer '{name}' is given twice")));
        }
        out.push((name.to_owned(), text.to_owned()));
    }
    Ok(out)
}
