//! Human and JSON output.

use safekeep_core::sync::{Op, OpBody, Resolution};
use safekeep_core::{CheckReport, DeviceId, Record, Stamp, Value};
use serde_json::{Value as Json, json};

/// A stamp's time as a person reads it.
pub fn stamp_text(stamp: &Stamp) -> String {
    stamp
        .datetime()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{}ms", stamp.wall_ms))
}

/// The first 8 hex digits of a device id: enough to tell a team's devices apart.
pub fn short_device(device: &DeviceId) -> String {
    device.to_string().chars().take(8).collect()
}

fn stamp_json(stamp: &Stamp) -> Json {
    json!({
        "time": stamp.datetime().map(|t| t.to_rfc3339()),
        "counter": stamp.counter,
        "device": stamp.device.to_string(),
    })
}

/// A value as natural JSON: numbers as numbers, dates as ISO strings, choices as arrays.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Text(s) | Value::Choice(s) => json!(s),
        Value::Integer(i) => json!(i),
        Value::Decimal(d) => json!(d.to_string()),
        Value::Date(_) | Value::DateTime(_) => json!(value.to_string()),
        Value::Choices(c) => json!(c),
        Value::Boolean(b) => json!(b),
        Value::Location(l) => json!({
            "latitude": l.latitude, "longitude": l.longitude,
            "altitude": l.altitude, "accuracy": l.accuracy,
        }),
    }
}

/// A record as JSON.
pub fn record_json(record: &Record) -> Json {
    let answers: serde_json::Map<String, Json> = record
        .answers()
        .iter()
        .map(|(k, v)| (k.clone(), value_json(v)))
        .collect();
    let types: serde_json::Map<String, Json> = record
        .answers()
        .iter()
        .map(|(k, v)| (k.clone(), json!(v.value_type().name())))
        .collect();
    json!({
        "id": record.id.to_string(),
        "kind": record.kind.name(),
        "case": record.case.map(|c| c.to_string()),
        "form": record.form.as_ref().map(|f| json!({"id": f.id, "version": f.version})),
        "answers": answers,
        "types": types,
        "created": stamp_json(&record.created),
        "updated": stamp_json(&record.updated),
        "deleted": record.deleted.as_ref().map(stamp_json),
        "same_person": record.same_person.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "logs": logs_json(record),
        "has_conflict": record.has_conflict,
    })
}

/// A record's append-only logs (notes, follow-ups): per log, its entries in order.
fn logs_json(record: &Record) -> Json {
    let logs: serde_json::Map<String, Json> = record
        .logs
        .iter()
        .map(|(log, entries)| {
            let entries = entries
                .iter()
                .map(|(stamp, value)| {
                    json!({
                        "time": stamp.datetime().map(|t| t.to_rfc3339()),
                        "device": stamp.device.to_string(),
                        "value": value_json(value),
                    })
                })
                .collect();
            (log.clone(), Json::Array(entries))
        })
        .collect();
    Json::Object(logs)
}

/// A short table, one record a line; `missing[i]` counts the answers record `i` still
/// needs to be final (`None`: not filled with a form this vault has).
pub fn print_table(records: &[Record], missing: &[Option<usize>]) {
    if records.is_empty() {
        println!("no records");
        return;
    }
    println!(
        "{:<32}  {:<13}  {:<26}  {:<23}  {:<7}  answers",
        "id", "kind", "form", "updated", "status"
    );
    for (i, r) in records.iter().enumerate() {
        let status = match missing.get(i).copied().flatten() {
            Some(0) => "final",
            Some(_) => "draft",
            None => "",
        };
        let form = r.form.as_ref().map(|f| f.id.as_str()).unwrap_or("-");
        let deleted = if r.deleted.is_some() {
            " (deleted)"
        } else {
            ""
        };
        println!(
            "{:<32}  {:<13}  {:<26}  {:<23}  {status:<7}  {}{deleted}",
            r.id.to_string(),
            r.kind.name(),
            form,
            stamp_text(&r.updated),
            r.answers().len()
        );
    }
    println!("{} record(s)", records.len());
}

