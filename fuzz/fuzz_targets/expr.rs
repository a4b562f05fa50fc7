//! Any text, parsed as an XLSForm expression and as a choice filter, then evaluated:
//! errors are fine, panics, hangs and stack overflows are not.
#![no_main]

use chrono::{DateTime, FixedOffset, NaiveDate};
use libfuzzer_sys::fuzz_target;
use safekeep_core::Value;
use safekeep_core::forms::expr::{Env, Expr};

struct Fixed;

impl Env for Fixed {
    fn value(&self, name: &str) -> Option<Value> {
        match name.len() % 4 {
            0 => None,
            1 => Some(Value::Integer(14)),
            2 => Some(Value::Choices(vec!["debt".into(), "threats".into()])),
            _ => Some(Value::Text("आशा".into())),
        }
    }
    fn current(&self) -> Option<Value> {
        Some(Value::Integer(7))
    }
    fn choice_label(&self, _question: &str, choice: &str) -> Option<String> {
        Some(choice.to_uppercase())
    }
    fn today(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default()
    }
    fn now(&self) -> DateTime<FixedOffset> {
        DateTime::UNIX_EPOCH.fixed_offset()
    }
    fn choice_column(&self, column: &str) -> Option<String> {
        Some(column.to_owned())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for parsed in [Expr::parse(text), Expr::parse_choice_filter(text)] {
        if let Ok(expr) = parsed {
            let _ = expr.eval(&Fixed);
        }
    }
});
