//! `--answer KEY[:TYPE]=VALUE` on the command line.

use safekeep_core::{Answers, ValueType};

use crate::Failure;

/// Parses one `KEY[:TYPE]=VALUE`. Error messages name the key, never the value.
pub fn parse(arg: &str) -> Result<(String, safekeep_core::Value), Failure> {
    let (key, text) = arg
        .split_once('=')
        .ok_or_else(|| Failure::new("an answer must look like KEY=VALUE or KEY:TYPE=VALUE"))?;
    let (name, ty) = match key.rsplit_once(':') {
        Some((name, ty)) => {
            let ty = ty.parse::<ValueType>().map_err(|_| {
                let known: Vec<&str> = ValueType::ALL.iter().map(|t| t.name()).collect();
                Failure::new(format!(
                    "unknown answer type for '{name}': use one of {}",
                    known.join(", ")
                ))
            })?;
            (name, ty)
        }
        None => (key, ValueType::Text),
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(Failure::new("an answer has an empty key"));
    }
    let value = ty
        .parse(text)
        .map_err(|e| Failure::new(format!("answer '{name}': {e}")))?;
    Ok((name.to_owned(), value))
}

/// Parses every `--answer`; a key given twice is an error.
pub fn parse_all(args: &[String]) -> Result<Answers, Failure> {
    let mut out = Answers::new();
    for arg in args {
        let (name, value) = parse(arg)?;
        if out.insert(name.clone(), value).is_some() {
            return Err(Failure::new(format!("answer '{name}' is given twice")));
        }
    }
    Ok(out)
}
