//! Typed answer values. Forms (a later module) decide which type a question takes; here
//! a value only knows its own type.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A geographic point (WGS 84), as ODK's geopoint: latitude, longitude, optional
/// altitude in metres and accuracy in metres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Degrees, -90..=90.
    pub latitude: f64,
    /// Degrees, -180..=180.
    pub longitude: f64,
    /// Metres above the ellipsoid.
    pub altitude: Option<f64>,
    /// Accuracy radius in metres.
    pub accuracy: Option<f64>,
}

/// One typed answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Free text (names, notes), any script.
    Text(String),
    /// A whole number (age in years, number of companions).
    Integer(i64),
    /// An exact decimal (amounts of money, weights).
    Decimal(Decimal),
    /// A calendar date without time zone.
    Date(NaiveDate),
    /// A moment with its UTC offset as recorded.
    DateTime(DateTime<FixedOffset>),
    /// The name of one choice from a list.
    Choice(String),
    /// Names of several choices, in the order given.
    Choices(Vec<String>),
    /// Yes or no.
    Boolean(bool),
    /// A geographic point.
    Location(Location),
}

impl Value {
    /// False for a location with a coordinate that is not a finite number: such a
    /// value never equals itself, so it is refused wherever it comes from.
    pub fn is_well_formed(&self) -> bool {
        match self {
            Value::Location(l) => [Some(l.latitude), Some(l.longitude), l.altitude, l.accuracy]
                .into_iter()
                .flatten()
                .all(f64::is_finite),
            _ => true,
        }
    }
}

/// The type of a [`Value`], used to parse text typed by a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueType {
    /// [`Value::Text`]
    Text,
    /// [`Value::Integer`]
    Integer,
    /// [`Value::Decimal`]
    Decimal,
    /// [`Value::Date`]
    Date,
    /// [`Value::DateTime`]
    DateTime,
    /// [`Value::Choice`]
    Choice,
    /// [`Value::Choices`]
    Choices,
    /// [`Value::Boolean`]
    Boolean,
    /// [`Value::Location`]
    Location,
}

/// Text that does not parse as the requested type. Carries the type, never the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {expected}: {hint}")]
pub struct InvalidValue {
    /// The type that was asked for.
    pub expected: ValueType,
    /// What the accepted form looks like.
    pub hint: &'static str,
}

impl ValueType {
    /// All types, for help texts.
    pub const ALL: [ValueType; 9] = [
        ValueType::Text,
        ValueType::Integer,
        ValueType::Decimal,
        ValueType::Date,
        ValueType::DateTime,
        ValueType::Choice,
        ValueType::Choices,
        ValueType::Boolean,
        ValueType::Location,
    ];

