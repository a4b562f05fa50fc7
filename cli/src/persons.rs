//! `safekeep search`, `safekeep duplicates`, `safekeep link` and `safekeep persons`.

use safekeep_core::search::{DuplicateCandidate, MatchReason, PersonMatch};
use safekeep_core::{RecordId, Vault};
use serde_json::json;

use crate::CliResult;

fn reason_text(reason: &MatchReason) -> String {
    match reason {
        MatchReason::Name { similarity } => format!("name {:.0}%", similarity * 100.0),
        MatchReason::SameSex => "same sex".into(),
        MatchReason::DifferentSex => "different sex".into(),
        MatchReason::AgeClose { years } => format!("age within {years} year(s)"),
        MatchReason::AgeFar { years } => format!("age {years} years apart"),
        MatchReason::SameNationality => "same nationality".into(),
        MatchReason::DifferentNationality => "different nationality".into(),
        MatchReason::SameOperationDate => "same operation day".into(),
        MatchReason::SameCompanions => "same number of companions".into(),
    }
}

fn reason_json(reason: &MatchReason) -> serde_json::Value {
    match reason {
        MatchReason::Name { similarity } => json!({"name": similarity}),
        MatchReason::AgeClose { years } => json!({"age_close": years}),
        MatchReason::AgeFar { years } => json!({"age_far": years}),
        other => json!(reason_text(other).replace(' ', "_")),
    }
}

pub fn search(vault: &Vault, text: &str, limit: usize, json: bool) -> CliResult {
    let found: Vec<PersonMatch> = vault.search(text, limit)?;
    if json {
        let list: Vec<_> = found
            .iter()
            .map(|m| {
                json!({
                    "case": m.case.to_string(),
                    "record": m.record.to_string(),
                    "name": m.name,
                    "score": m.score,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    if found.is_empty() {
        println!("no person found");
        return Ok(());
    }
    println!("{:<32}  {:>5}  name", "case", "score");
    for m in &found {
        println!(
            "{:<32}  {:>4.0}%  {}",
            m.case.to_string(),
            m.score * 100.0,
            m.name
        );
    }
    Ok(())
}

pub fn duplicates(vault: &Vault, id: RecordId, limit: usize, json: bool) -> CliResult {
    let found: Vec<DuplicateCandidate> = vault.duplicates(id, limit)?;
    if json {
        let list: Vec<_> = found
            .iter()
            .map(|c| {
                json!({
                    "case": c.case.to_string(),
                    "record": c.record.to_string(),
                    "name": c.name,
                    "score": c.score,
                    "reasons": c.reasons.iter().map(reason_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    if found.is_empty() {
        println!("no likely duplicate");
        return Ok(());
    }
    println!("{:<32}  {:>5}  name; why", "case", "score");
    for c in &found {
        let why: Vec<String> = c.reasons.iter().map(reason_text).collect();
        println!(
            "{:<32}  {:>4.0}%  {}; {}",
            c.case.to_string(),
            c.score * 100.0,
            c.name,
            why.join(", ")
        );
    }
    println!("link one with: safekeep link CASE OTHER_CASE");
    Ok(())
}

/// The case a record id names: the id itself for a case, else the record's case.
fn case_of(vault: &Vault, id: RecordId) -> CliResult<RecordId> {
    let record = vault.get(id)?;
    Ok(record.case.unwrap_or(record.id))
}

pub fn link(vault: &Vault, a: RecordId, b: RecordId, undo: bool) -> CliResult {
    let (a, b) = (case_of(vault, a)?, case_of(vault, b)?);
    vault.link(a, b, !undo)?;
    if undo {
        println!("cases {a} and {b} are no longer linked");
    } else {
        println!("cases {a} and {b} are linked as the same person");
    }
    Ok(())
}

pub fn persons(vault: &Vault, json: bool) -> CliResult {
    let groups = vault.persons()?;
    let cases: usize = groups.iter().map(Vec::len).sum();
    let linked: Vec<&Vec<RecordId>> = groups.iter().filter(|g| g.len() > 1).collect();
    if json {
        let linked: Vec<Vec<String>> = linked
            .iter()
            .map(|g| g.iter().map(|c| c.to_string()).collect())
            .collect();
        println!(
            "{}",
            json!({"persons": groups.len(), "cases": cases, "linked": linked})
        );
        return Ok(());
    }
    println!("{} person(s) in {cases} case(s)", groups.len());
    for group in linked {
        let ids: Vec<String> = group.iter().map(|c| c.to_string()).collect();
        println!("  same person: {}", ids.join(" = "));
    }
    Ok(())
}
