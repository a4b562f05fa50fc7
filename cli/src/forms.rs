//! `safekeep forms list | show | load`.

use std::path::Path;

use safekeep_core::forms::registry::RegistryError;
use safekeep_core::forms::{Form, FormFormat, Item, QuestionType, Required};

use crate::{CliResult, Failure, FormsCommand, open};

impl From<RegistryError> for Failure {
    fn from(err: RegistryError) -> Self {
        match err {
            RegistryError::Invalid(e) => {
                // Every problem, one per line: form definitions are not personal data.
                let lines: Vec<String> = e.problems.iter().map(|p| format!("  {p}")).collect();
                Failure::new(format!(
                    "the form has {} problem(s):\n{}",
                    e.problems.len(),
                    lines.join("\n")
                ))
            }
            other => Failure::new(other.to_string()),
        }
    }
}

/// The form's own name for a language given as a code ("hi") or in full.
fn resolve_lang(form: &Form, lang: Option<&str>) -> Option<String> {
    lang.map(|l| form.language(l).to_owned())
}

fn type_name(kind: &QuestionType) -> String {
    match kind {
        QuestionType::SelectOne { list, .. } => format!("select_one {list}"),
        QuestionType::SelectMultiple { list, .. } => format!("select_multiple {list}"),
        QuestionType::Metadata(m) => m.clone(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn print_items(form: &Form, items: &[Item], lang: Option<&str>, depth: usize) {
    let pad = "  ".repeat(depth + 1);
    let default_lang = form.default_language.as_deref();
    for item in items {
        match item {
            Item::Group(g) => {
                let label = g.label.get(lang, default_lang).unwrap_or("");
                let what = if g.repeat { "repeat" } else { "group" };
                println!("{pad}[{what} {}] {label}", g.name);
                print_items(form, &g.items, lang, depth + 1);
            }
            Item::Question(q) => {
                let label = q.label.get(lang, default_lang).unwrap_or("");
                let required = match q.required {
                    Required::No => "",
                    Required::Yes => " (required)",
                    Required::If(_) => " (required if)",
                };
                println!(
                    "{pad}{:<24} {:<32} {label}{required}",
                    q.name,
                    type_name(&q.kind)
                );
                if let QuestionType::SelectOne { list, .. }
                | QuestionType::SelectMultiple { list, .. } = &q.kind
                {
                    let names: Vec<String> = form
                        .choices
                        .get(list)
                        .into_iter()
                        .flatten()
                        .map(|c| {
                            format!(
                                "{} ({})",
                                c.name,
                                c.label.get(lang, default_lang).unwrap_or(&c.name)
                            )
                        })
                        .collect();
                    println!("{pad}  choices: {}", names.join(", "));
                }
            }
        }
    }
}

pub fn run(dir: &Path, command: &FormsCommand) -> CliResult {
    match command {
        FormsCommand::List { json } => {
            let vault = open(dir)?;
            let forms = vault.forms()?;
            vault.close()?;
            if *json {
                let list: Vec<_> = forms
                    .iter()
                    .map(|f| serde_json::json!({"id": f.id, "version": f.version, "title": f.title, "builtin": f.builtin}))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for f in &forms {
                    println!(
                        "{:<28} {:<12} {:<9} {}",
                        f.id,
                        f.version.as_deref().unwrap_or("-"),
                        if f.builtin { "built-in" } else { "loaded" },
                        f.title.as_deref().unwrap_or("")
                    );
                }
            }
        }
        FormsCommand::Show {
            form,
            version,
            lang,
        } => {
            let vault = open(dir)?;
            let found = vault.form(form, version.as_deref())?;
            vault.close()?;
            let form = found.ok_or_else(|| Failure {
                message: "no such form in this vault".into(),
                code: 4,
            })?;
            let lang = resolve_lang(&form, lang.as_deref());
            println!(
                "{} (version {})  {}",
                form.id,
                form.version.as_deref().unwrap_or("-"),
                form.title.as_deref().unwrap_or("")
            );
            println!("languages: {}", form.languages.join(", "));
            print_items(&form, &form.items, lang.as_deref(), 0);
        }
        FormsCommand::Load { file } => {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("form");
            let format = FormFormat::from_file_name(name)
                .ok_or_else(|| Failure::new("the form file must end in .xlsx, .xls or .json"))?;
            let bytes = std::fs::read(file)
                .map_err(|e| Failure::new(format!("cannot read the form file: {e}")))?;
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
            let vault = open(dir)?;
            let loaded = vault.load_form(&bytes, format, stem)?;
            vault.close()?;
            println!(
                "loaded {} version {}",
                loaded.id,
                loaded.version.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}