/// One record in full.
pub fn print_record(record: &Record) {
    println!("id:       {}", record.id);
    println!("kind:     {}", record.kind.name());
    if let Some(case) = record.case {
        println!("case:     {case}");
    }
    if let Some(form) = &record.form {
        match &form.version {
            Some(v) => println!("form:     {} (version {v})", form.id),
            None => println!("form:     {}", form.id),
        }
    }
    println!("created:  {}", stamp_text(&record.created));
    println!("updated:  {}", stamp_text(&record.updated));
    let answers = record.answers();
    if answers.is_empty() {
        println!("answers:  none");
    } else {
        println!("answers:");
        let width = answers.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (name, value) in &answers {
            println!("  {name:<width$}  {value}  ({})", value.value_type().name());
        }
    }
    for (log, entries) in &record.logs {
        println!("{log}:");
        for (stamp, value) in entries {
            println!(
                "  {}  device {}  {value}",
                stamp_text(stamp),
                short_device(&stamp.device)
            );
        }
    }
    if record.has_conflict {
        println!("conflict: concurrent edits wait for a coordinator (safekeep conflicts)");
    }
}

fn op_summary(op: &Op) -> (String, Vec<String>) {
    match &op.body {
        OpBody::Create { kind, fields, .. } => (
            format!("created {}", kind.name()),
            fields.iter().map(|f| f.name.clone()).collect(),
        ),
        OpBody::Set { fields } => (
            "changed".into(),
            fields.iter().map(|f| f.name.clone()).collect(),
        ),
        OpBody::Tombstone { .. } => ("deleted".into(), Vec::new()),
        OpBody::Link { other, same: true } => {
            (format!("linked as the same person as {other}"), Vec::new())
        }
        OpBody::Link { other, same: false } => (format!("unlinked from {other}"), Vec::new()),
        OpBody::Append { log, .. } => (format!("added an entry to {log}"), Vec::new()),
        OpBody::Resolve(Resolution::Fields(fields)) => (
            "resolved a conflict".into(),
            fields.iter().map(|f| f.name.clone()).collect(),
        ),
        OpBody::Resolve(Resolution::KeepDeleted { .. }) => {
            ("resolved a conflict: kept deleted".into(), Vec::new())
        }
        OpBody::Resolve(Resolution::Restore { .. }) => {
            ("resolved a conflict: restored".into(), Vec::new())
        }
    }
}

/// Every change to a record.
pub fn print_history(ops: &[Op]) {
    println!("history:");
    for op in ops {
        let (what, fields) = op_summary(op);
        let fields = if fields.is_empty() {
            String::new()
        } else {
            format!(": {}", fields.join(", "))
        };
        println!(
            "  {}  device {}  #{}  {what}{fields}",
            stamp_text(&op.stamp),
            short_device(&op.id.device),
            op.id.seq
        );
    }
}

/// Every change to a record, as JSON.
pub fn history_json(ops: &[Op]) -> Json {
    Json::Array(
        ops.iter()
            .map(|op| {
                let (what, fields) = op_summary(op);
                json!({
                    "stamp": stamp_json(&op.stamp),
                    "device": op.id.device.to_string(),
                    "seq": op.id.seq,
                    "change": what,
                    "fields": fields,
                })
            })
            .collect(),
    )
}

/// The check report as JSON.
pub fn check_json(report: &CheckReport) -> Json {
    json!({
        "ok": report.is_ok(),
        "integrity_problems": report.integrity_problems,
        "sealed_values_ok": report.sealed_values_ok,
        "damaged": report.damaged.iter().map(|(t, id)| json!({"table": t, "id": id})).collect::<Vec<_>>(),
        "replay_mismatches": report.replay_mismatches,
        "insecure_test_kdf": report.insecure_test_kdf,
        "failed_unlock_limit": report.failed_unlock_limit,
    })
}

/// The check report for a person.
pub fn print_check(report: &CheckReport) {
    if report.integrity_problems.is_empty() {
        println!("database integrity: ok");
    } else {
        println!(
            "database integrity: {} problem(s)",
            report.integrity_problems.len()
        );
        for p in &report.integrity_problems {
            println!("  {p}");
        }
    }
    println!("sealed values opened: {}", report.sealed_values_ok);
    for (table, id) in &report.damaged {
        println!("damaged: {table} {id}");
    }
    for id in &report.replay_mismatches {
        println!("state differs from its op log: record {id}");
    }
    match report.failed_unlock_limit {
        Some(n) => println!("failed-unlock limit: wipes after {n}"),
        None => println!("failed-unlock limit: off"),
    }
    if report.insecure_test_kdf {
        println!("WARNING: this vault uses the insecure test KDF; never keep real records in it");
    }
    println!(
        "{}",
        if report.is_ok() {
            "check passed"
        } else {
            "check FAILED"
        }
    );
}
