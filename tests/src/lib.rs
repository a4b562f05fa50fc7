//! Helpers for the end-to-end suite.

pub mod fault_proxy;

/// Passphrase used by the end-to-end tests.
pub const PASSPHRASE: &str = "gate two, kiln seven";

/// The answers the crash writer saves for `token`; the crash test recomputes them.
pub fn crash_answers(token: u64) -> safekeep_core::Answers {
    use safekeep_core::Value;
    let mut answers = safekeep_core::Answers::new();
    answers.insert(
        "name".into(),
        Value::Text(format!("Person {token:016x} देवी")),
    );
    answers.insert("age".into(), Value::Integer((token % 90) as i64));
    answers.insert(
        "notes".into(),
        Value::Text("n".repeat((token % 700) as usize)),
    );
    answers.insert("minor".into(), Value::Boolean(token % 90 < 18));
    answers
}