    /// The short name used on the command line (`age:integer=14`).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Integer => "integer",
            ValueType::Decimal => "decimal",
            ValueType::Date => "date",
            ValueType::DateTime => "datetime",
            ValueType::Choice => "choice",
            ValueType::Choices => "choices",
            ValueType::Boolean => "boolean",
            ValueType::Location => "location",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            ValueType::Text => "any text",
            ValueType::Integer => "a whole number such as 14",
            ValueType::Decimal => "a number such as 4000.50",
            ValueType::Date => "a date as YYYY-MM-DD",
            ValueType::DateTime => "an RFC 3339 time such as 2026-11-02T14:30:00+05:30",
            ValueType::Choice => "one choice name without spaces",
            ValueType::Choices => "choice names separated by commas or spaces",
            ValueType::Boolean => "true/false, yes/no or 1/0",
            ValueType::Location => "latitude,longitude[,altitude[,accuracy]]",
        }
    }

    /// Parses text typed by a person into a value of this type.
    pub fn parse(self, text: &str) -> Result<Value, InvalidValue> {
        let bad = || InvalidValue {
            expected: self,
            hint: self.hint(),
        };
        let t = text.trim();
        Ok(match self {
            ValueType::Text => Value::Text(text.to_owned()),
            ValueType::Integer => Value::Integer(t.parse().map_err(|_| bad())?),
            ValueType::Decimal => Value::Decimal(Decimal::from_str(t).map_err(|_| bad())?),
            ValueType::Date => {
                Value::Date(NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())?)
            }
            ValueType::DateTime => {
                Value::DateTime(DateTime::parse_from_rfc3339(t).map_err(|_| bad())?)
            }
            ValueType::Choice => {
                if t.is_empty() || t.contains(char::is_whitespace) {
                    return Err(bad());
                }
                Value::Choice(t.to_owned())
            }
            ValueType::Choices => Value::Choices(
                t.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            ValueType::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Boolean(true),
                "false" | "no" | "0" => Value::Boolean(false),
                _ => return Err(bad()),
            },
            ValueType::Location => {
                let parts: Vec<f64> = t
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<f64>().map_err(|_| bad()))
                    .collect::<Result<_, _>>()?;
                if !(2..=4).contains(&parts.len()) || parts.iter().any(|v| !v.is_finite()) {
                    return Err(bad());
                }
                let (latitude, longitude) = (parts[0], parts[1]);
                if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
                    return Err(bad());
                }
                Value::Location(Location {
                    latitude,
                    longitude,
                    altitude: parts.get(2).copied(),
                    accuracy: parts.get(3).copied(),
                })
            }
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ValueType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.to_ascii_lowercase();
        Ok(match s.as_str() {
            "text" | "string" => ValueType::Text,
            "int" | "integer" => ValueType::Integer,
            "decimal" | "number" => ValueType::Decimal,
            "date" => ValueType::Date,
            "datetime" => ValueType::DateTime,
            "choice" | "select_one" => ValueType::Choice,
            "choices" | "select_multiple" => ValueType::Choices,
            "bool" | "boolean" => ValueType::Boolean,
            "geo" | "location" | "geopoint" => ValueType::Location,
            _ => return Err(()),
        })
    }
}

impl Value {
    /// The type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Text(_) => ValueType::Text,
            Value::Integer(_) => ValueType::Integer,
            Value::Decimal(_) => ValueType::Decimal,
            Value::Date(_) => ValueType::Date,
            Value::DateTime(_) => ValueType::DateTime,
            Value::Choice(_) => ValueType::Choice,
            Value::Choices(_) => ValueType::Choices,
            Value::Boolean(_) => ValueType::Boolean,
            Value::Location(_) => ValueType::Location,
        }
    }
}

/// The value as a person reads it; [`ValueType::parse`] reads it back.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) | Value::Choice(s) => f.write_str(s),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::DateTime(d) => f.write_str(&d.to_rfc3339()),
            Value::Choices(c) => f.write_str(&c.join(",")),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Location(l) => {
                write!(f, "{},{}", l.latitude, l.longitude)?;
                if let Some(a) = l.altitude {
                    write!(f, ",{a}")?;
                    if let Some(acc) = l.accuracy {
                        write!(f, ",{acc}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_what_it_prints() {
        let samples = [
            (ValueType::Text, "आशा देवी"),
            (ValueType::Integer, "14"),
            (ValueType::Decimal, "30000.50"),
            (ValueType::Date, "2026-11-02"),
            (ValueType::DateTime, "2026-11-02T14:30:00+05:30"),
            (ValueType::Choice, "bonded_labour"),
            (ValueType::Choices, "debt,withheld_documents"),
            (ValueType::Boolean, "true"),
            (ValueType::Location, "19.07,72.87,11,5"),
        ];
        for (ty, text) in samples {
            let value = ty.parse(text).unwrap();
            assert_eq!(value.value_type(), ty);
            assert_eq!(ty.parse(&value.to_string()).unwrap(), value, "{ty}");
        }
    }

    #[test]
    fn bad_text_is_refused_with_a_hint_and_without_the_text() {
        let err = ValueType::Integer.parse("fourteen").unwrap_err();
        assert!(!err.to_string().contains("fourteen"));
        assert!(ValueType::Date.parse("02/11/2026").is_err());
        assert!(ValueType::Location.parse("91,10").is_err());
        assert!(ValueType::Location.parse("NaN,10").is_err());
        assert!(ValueType::Boolean.parse("maybe").is_err());
        assert!(ValueType::Choice.parse("two words").is_err());
    }
}
