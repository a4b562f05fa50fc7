//! The expression language of XLSForm: the part of XPath 1.0 that ODK Collect
//! (JavaRosa) evaluates in the `relevant`, `constraint`, `calculation`, `required` and
//! `choice_filter` columns, with XLSForm's `${name}` question references.
//!
//! An expression is parsed once, when its form is loaded ([`Expr::parse`]); the tree
//! knows which questions it reads ([`Expr::references`]), so a form that names a
//! question it does not have is refused at load time. Evaluation ([`Expr::eval`]) reads
//! answers through an [`Env`] and gives an [`XValue`].
//!
//! ```
//! use safekeep_core::forms::expr::{Env, Expr};
//! use safekeep_core::Value;
//! # use chrono::{DateTime, FixedOffset, NaiveDate};
//! struct Answers;
//! impl Env for Answers {
//!     fn value(&self, name: &str) -> Option<Value> {
//!         match name {
//!             "age" => Some(Value::Integer(14)),
//!             "exploitation" => Some(Value::Choices(vec!["bonded_labour".into()])),
//!             _ => None,
//!         }
//!     }
//!     fn current(&self) -> Option<Value> { None }
//!     fn choice_label(&self, _: &str, _: &str) -> Option<String> { None }
//!     fn today(&self) -> NaiveDate { NaiveDate::from_ymd_opt(2026, 11, 2).unwrap() }
//!     fn now(&self) -> DateTime<FixedOffset> {
//!         DateTime::parse_from_rfc3339("2026-11-02T14:30:00+05:30").unwrap()
//!     }
//! }
//! let expr = Expr::parse("${age} < 18 and selected(${exploitation}, 'bonded_labour')")?;
//! assert!(expr.eval(&Answers)?.as_bool());
//! assert_eq!(expr.references().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! As JavaRosa, so that a form behaves here as it does in ODK Collect:
//!
//! - An unanswered question is the empty string; `number('')` is NaN, and every
//!   comparison with NaN is false, so `${age} < 18` is false while age is unanswered
//!   and `${age} = ''` is true.
//! - `=` and `!=` compare as booleans when either side is a boolean, else as numbers
//!   when either side is a number (equal within 1e-12), else as text. `<`, `<=`, `>`,
//!   `>=` always compare numbers.
//! - Text becomes a number only if it holds digits, `-`, `.` (a `,` counts as a decimal
//!   point); anything else is NaN. Non-empty text is true; 0 and NaN are false.
//! - A select_multiple answer is its choice names separated by spaces.
//! - Dates are days since 1970-01-01 when used as numbers; a date-time is fractional
//!   days of its local wall-clock time (as `decimal-date-time()`). So `today() - ${dob}`
//!   is an age in days.
//! - Division by zero gives Infinity or NaN, `mod` is the remainder of truncating
//!   division, `int()` truncates toward zero, `round()` rounds the decimal form of a
//!   number with halves toward positive infinity (2.5 → 3, -2.5 → -2, 1.005 → 1.01
//!   at two places), as JavaRosa does.
//! - `if()`, `coalesce()`, `and` and `or` evaluate only what they need; `coalesce()`
//!   and `once()` treat the empty string and NaN as no value.
//! - `sum()`, `min()` and `max()` skip values that are not numbers (unanswered ones).
//! - Curly quotes (‘ ’ “ ”) count as straight ones, as pyxform replaces them.
//!
//! Where this module goes further than JavaRosa, it is where JavaRosa always answers
//! false or fails: a date compared with text in date form (`${dob} > '2000-01-01'`)
//! compares as dates, and `=` between a date and such text compares the days.
//!
//! Strings count characters (Unicode scalar values), not UTF-16 units as Java does;
//! the two differ only for characters outside the Basic Multilingual Plane.
//! `regex()` must match the whole text, as Java's `Pattern.matches` does; patterns use
//! the syntax of the `regex` crate (Perl-like, no look-around or back-references).
//!
//! # Limits
//!
//! Source text is at most [`MAX_SOURCE_BYTES`]; parentheses, function calls and unary
//! minus nest at most [`MAX_DEPTH`] deep; evaluation stops after
//! [`DEFAULT_STEP_BUDGET`] steps and never builds text longer than [`MAX_TEXT_BYTES`].
//! Parsing and evaluation never panic, whatever the input.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Timelike,
};
use regex::{Regex, RegexBuilder};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::records::Value;

/// The longest expression accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024;

/// How deep parentheses, function calls and unary minus may nest.
pub const MAX_DEPTH: usize = 64;

/// Evaluation steps (one per node visited, one per value of a repeated question) that
/// [`Expr::eval`] allows before it gives up with [`EvalErrorKind::StepLimit`].
pub const DEFAULT_STEP_BUDGET: u64 = 100_000;

/// The longest text that `concat()`, `join()` or `uuid()` may build, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Compiled size limit of one `regex()` pattern, in bytes.
const REGEX_SIZE_LIMIT: usize = 1024 * 1024;
/// Lazy-DFA cache limit of one `regex()` pattern, in bytes.
const REGEX_DFA_LIMIT: usize = 2 * 1024 * 1024;
/// How deeply a `regex()` pattern may nest groups and repetitions.
const REGEX_NEST_LIMIT: u32 = 64;

const MS_PER_DAY: f64 = 86_400_000.0;

/// 1970-01-01T00:00:00, the origin of day numbers.
const EPOCH: NaiveDateTime = DateTime::UNIX_EPOCH.naive_utc();

// ---------------------------------------------------------------------------------------
// The environment and values
// ---------------------------------------------------------------------------------------

/// What an expression can read: answers, the question being evaluated, choice labels
/// and the clock. The form engine implements it; tests implement it with fixed values.
pub trait Env {
    /// The answer to question `name`; `None` while it is unanswered.
    fn value(&self, name: &str) -> Option<Value>;

    /// The answer to the question the expression belongs to (`.` in a constraint).
    fn current(&self) -> Option<Value>;

    /// The label of choice `choice` of question `question` in the user's language
    /// (for `jr:choice-name()`).
    fn choice_label(&self, question: &str, choice: &str) -> Option<String>;

    /// Today's date where the device is (for `today()`).
    fn today(&self) -> NaiveDate;

    /// The current moment with the device's UTC offset (for `now()`, and the offset
    /// given to date-times read from text without one).
    fn now(&self) -> DateTime<FixedOffset>;

    /// Every value of question `name`, one per repeat instance, for `count()`, `sum()`,
    /// `count-non-empty()`, and `min()`, `max()`, `concat()`, `join()` over a repeat.
    /// A question outside any repeat has one value, which this default gives.
    fn values(&self, name: &str) -> Vec<Option<Value>> {
        vec![self.value(name)]
    }

    /// Column `column` of the choice being filtered, for the bare names of a
    /// `choice_filter` ([`Expr::parse_choice_filter`]): `name`, or an extra column of
    /// the choices sheet. `None` (the default) reads as the empty string.
    fn choice_column(&self, _column: &str) -> Option<String> {
        None
    }
}

/// A value inside an expression: XPath's string, number and boolean, plus the dates
/// that ODK adds.
#[derive(Clone, Debug, PartialEq)]
pub enum XValue {
    /// Text; the empty string is also an unanswered question.
    String(String),
    /// A number (XPath has one number type, a double).
    Number(f64),
    /// True or false.
    Boolean(bool),
    /// A calendar date.
    Date(NaiveDate),
    /// A moment with its UTC offset.
    DateTime(DateTime<FixedOffset>),
}

impl XValue {
    /// The empty string: the value of an unanswered question.
    pub fn empty() -> XValue {
        XValue::String(String::new())
    }

    /// XPath's `boolean()`: non-empty text, a number other than 0 and NaN, and every
    /// date are true.
    pub fn as_bool(&self) -> bool {
        match self {
            XValue::String(s) => !s.is_empty(),
            XValue::Number(n) => n.abs() > 1e-12,
            XValue::Boolean(b) => *b,
            XValue::Date(_) | XValue::DateTime(_) => true,
        }
    }

    /// XPath's `number()`: text of digits, `-` and `.` (or `,`) is read, anything
    /// else is NaN; true is 1; a date is its days since 1970-01-01; a date-time its
    /// fractional days (local wall-clock time).
    pub fn as_number(&self) -> f64 {
        match self {
            XValue::String(s) => text_to_number(s),
            XValue::Number(n) => *n,
            XValue::Boolean(b) => f64::from(u8::from(*b)),
            XValue::Date(d) => f64::from(d.to_epoch_days()),
            XValue::DateTime(t) => decimal_days(t),
        }
    }

    /// XPath's `string()`: numbers without exponent (`14`, `0.5`, `NaN`, `Infinity`),
    /// `true`/`false`, dates as `2026-11-02`, date-times as
    /// `2026-11-02T14:30:00.000+05:30` (as ODK stores them).
    pub fn as_string(&self) -> String {
        match self {
            XValue::String(s) => s.clone(),
            XValue::Number(n) => number_to_text(*n),
            XValue::Boolean(b) => b.to_string(),
            XValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            XValue::DateTime(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        }
    }

    /// Whether this is "no value" as `coalesce()` and `once()` see it: the empty
    /// string or NaN.
    pub fn is_empty(&self) -> bool {
        match self {
            XValue::String(s) => s.is_empty(),
            XValue::Number(n) => n.is_nan(),
            _ => false,
        }
    }
}

impl fmt::Display for XValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

/// An answer as an expression sees it: text and choices as text (several choices
/// separated by spaces), numbers as numbers, a location as ODK's
/// `latitude longitude altitude accuracy`.
impl From<Value> for XValue {
    fn from(value: Value) -> XValue {
        match value {
            Value::Text(s) | Value::Choice(s) => XValue::String(s),
            Value::Integer(i) => XValue::Number(i as f64),
            Value::Decimal(d) => XValue::Number(d.to_f64().unwrap_or(f64::NAN)),
            Value::Date(d) => XValue::Date(d),
            Value::DateTime(t) => XValue::DateTime(t),
            Value::Choices(c) => XValue::String(c.join(" ")),
            Value::Boolean(b) => XValue::Boolean(b),
            Value::Location(l) => {
                let mut s = format!("{} {}", l.latitude, l.longitude);
                if let Some(a) = l.altitude {
                    s.push_str(&format!(" {a}"));
                    if let Some(acc) = l.accuracy {
                        s.push_str(&format!(" {acc}"));
                    }
                }
                XValue::String(s)
            }
        }
    }
}

/// As `From<Value>`.
impl From<&Value> for XValue {
    fn from(value: &Value) -> XValue {
        XValue::from(value.clone())
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// An expression that cannot be parsed, with where the problem is. Expressions are
/// form definitions, not personal data, so the message may quote them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {kind}")]
pub struct ExprError {
    /// What is wrong.
    pub kind: ExprErrorKind,
    /// Byte offset of the problem in the source.
    pub offset: usize,
    /// 1-based character position of the problem, for people.
    pub column: usize,
}

/// What is wrong with an expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprErrorKind {
    /// Longer than [`MAX_SOURCE_BYTES`].
    #[error("the expression is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Length of the source in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nothing but spaces.
    #[error("the expression is empty")]
    Empty,
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("parentheses, function calls and minus signs nest more than {max} deep")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A character that no token starts with.
    #[error("unexpected character `{found}`{hint}")]
    UnexpectedChar {
        /// The character.
        found: char,
        /// A suggestion, empty or starting with `; `.
        hint: &'static str,
    },
    /// A string literal without its closing quote.
    #[error("the text starting here has no closing {quote}")]
    UnterminatedString {
        /// The quote that opened it.
        quote: char,
    },
    /// `${` without `}`.
    #[error("`${{` has no closing `}}`")]
    UnterminatedReference,
    /// `${…}` around something that is not a question name.
    #[error("`${{{text}}}` is not a question name")]
    BadReference {
        /// What was between the braces (shortened).
        text: String,
    },
    /// A number that cannot be read.
    #[error("`{text}` is not a number")]
    BadNumber {
        /// The digits.
        text: String,
    },
    /// A token where another was expected.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What would have been valid.
        expected: &'static str,
        /// The token found, quoted, or "the end of the expression".
        found: String,
    },
    /// A name that is neither a function call nor (in a choice filter) a column.
    #[error(
        "`{name}` alone is not a value: write ${{{name}}} for a question, '{name}' for text, \
         or {name}() for a function"
    )]
    BareName {
        /// The name.
        name: String,
    },
    /// A function that ODK does not have.
    #[error("unknown function `{name}()`")]
    UnknownFunction {
        /// The name as written.
        name: String,
    },
    /// An ODK function that Safekeep does not evaluate.
    #[error("function `{name}()` is not supported: {reason}")]
    UnsupportedFunction {
        /// The name as written.
        name: String,
        /// Why, and what to write instead where there is something.
        reason: &'static str,
    },
    /// A call with too few or too many arguments.
    #[error("`{name}()` takes {expected} argument(s), not {found}")]
    WrongArgumentCount {
        /// The function.
        name: &'static str,
        /// How many it takes.
        expected: Arity,
        /// How many were given.
        found: usize,
    },
    /// An argument of the wrong shape (checked where the shape is known at parse time).
    #[error("`{function}()`: {problem}")]
    BadArgument {
        /// The function.
        function: &'static str,
        /// What the argument must be.
        problem: &'static str,
    },
    /// XPath syntax that ODK forms may use but Safekeep does not (paths, predicates…).
    #[error("{what} are not supported; {hint}")]
    UnsupportedSyntax {
        /// The construct.
        what: &'static str,
        /// What to write instead.
        hint: &'static str,
    },
    /// A literal `regex()` pattern that does not compile.
    #[error("invalid regular expression: {reason}")]
    BadRegex {
        /// The regex compiler's explanation.
        reason: String,
    },
}

/// How many arguments a function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many.
    Exactly(usize),
    /// From the first to the second, inclusive.
    Between(usize, usize),
    /// This many or more.
    AtLeast(usize),
    /// An even number, this many or more (`weighted-checklist`).
    EvenAtLeast(usize),
}

impl Arity {
    fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exactly(k) => n == k,
            Arity::Between(lo, hi) => (lo..=hi).contains(&n),
            Arity::AtLeast(k) => n >= k,
            Arity::EvenAtLeast(k) => n >= k && n.is_multiple_of(2),
        }
    }
}

impl fmt::Display for Arity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Arity::Exactly(k) => write!(f, "{k}"),
            Arity::Between(lo, hi) if hi == lo + 1 => write!(f, "{lo} or {hi}"),
            Arity::Between(lo, hi) => write!(f, "{lo} to {hi}"),
            Arity::AtLeast(k) => write!(f, "at least {k}"),
            Arity::EvenAtLeast(k) => write!(f, "an even number (at least {k}) of"),
        }
    }
}

/// An evaluation that could not finish. Carries no answer values (they are personal
/// data), only the function and where it is in the expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {kind}")]
pub struct EvalError {
    /// What went wrong.
    pub kind: EvalErrorKind,
    /// Byte offset of the failing part of the expression.
    pub offset: usize,
    /// 1-based character position of the failing part.
    pub column: usize,
}

/// What went wrong while evaluating.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalErrorKind {
    /// The step budget ran out.
    #[error("evaluation needs more than {limit} steps")]
    StepLimit {
        /// The budget.
        limit: u64,
    },
    /// A function would build text longer than [`MAX_TEXT_BYTES`].
    #[error("`{function}()` would make text longer than {limit} bytes")]
    TextTooLong {
        /// The function.
        function: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A `regex()` pattern computed at evaluation time does not compile.
    #[error("`regex()`: the pattern is not a valid regular expression, or is too large")]
    InvalidRegex,
    /// A value that cannot be read as a date.
    #[error("`{function}()`: the value cannot be read as a date")]
    NotADate {
        /// The function.
        function: &'static str,
    },
    /// A date or number of days outside the calendar's range.
    #[error("`{function}()`: the date is out of range")]
    DateOutOfRange {
        /// The function.
        function: &'static str,
    },
    /// The operating system gave no random bytes.
    #[error("`{function}()`: no random numbers are available")]
    Random {
        /// The function.
        function: &'static str,
    },
}

// ---------------------------------------------------------------------------------------
// The parsed expression
// ---------------------------------------------------------------------------------------

/// A parsed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    source: String,
    root: Node,
    references: BTreeSet<String>,
    columns: BTreeSet<String>,
    uses_current: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Question,
    ChoiceFilter,
}

impl Expr {
    /// Parses an expression of a `relevant`, `constraint`, `calculation`, `required`
    /// or `default` column. Function names and argument counts are checked here;
    /// whether the questions exist is the form loader's check, on
    /// [`references`](Self::references).
    pub fn parse(source: &str) -> Result<Expr, ExprError> {
        parse(source, Mode::Question)
    }

    /// Parses a `choice_filter`, where a bare name (`zone = ${zone}`) is a column of
    /// the choice being filtered, read through [`Env::choice_column`], and listed by
    /// [`choice_columns`](Self::choice_columns).
    pub fn parse_choice_filter(source: &str) -> Result<Expr, ExprError> {
        parse(source, Mode::ChoiceFilter)
    }

    /// The text this was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The names of the questions this reads (`${name}`, and the question named in
    /// `jr:choice-name()`), sorted, each once.
    pub fn references(&self) -> &BTreeSet<String> {
        &self.references
    }

    /// The choice columns a choice filter reads (always empty for [`Expr::parse`]).
    pub fn choice_columns(&self) -> &BTreeSet<String> {
        &self.columns
    }

    /// Whether this reads the current question's value: `.`, `once()`, or
    /// `string-length()`/`normalize-space()` without an argument.
    pub fn uses_current(&self) -> bool {
        self.uses_current
    }

    /// Evaluates with the [`DEFAULT_STEP_BUDGET`].
    pub fn eval<E: Env + ?Sized>(&self, env: &E) -> Result<XValue, EvalError> {
        self.eval_with_budget(env, DEFAULT_STEP_BUDGET)
    }

    /// Evaluates, giving up with [`EvalErrorKind::StepLimit`] after `max_steps` steps.
    pub fn eval_with_budget<E: Env + ?Sized>(
        &self,
        env: &E,
        max_steps: u64,
    ) -> Result<XValue, EvalError> {
        let mut ev = Evaluator {
            env,
            steps: 0,
            limit: max_steps,
        };
        ev.eval(&self.root).map_err(|(offset, kind)| EvalError {
            kind,
            offset,
            column: column_of(&self.source, offset),
        })
    }
}

/// The source text.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn column_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(1, |s| s.chars().count() + 1)
}

// ---------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Number(f64),
    Literal(String),
    Ref(String),
    Name(String),
    Var,
    Dot,
    DotDot,
    Slash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Pipe,
    At,
    Axis,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    End,
}

#[derive(Clone, Debug)]
struct Token {
    at: usize,
    end: usize,
    tok: Tok,
}

type Fail<K> = (usize, K);

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}')
}

fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}')
}

/// First character of an XML name: a letter or `_` (any non-ASCII letter too).
fn is_name_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

/// Later characters of an XML name: also digits, `-`, `.`, and non-ASCII marks.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '_' | '-' | '.')
        || (!c.is_ascii()
            && !c.is_whitespace()
            && !c.is_control()
            && !is_single_quote(c)
            && !is_double_quote(c))
}

fn is_question_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(is_name_start) && cs.all(is_name_char)
}

fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

struct Lexer<'s> {
    src: &'s str,
    chars: Vec<(usize, char)>,
    i: usize,
}

impl Lexer<'_> {
    fn ch(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c)| c)
    }

    fn offset(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.src.len(), |&(o, _)| o)
    }

    fn name_from(&mut self) -> String {
        let start = self.offset(self.i);
        self.i += 1;
        while self.ch(self.i).is_some_and(is_name_char) {
            self.i += 1;
        }
        self.src[start..self.offset(self.i)].to_owned()
    }

    fn tokens(mut self) -> Result<Vec<Token>, Fail<ExprErrorKind>> {
        let mut out = Vec::new();
        while let Some(c) = self.ch(self.i) {
            let at = self.offset(self.i);
            let next = self.ch(self.i + 1);
            let single = |tok| (tok, 1);
            let (tok, len) = match c {
                c if is_space(c) => {
                    self.i += 1;
                    continue;
                }
                '(' => single(Tok::LParen),
                ')' => single(Tok::RParen),
                '[' => single(Tok::LBracket),
                ']' => single(Tok::RBracket),
                ',' => single(Tok::Comma),
                '+' => single(Tok::Plus),
                '-' => single(Tok::Minus),
                '*' => single(Tok::Star),
                '@' => single(Tok::At),
                '=' if next == Some('=') => {
                    return Err((
                        at,
                        ExprErrorKind::UnexpectedChar {
                            found: '=',
                            hint: "; `==` is written `=` in XPath",
                        },
                    ));
                }
                '=' => single(Tok::Eq),
                '!' if next == Some('=') => (Tok::Neq, 2),
                '!' => {
                    return Err((
                        at,
                        ExprErrorKind::UnexpectedChar {
                            found: '!',
                            hint: "; negation is written not(…)",
                        },
                    ));
                }
                '<' if next == Some('=') => (Tok::Le, 2),
                '<' => single(Tok::Lt),
                '>' if next == Some('=') => (Tok::Ge, 2),
                '>' => single(Tok::Gt),
                '|' if next == Some('|') => {
                    return Err((
                        at,
                        ExprErrorKind::UnexpectedChar {
                            found: '|',
                            hint: "; `||` is written `or`",
                        },
                    ));
                }
                '|' => single(Tok::Pipe),
                '&' => {
                    return Err((
                        at,
                        ExprErrorKind::UnexpectedChar {
                            found: '&',
                            hint: "; `&&` is written `and`",
                        },
                    ));
                }
                ':' if next == Some(':') => (Tok::Axis, 2),
                '/' if next == Some('/') => (Tok::Slash, 2),
                '/' => single(Tok::Slash),
                '.' if next.is_some_and(|n| n.is_ascii_digit()) => {
                    out.push(self.number()?);
                    continue;
                }
                '.' if next == Some('.') => (Tok::DotDot, 2),
                '.' => single(Tok::Dot),
                '0'..='9' => {
                    out.push(self.number()?);
                    continue;
                }
                c if is_single_quote(c) || is_double_quote(c) => {
                    out.push(self.literal(c)?);
                    continue;
                }
                '$' if next == Some('{') => {
                    out.push(self.reference()?);
                    continue;
                }
                '$' if next.is_some_and(is_name_start) => {
                    self.i += 1;
                    self.name_from();
                    out.push(Token {
                        at,
                        end: self.offset(self.i),
                        tok: Tok::Var,
                    });
                    continue;
                }
                c if is_name_start(c) => {
                    let mut name = self.name_from();
                    // A QName: prefix:local (jr:choice-name), but not an axis (a::b).
                    if self.ch(self.i) == Some(':')
                        && self.ch(self.i + 1).is_some_and(is_name_start)
                    {
                        self.i += 1;
                        name.push(':');
                        name.push_str(&self.name_from());
                    }
                    out.push(Token {
                        at,
                        end: self.offset(self.i),
                        tok: Tok::Name(name),
                    });
                    continue;
                }
                other => {
                    return Err((
                        at,
                        ExprErrorKind::UnexpectedChar {
                            found: other,
                            hint: "",
                        },
                    ));
                }
            };
            self.i += len;
            out.push(Token {
                at,
                end: self.offset(self.i),
                tok,
            });
        }
        out.push(Token {
            at: self.src.len(),
            end: self.src.len(),
            tok: Tok::End,
        });
        Ok(out)
    }

    fn number(&mut self) -> Result<Token, Fail<ExprErrorKind>> {
        let at = self.offset(self.i);
        while self.ch(self.i).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if self.ch(self.i) == Some('.') && self.ch(self.i + 1) != Some('.') {
            self.i += 1;
            while self.ch(self.i).is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        let end = self.offset(self.i);
        let text = &self.src[at..end];
        match text.parse::<f64>() {
            Ok(n) => Ok(Token {
                at,
                end,
                tok: Tok::Number(n),
            }),
            Err(_) => Err((
                at,
                ExprErrorKind::BadNumber {
                    text: shorten(text),
                },
            )),
        }
    }

    /// A string literal. Curly quotes count as straight ones, as pyxform replaces
    /// them in every cell before anything else reads it.
    fn literal(&mut self, open: char) -> Result<Token, Fail<ExprErrorKind>> {
        let at = self.offset(self.i);
        let closes: fn(char) -> bool = if is_single_quote(open) {
            is_single_quote
        } else {
            is_double_quote
        };
        self.i += 1;
        let mut text = String::new();
        loop {
            match self.ch(self.i) {
                None => {
                    let quote = if is_single_quote(open) { '\'' } else { '"' };
                    return Err((at, ExprErrorKind::UnterminatedString { quote }));
                }
                Some(c) if closes(c) => {
                    self.i += 1;
                    break;
                }
                Some(c) => {
                    text.push(if is_single_quote(c) {
                        '\''
                    } else if is_double_quote(c) {
                        '"'
                    } else {
                        c
                    });
                    self.i += 1;
                }
            }
        }
        Ok(Token {
            at,
            end: self.offset(self.i),
            tok: Tok::Literal(text),
        })
    }

    fn reference(&mut self) -> Result<Token, Fail<ExprErrorKind>> {
        let at = self.offset(self.i);
        self.i += 2;
        let start = self.i;
        while self.ch(self.i).is_some_and(|c| c != '}') {
            self.i += 1;
        }
        if self.ch(self.i).is_none() {
            return Err((at, ExprErrorKind::UnterminatedReference));
        }
        let name = &self.src[self.offset(start)..self.offset(self.i)];
        self.i += 1;
        if name.starts_with("last-saved#") {
            return Err((
                at,
                ExprErrorKind::UnsupportedSyntax {
                    what: "`${last-saved#…}` references",
                    hint: "they read another submission, which expressions cannot",
                },
            ));
        }
        if !is_question_name(name) {
            return Err((
                at,
                ExprErrorKind::BadReference {
                    text: shorten(name),
                },
            ));
        }
        Ok(Token {
            at,
            end: self.offset(self.i),
            tok: Tok::Ref(name.to_owned()),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Syntax tree and functions
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Node {
    at: usize,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Number(f64),
    Literal(String),
    Ref(String),
    Column(String),
    Current,
    Neg(Box<Node>),
    Or(Vec<Node>),
    And(Vec<Node>),
    /// Left-associative operators of one precedence level, kept flat so that a long
    /// `a + b + c + …` is not a deep tree.
    Chain(Box<Node>, Vec<(Op, Node)>),
    Call(Func, Vec<Node>),
    Regex(Box<Node>, Pattern),
    ChoiceName(Box<Node>, String),
}

#[derive(Clone, Debug)]
enum Pattern {
    Fixed(Box<Regex>),
    Dynamic(Box<Node>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A binary operator while parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Binary {
    Or,
    And,
    Op(Op),
}

impl Binary {
    /// XPath 1.0: or < and < (=, !=) < (<, <=, >, >=) < (+, -) < (*, div, mod).
    fn precedence(self) -> u8 {
        match self {
            Binary::Or => 1,
            Binary::And => 2,
            Binary::Op(op) => op.precedence(),
        }
    }
}

impl Op {
    fn precedence(self) -> u8 {
        match self {
            Op::Eq | Op::Neq => 3,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => 4,
            Op::Add | Op::Sub => 5,
            Op::Mul | Op::Div | Op::Mod => 6,
        }
    }
}

/// Pops an operator and its two operands and pushes their node. All operators are
/// left-associative, so a left operand of the same level is extended, not nested.
fn reduce(operands: &mut Vec<Node>, ops: &mut Vec<Binary>) {
    let (Some(op), Some(rhs), Some(lhs)) = (ops.pop(), operands.pop(), operands.pop()) else {
        return;
    };
    let at = lhs.at;
    let kind = match (op, lhs.kind) {
        (Binary::Or, Kind::Or(mut items)) | (Binary::And, Kind::And(mut items)) => {
            items.push(rhs);
            if op == Binary::Or {
                Kind::Or(items)
            } else {
                Kind::And(items)
            }
        }
        (Binary::Or, kind) => Kind::Or(vec![Node { at, kind }, rhs]),
        (Binary::And, kind) => Kind::And(vec![Node { at, kind }, rhs]),
        (Binary::Op(o), Kind::Chain(first, mut rest))
            if rest
                .first()
                .is_some_and(|(p, _)| p.precedence() == o.precedence()) =>
        {
            rest.push((o, rhs));
            Kind::Chain(first, rest)
        }
        (Binary::Op(o), kind) => Kind::Chain(Box::new(Node { at, kind }), vec![(o, rhs)]),
    };
    operands.push(Node { at, kind });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    True,
    False,
    Not,
    Boolean,
    BooleanFromString,
    Number,
    String,
    Int,
    Round,
    Abs,
    Floor,
    Ceiling,
    Pow,
    Sqrt,
    Exp,
    Exp10,
    Log,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Pi,
    Random,
    Uuid,
    Selected,
    CountSelected,
    SelectedAt,
    StringLength,
    NormalizeSpace,
    Contains,
    StartsWith,
    EndsWith,
    Substr,
    SubstringBefore,
    SubstringAfter,
    Translate,
    Concat,
    Join,
    Coalesce,
    If,
    Once,
    Today,
    Now,
    Date,
    DateTime,
    DecimalDateTime,
    DecimalTime,
    FormatDate,
    Count,
    CountNonEmpty,
    Sum,
    Min,
    Max,
    Checklist,
    WeightedChecklist,
    Regex,
    ChoiceName,
}

struct Spec {
    name: &'static str,
    func: Func,
    arity: Arity,
}

const fn spec(name: &'static str, func: Func, arity: Arity) -> Spec {
    Spec { name, func, arity }
}

/// Every function the evaluator knows, with its argument count.
const FUNCTIONS: &[Spec] = &[
    spec("true", Func::True, Arity::Exactly(0)),
    spec("false", Func::False, Arity::Exactly(0)),
    spec("not", Func::Not, Arity::Exactly(1)),
    spec("boolean", Func::Boolean, Arity::Exactly(1)),
    spec(
        "boolean-from-string",
        Func::BooleanFromString,
        Arity::Exactly(1),
    ),
    spec("number", Func::Number, Arity::Exactly(1)),
    spec("string", Func::String, Arity::Exactly(1)),
    spec("int", Func::Int, Arity::Exactly(1)),
    spec("round", Func::Round, Arity::Between(1, 2)),
    spec("abs", Func::Abs, Arity::Exactly(1)),
    spec("floor", Func::Floor, Arity::Exactly(1)),
    spec("ceiling", Func::Ceiling, Arity::Exactly(1)),
    spec("pow", Func::Pow, Arity::Exactly(2)),
    spec("sqrt", Func::Sqrt, Arity::Exactly(1)),
    spec("exp", Func::Exp, Arity::Exactly(1)),
    spec("exp10", Func::Exp10, Arity::Exactly(1)),
    spec("log", Func::Log, Arity::Exactly(1)),
    spec("log10", Func::Log10, Arity::Exactly(1)),
    spec("sin", Func::Sin, Arity::Exactly(1)),
    spec("cos", Func::Cos, Arity::Exactly(1)),
    spec("tan", Func::Tan, Arity::Exactly(1)),
    spec("asin", Func::Asin, Arity::Exactly(1)),
    spec("acos", Func::Acos, Arity::Exactly(1)),
    spec("atan", Func::Atan, Arity::Exactly(1)),
    spec("atan2", Func::Atan2, Arity::Exactly(2)),
    spec("pi", Func::Pi, Arity::Exactly(0)),
    spec("random", Func::Random, Arity::Exactly(0)),
    spec("uuid", Func::Uuid, Arity::Between(0, 1)),
    spec("selected", Func::Selected, Arity::Exactly(2)),
    spec("is-selected", Func::Selected, Arity::Exactly(2)),
    spec("count-selected", Func::CountSelected, Arity::Exactly(1)),
    spec("selected-at", Func::SelectedAt, Arity::Exactly(2)),
    spec("string-length", Func::StringLength, Arity::Between(0, 1)),
    spec(
        "normalize-space",
        Func::NormalizeSpace,
        Arity::Between(0, 1),
    ),
    spec("contains", Func::Contains, Arity::Exactly(2)),
    spec("starts-with", Func::StartsWith, Arity::Exactly(2)),
    spec("ends-with", Func::EndsWith, Arity::Exactly(2)),
    spec("substr", Func::Substr, Arity::Between(2, 3)),
    spec("substring-before", Func::SubstringBefore, Arity::Exactly(2)),
    spec("substring-after", Func::SubstringAfter, Arity::Exactly(2)),
    spec("translate", Func::Translate, Arity::Exactly(3)),
    spec("concat", Func::Concat, Arity::AtLeast(0)),
    spec("join", Func::Join, Arity::AtLeast(1)),
    spec("coalesce", Func::Coalesce, Arity::Exactly(2)),
    spec("if", Func::If, Arity::Exactly(3)),
    spec("once", Func::Once, Arity::Exactly(1)),
    spec("today", Func::Today, Arity::Exactly(0)),
    spec("now", Func::Now, Arity::Exactly(0)),
    spec("date", Func::Date, Arity::Exactly(1)),
    spec("date-time", Func::DateTime, Arity::Exactly(1)),
    spec(
        "decimal-date-time",
        Func::DecimalDateTime,
        Arity::Exactly(1),
    ),
    spec("decimal-time", Func::DecimalTime, Arity::Exactly(1)),
    spec("format-date", Func::FormatDate, Arity::Exactly(2)),
    spec("format-date-time", Func::FormatDate, Arity::Exactly(2)),
    spec("count", Func::Count, Arity::Exactly(1)),
    spec("count-non-empty", Func::CountNonEmpty, Arity::Exactly(1)),
    spec("sum", Func::Sum, Arity::Exactly(1)),
    spec("min", Func::Min, Arity::AtLeast(1)),
    spec("max", Func::Max, Arity::AtLeast(1)),
    spec("checklist", Func::Checklist, Arity::AtLeast(2)),
    spec(
        "weighted-checklist",
        Func::WeightedChecklist,
        Arity::EvenAtLeast(2),
    ),
    spec("regex", Func::Regex, Arity::Exactly(2)),
    spec("jr:choice-name", Func::ChoiceName, Arity::Exactly(2)),
];

/// ODK functions that Safekeep recognizes but does not evaluate, with the reason
/// given in the parse error.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "pulldata",
        "it reads a CSV file attached to the form, and Safekeep forms carry no such files",
    ),
    (
        "instance",
        "secondary instances (choice lists and files queried from expressions) are not supported",
    ),
    (
        "current",
        "it only serves instance() queries, which are not supported",
    ),
    (
        "position",
        "expressions cannot see which repeat instance they are in",
    ),
    (
        "indexed-repeat",
        "expressions cannot read a given instance of a repeat; use count(), sum(), min(), max() or join() over the repeated question",
    ),
    (
        "last",
        "expressions cannot see which repeat instance they are in",
    ),
    ("randomize", "choices are always shown in the form's order"),
    ("digest", "hashing is not available to expressions"),
    ("base64-decode", "decoding is not available to expressions"),
    (
        "extract-signed",
        "signed values are not available to expressions",
    ),
    ("area", "geoshape and geotrace questions are not supported"),
    (
        "enclosed-area",
        "geoshape and geotrace questions are not supported",
    ),
    (
        "distance",
        "geoshape and geotrace questions are not supported",
    ),
    (
        "geofence",
        "geoshape and geotrace questions are not supported",
    ),
    (
        "version",
        "the form version is not available to expressions",
    ),
    (
        "property",
        "device properties are not available to expressions",
    ),
    (
        "jr:itext",
        "labels are chosen by the form, not by expressions",
    ),
    (
        "depend",
        "it is a JavaRosa internal; write the expression itself",
    ),
    ("name", "XPath node functions are not supported"),
    ("local-name", "XPath node functions are not supported"),
    ("namespace-uri", "XPath node functions are not supported"),
    ("lang", "XPath node functions are not supported"),
    ("id", "XPath node functions are not supported"),
    (
        "substring",
        "ODK has substr(text, start, end) instead, which counts from 0",
    ),
];

fn lookup(name: &str) -> Option<&'static Spec> {
    FUNCTIONS.iter().find(|s| s.name == name)
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

fn parse(source: &str, mode: Mode) -> Result<Expr, ExprError> {
    let err = |(offset, kind): Fail<ExprErrorKind>| ExprError {
        kind,
        offset,
        column: column_of(source, offset),
    };
    if source.len() > MAX_SOURCE_BYTES {
        return Err(err((
            0,
            ExprErrorKind::TooLong {
                len: source.len(),
                max: MAX_SOURCE_BYTES,
            },
        )));
    }
    let lexer = Lexer {
        src: source,
        chars: source.char_indices().collect(),
        i: 0,
    };
    let toks = lexer.tokens().map_err(err)?;
    if toks.len() <= 1 {
        return Err(err((0, ExprErrorKind::Empty)));
    }
    let mut p = Parser {
        src: source,
        toks: &toks,
        pos: 0,
        mode,
        references: BTreeSet::new(),
        columns: BTreeSet::new(),
        uses_current: false,
    };
    let root = p.expr(0).map_err(err)?;
    if p.peek() != &Tok::End {
        return Err(err(
            p.unexpected("an operator, `)` or the end of the expression")
        ));
    }
    Ok(Expr {
        source: source.to_owned(),
        root,
        references: p.references,
        columns: p.columns,
        uses_current: p.uses_current,
    })
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    mode: Mode,
    references: BTreeSet<String>,
    columns: BTreeSet<String>,
    uses_current: bool,
}

type PResult<T> = Result<T, Fail<ExprErrorKind>>;

impl<'a> Parser<'a> {
    fn token(&self) -> Option<&'a Token> {
        self.toks.get(self.pos).or_else(|| self.toks.last())
    }

    fn peek(&self) -> &'a Tok {
        self.token().map_or(&Tok::End, |t| &t.tok)
    }

    fn peek_at(&self, ahead: usize) -> &'a Tok {
        self.toks
            .get(self.pos + ahead)
            .map_or(&Tok::End, |t| &t.tok)
    }

    fn at(&self) -> usize {
        self.token().map_or(self.src.len(), |t| t.at)
    }

    fn unexpected(&self, expected: &'static str) -> Fail<ExprErrorKind> {
        let found = match self.token() {
            Some(Token { tok: Tok::End, .. }) | None => "the end of the expression".to_owned(),
            Some(t) => format!(
                "`{}`",
                shorten(self.src.get(t.at..t.end).unwrap_or_default())
            ),
        };
        (self.at(), ExprErrorKind::Unexpected { expected, found })
    }

    fn deeper(&self, depth: usize, at: usize) -> PResult<usize> {
        if depth >= MAX_DEPTH {
            Err((at, ExprErrorKind::TooDeep { max: MAX_DEPTH }))
        } else {
            Ok(depth + 1)
        }
    }

    /// A full expression: operands joined by binary operators, grouped by precedence
    /// with an explicit operator stack (shunting-yard), so that only parentheses and
    /// calls recurse, and a run of one precedence level becomes one flat node.
    fn expr(&mut self, depth: usize) -> PResult<Node> {
        let mut operands = vec![self.operand(depth)?];
        let mut ops: Vec<Binary> = Vec::new();
        while let Some(op) = self.binary_op() {
            self.pos += 1;
            while ops
                .last()
                .is_some_and(|top| top.precedence() >= op.precedence())
            {
                reduce(&mut operands, &mut ops);
            }
            ops.push(op);
            operands.push(self.operand(depth)?);
        }
        while !ops.is_empty() {
            reduce(&mut operands, &mut ops);
        }
        match (operands.pop(), operands.is_empty()) {
            (Some(node), true) => Ok(node),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn binary_op(&self) -> Option<Binary> {
        Some(match self.peek() {
            Tok::Name(n) if n == "or" => Binary::Or,
            Tok::Name(n) if n == "and" => Binary::And,
            Tok::Name(n) if n == "div" => Binary::Op(Op::Div),
            Tok::Name(n) if n == "mod" => Binary::Op(Op::Mod),
            Tok::Star => Binary::Op(Op::Mul),
            Tok::Plus => Binary::Op(Op::Add),
            Tok::Minus => Binary::Op(Op::Sub),
            Tok::Eq => Binary::Op(Op::Eq),
            Tok::Neq => Binary::Op(Op::Neq),
            Tok::Lt => Binary::Op(Op::Lt),
            Tok::Le => Binary::Op(Op::Le),
            Tok::Gt => Binary::Op(Op::Gt),
            Tok::Ge => Binary::Op(Op::Ge),
            _ => return None,
        })
    }

    /// Unary minus signs, a primary, and a check that no path or predicate follows.
    fn operand(&mut self, depth: usize) -> PResult<Node> {
        let mut minus = Vec::new();
        let mut depth = depth;
        while self.peek() == &Tok::Minus {
            depth = self.deeper(depth, self.at())?;
            minus.push(self.at());
            self.pos += 1;
        }
        let mut node = self.primary(depth)?;
        self.after_operand()?;
        for at in minus.into_iter().rev() {
            node = Node {
                at,
                kind: Kind::Neg(Box::new(node)),
            };
        }
        Ok(node)
    }

    fn unsupported_path(&self) -> Fail<ExprErrorKind> {
        (
            self.at(),
            ExprErrorKind::UnsupportedSyntax {
                what: "XPath paths (`/`, `..`)",
                hint: "refer to questions as ${name}",
            },
        )
    }

    /// Paths, predicates, axes and unions cannot follow an operand.
    #[inline(never)]
    fn after_operand(&self) -> PResult<()> {
        let unsupported =
            |what, hint| Err((self.at(), ExprErrorKind::UnsupportedSyntax { what, hint }));
        let by_name = "refer to questions as ${name}";
        match self.peek() {
            Tok::Slash => unsupported("XPath paths (`/`, `..`)", by_name),
            Tok::LBracket => unsupported("predicates `[…]`", by_name),
            Tok::Axis => unsupported("XPath axes `::`", by_name),
            Tok::Pipe => unsupported("unions `|`", "combine conditions with `or`"),
            _ => Ok(()),
        }
    }

    /// The recursive part of an operand: literals, references, parentheses and calls.
    /// Everything else goes to [`Parser::other_operand`], which does not recurse.
    fn primary(&mut self, depth: usize) -> PResult<Node> {
        let at = self.at();
        let kind = match self.peek() {
            Tok::Number(n) => Kind::Number(*n),
            Tok::Literal(s) => Kind::Literal(s.clone()),
            Tok::Ref(name) => {
                self.references.insert(name.clone());
                Kind::Ref(name.clone())
            }
            Tok::Dot => {
                self.uses_current = true;
                Kind::Current
            }
            Tok::LParen => {
                let inner_depth = self.deeper(depth, at)?;
                self.pos += 1;
                let inner = self.expr(inner_depth)?;
                if self.peek() != &Tok::RParen {
                    return Err(self.unexpected("`)`"));
                }
                self.pos += 1;
                return Ok(inner);
            }
            Tok::Name(_) if self.peek_at(1) == &Tok::LParen => return self.call(depth),
            _ => return self.other_operand(),
        };
        self.pos += 1;
        Ok(Node { at, kind })
    }

    /// A bare name (a choice column in a choice filter), or the error for a token
    /// that cannot start an operand.
    #[inline(never)]
    fn other_operand(&mut self) -> PResult<Node> {
        let at = self.at();
        let unsupported = |what, hint| Err((at, ExprErrorKind::UnsupportedSyntax { what, hint }));
        let by_name = "refer to questions as ${name}";
        match self.peek().clone() {
            Tok::Name(_) if self.peek_at(1) == &Tok::Axis => {
                self.pos += 1;
                Err((
                    self.at(),
                    ExprErrorKind::UnsupportedSyntax {
                        what: "XPath axes `::`",
                        hint: by_name,
                    },
                ))
            }
            Tok::Name(name) if self.mode == Mode::ChoiceFilter => {
                self.pos += 1;
                self.columns.insert(name.clone());
                Ok(Node {
                    at,
                    kind: Kind::Column(name),
                })
            }
            Tok::Name(name) => Err((
                at,
                ExprErrorKind::BareName {
                    name: shorten(&name),
                },
            )),
            Tok::DotDot | Tok::Slash => Err(self.unsupported_path()),
            Tok::At => unsupported("attributes `@…`", by_name),
            Tok::Star => unsupported("node tests `*`", by_name),
            Tok::Pipe => unsupported("unions `|`", "combine conditions with `or`"),
            Tok::Var => unsupported("variables `$name`", by_name),
            Tok::LBracket => unsupported("predicates `[…]`", by_name),
            Tok::Axis => unsupported("XPath axes `::`", by_name),
            _ => Err(self.unexpected("a value")),
        }
    }

    /// A function call: the name is checked before the arguments are parsed.
    fn call(&mut self, depth: usize) -> PResult<Node> {
        let at = self.at();
        let spec = match self.peek() {
            Tok::Name(name) => lookup(name).ok_or_else(|| unknown_function(name, at))?,
            _ => return Err(self.unexpected("a function name")),
        };
        let inner = self.deeper(depth, at)?;
        self.pos += 2; // name and `(`
        let mut args = Vec::new();
        if self.peek() == &Tok::RParen {
            self.pos += 1;
        } else {
            loop {
                args.push(self.expr(inner)?);
                match self.peek() {
                    Tok::Comma => self.pos += 1,
                    Tok::RParen => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected("`,` or `)`")),
                }
            }
        }
        let kind = self.finish_call(spec, args, at)?;
        Ok(Node { at, kind })
    }

    /// Checks a call's arguments and builds its node. Does not recurse.
    #[inline(never)]
    fn finish_call(&mut self, spec: &'static Spec, args: Vec<Node>, at: usize) -> PResult<Kind> {
        if !spec.arity.accepts(args.len()) {
            return Err((
                at,
                ExprErrorKind::WrongArgumentCount {
                    name: spec.name,
                    expected: spec.arity,
                    found: args.len(),
                },
            ));
        }
        let bad = |problem| {
            Err((
                at,
                ExprErrorKind::BadArgument {
                    function: spec.name,
                    problem,
                },
            ))
        };
        Ok(match spec.func {
            Func::Regex => {
                let mut args = args.into_iter();
                let (Some(subject), Some(pattern)) = (args.next(), args.next()) else {
                    return bad("takes a text and a pattern");
                };
                let pattern = match pattern.kind {
                    Kind::Literal(p) => match compile_regex(&p) {
                        Ok(re) => Pattern::Fixed(Box::new(re)),
                        Err(reason) => {
                            return Err((pattern.at, ExprErrorKind::BadRegex { reason }));
                        }
                    },
                    _ => Pattern::Dynamic(Box::new(pattern)),
                };
                Kind::Regex(Box::new(subject), pattern)
            }
            Func::ChoiceName => {
                let mut args = args.into_iter();
                let (Some(value), Some(question)) = (args.next(), args.next()) else {
                    return bad("takes a value and a question");
                };
                let name = match &question.kind {
                    Kind::Literal(text) => text
                        .trim()
                        .strip_prefix("${")
                        .and_then(|t| t.strip_suffix('}'))
                        .filter(|n| is_question_name(n))
                        .map(str::to_owned),
                    _ => None,
                };
                let Some(name) = name else {
                    return bad(
                        "the second argument must be the question as a quoted reference, \
                         like jr:choice-name(${q}, '${q}')",
                    );
                };
                self.references.insert(name.clone());
                Kind::ChoiceName(Box::new(value), name)
            }
            Func::Count | Func::CountNonEmpty | Func::Sum
                if !matches!(args.first().map(|a| &a.kind), Some(Kind::Ref(_))) =>
            {
                return bad("the argument must be a question reference such as ${name}");
            }
            Func::Selected if matches!(args.get(1).map(|a| &a.kind), Some(Kind::Number(_))) => {
                return bad("the choice name must be in quotes, like '1'");
            }
            Func::StringLength | Func::NormalizeSpace | Func::Once => {
                if args.is_empty() || spec.func == Func::Once {
                    self.uses_current = true;
                }
                Kind::Call(spec.func, args)
            }
            _ => Kind::Call(spec.func, args),
        })
    }
}

/// The error for a function that is not in [`FUNCTIONS`]: unsupported (with the
/// reason) or unknown.
#[inline(never)]
fn unknown_function(name: &str, at: usize) -> Fail<ExprErrorKind> {
    let kind = match UNSUPPORTED.iter().find(|(n, _)| *n == name) {
        Some(&(_, reason)) => ExprErrorKind::UnsupportedFunction {
            name: shorten(name),
            reason,
        },
        None => ExprErrorKind::UnknownFunction {
            name: shorten(name),
        },
    };
    (at, kind)
}

/// Compiles a `regex()` pattern so that it must match the whole text (as Java's
/// `Pattern.matches`), within size limits.
fn compile_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "the pattern is longer than {MAX_SOURCE_BYTES} bytes"
        ));
    }
    RegexBuilder::new(&format!(r"\A(?:{pattern})\z"))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("the compiled pattern would exceed {limit} bytes")
            }
            other => other.to_string(),
        })
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

struct Evaluator<'e, E: ?Sized> {
    env: &'e E,
    steps: u64,
    limit: u64,
}

type EResult<T> = Result<T, Fail<EvalErrorKind>>;

/// An evaluated function argument: one value, or every value of a repeated question.
enum Arg {
    One(XValue),
    Many(Vec<XValue>),
}

/// Whether argument `i` of `func` (called with `n` arguments) reads every value of a
/// repeated question when it is a reference, as JavaRosa's node-set arguments do.
fn takes_nodeset(func: Func, n: usize, i: usize) -> bool {
    match func {
        Func::Count | Func::CountNonEmpty | Func::Sum | Func::Concat | Func::Min | Func::Max => {
            true
        }
        Func::Join => i >= 1,
        Func::Checklist => i >= 2,
        Func::WeightedChecklist => n == 4 && i >= 2,
        _ => false,
    }
}

/// The recursive part of evaluation, kept small: each node evaluates its children and
/// hands the values to a function that does not recurse ([`apply`], [`binary`]), so
/// a deep expression needs little stack.
impl<E: Env + ?Sized> Evaluator<'_, E> {
    fn charge(&mut self, at: usize, steps: u64) -> EResult<()> {
        self.steps = self.steps.saturating_add(steps);
        if self.steps > self.limit {
            Err((at, EvalErrorKind::StepLimit { limit: self.limit }))
        } else {
            Ok(())
        }
    }

    fn eval(&mut self, node: &Node) -> EResult<XValue> {
        self.charge(node.at, 1)?;
        match &node.kind {
            Kind::Number(n) => Ok(XValue::Number(*n)),
            Kind::Literal(s) => Ok(XValue::String(s.clone())),
            Kind::Ref(name) => Ok(answer(self.env.value(name))),
            Kind::Column(name) => Ok(XValue::String(
                self.env.choice_column(name).unwrap_or_default(),
            )),
            Kind::Current => Ok(answer(self.env.current())),
            Kind::Neg(inner) => Ok(XValue::Number(-self.eval(inner)?.as_number())),
            Kind::Or(items) => {
                for item in items {
                    if self.eval(item)?.as_bool() {
                        return Ok(XValue::Boolean(true));
                    }
                }
                Ok(XValue::Boolean(false))
            }
            Kind::And(items) => {
                for item in items {
                    if !self.eval(item)?.as_bool() {
                        return Ok(XValue::Boolean(false));
                    }
                }
                Ok(XValue::Boolean(true))
            }
            Kind::Chain(first, rest) => {
                let mut acc = self.eval(first)?;
                for (op, rhs) in rest {
                    let right = self.eval(rhs)?;
                    acc = binary(*op, &acc, &right);
                }
                Ok(acc)
            }
            Kind::Regex(subject, pattern) => {
                let text = self.eval(subject)?;
                let dynamic = match pattern {
                    Pattern::Dynamic(p) => Some(self.eval(p)?),
                    Pattern::Fixed(_) => None,
                };
                regex_matches(pattern, &text, dynamic.as_ref(), node.at)
            }
            Kind::ChoiceName(value, question) => {
                let choice = self.eval(value)?;
                Ok(choice_name(self.env, question, &choice))
            }
            Kind::Call(func, args) => self.call(*func, args, node.at),
        }
    }

    fn arg(&mut self, args: &[Node], i: usize) -> EResult<XValue> {
        match args.get(i) {
            Some(node) => self.eval(node),
            None => Ok(XValue::empty()),
        }
    }

    /// Functions that evaluate only some arguments (`if`, `coalesce`, `once`) here;
    /// the others evaluate every argument, then [`apply`].
    fn call(&mut self, func: Func, args: &[Node], at: usize) -> EResult<XValue> {
        match func {
            Func::If => {
                let condition = self.arg(args, 0)?.as_bool();
                self.arg(args, if condition { 1 } else { 2 })
            }
            Func::Coalesce => {
                let first = self.arg(args, 0)?;
                if first.is_empty() {
                    self.arg(args, 1)
                } else {
                    Ok(first)
                }
            }
            Func::Once => {
                let current = answer(self.env.current());
                if current.as_string().is_empty() {
                    self.arg(args, 0)
                } else {
                    Ok(current)
                }
            }
            _ => {
                let mut values = Vec::with_capacity(args.len());
                for (i, node) in args.iter().enumerate() {
                    values.push(match &node.kind {
                        Kind::Ref(name) if takes_nodeset(func, args.len(), i) => {
                            self.charge(node.at, 1)?;
                            let all = self.env.values(name);
                            self.charge(node.at, all.len() as u64)?;
                            Arg::Many(all.into_iter().map(answer).collect())
                        }
                        _ => Arg::One(self.eval(node)?),
                    });
                }
                apply(func, &Args(values), at, self.env)
            }
        }
    }
}

/// An answer, or the empty string when there is none.
fn answer(value: Option<Value>) -> XValue {
    value.map_or_else(XValue::empty, XValue::from)
}

#[inline(never)]
fn regex_matches(
    pattern: &Pattern,
    text: &XValue,
    dynamic: Option<&XValue>,
    at: usize,
) -> EResult<XValue> {
    let text = text.as_string();
    let matched = match (pattern, dynamic) {
        (Pattern::Fixed(re), _) => re.is_match(&text),
        (Pattern::Dynamic(_), Some(source)) => compile_regex(&source.as_string())
            .map_err(|_| (at, EvalErrorKind::InvalidRegex))?
            .is_match(&text),
        (Pattern::Dynamic(_), None) => return Err((at, EvalErrorKind::InvalidRegex)),
    };
    Ok(XValue::Boolean(matched))
}

#[inline(never)]
fn choice_name<E: Env + ?Sized>(env: &E, question: &str, choice: &XValue) -> XValue {
    let choice = choice.as_string();
    let choice = choice.trim();
    if choice.is_empty() {
        XValue::empty()
    } else {
        XValue::String(env.choice_label(question, choice).unwrap_or_default())
    }
}

/// Evaluated arguments.
struct Args(Vec<Arg>);

impl Args {
    fn len(&self) -> usize {
        self.0.len()
    }

    /// Argument `i` as one value (the first value of a repeated question).
    fn value(&self, i: usize) -> XValue {
        match self.0.get(i) {
            Some(Arg::One(v)) => v.clone(),
            Some(Arg::Many(vs)) => vs.first().cloned().unwrap_or_else(XValue::empty),
            None => XValue::empty(),
        }
    }

    fn num(&self, i: usize) -> f64 {
        self.value(i).as_number()
    }

    fn text(&self, i: usize) -> String {
        self.value(i).as_string()
    }

    /// Argument `i` as a list (every value of a repeated question).
    fn list(&self, i: usize) -> Vec<XValue> {
        match self.0.get(i) {
            Some(Arg::One(v)) => vec![v.clone()],
            Some(Arg::Many(vs)) => vs.clone(),
            None => Vec::new(),
        }
    }

    /// Arguments from `from` on, lists flattened.
    fn rest(&self, from: usize) -> Vec<XValue> {
        (from..self.len()).flat_map(|i| self.list(i)).collect()
    }
}

/// Functions on evaluated arguments. Never recurses into the tree.
#[inline(never)]
fn apply<E: Env + ?Sized>(func: Func, a: &Args, at: usize, env: &E) -> EResult<XValue> {
    use XValue::{Boolean as B, Number as N, String as S};
    let random_failed = |function| (at, EvalErrorKind::Random { function });
    let too_long = |function| {
        (
            at,
            EvalErrorKind::TextTooLong {
                function,
                limit: MAX_TEXT_BYTES,
            },
        )
    };
    let current_or_arg = || {
        if a.len() == 0 {
            answer(env.current()).as_string()
        } else {
            a.text(0)
        }
    };
    Ok(match func {
        Func::True => B(true),
        Func::False => B(false),
        Func::Not => B(!a.value(0).as_bool()),
        Func::Boolean => B(a.value(0).as_bool()),
        Func::BooleanFromString => {
            let s = a.text(0);
            B(s.eq_ignore_ascii_case("true") || s == "1")
        }
        Func::Number => N(a.num(0)),
        Func::String => S(a.text(0)),
        Func::Int => N(to_int(a.num(0))),
        Func::Round => {
            let digits = if a.len() > 1 { a.num(1) } else { 0.0 };
            N(round_half_up(a.num(0), digits))
        }
        Func::Abs => N(a.num(0).abs()),
        Func::Floor => N(a.num(0).floor()),
        Func::Ceiling => N(a.num(0).ceil()),
        Func::Sqrt => N(a.num(0).sqrt()),
        Func::Exp => N(a.num(0).exp()),
        Func::Exp10 => N(10f64.powf(a.num(0))),
        Func::Log => N(a.num(0).ln()),
        Func::Log10 => N(a.num(0).log10()),
        Func::Sin => N(a.num(0).sin()),
        Func::Cos => N(a.num(0).cos()),
        Func::Tan => N(a.num(0).tan()),
        Func::Asin => N(a.num(0).asin()),
        Func::Acos => N(a.num(0).acos()),
        Func::Atan => N(a.num(0).atan()),
        Func::Pow => N(a.num(0).powf(a.num(1))),
        Func::Atan2 => N(a.num(0).atan2(a.num(1))),
        Func::Pi => N(std::f64::consts::PI),
        Func::Random => {
            let bits = getrandom::u64().map_err(|_| random_failed("random"))?;
            N((bits >> 11) as f64 / (1u64 << 53) as f64)
        }
        Func::Uuid if a.len() == 0 => S(uuid_v4().map_err(|()| random_failed("uuid"))?),
        Func::Uuid => {
            let len = to_int(a.num(0));
            if len > MAX_TEXT_BYTES as f64 {
                return Err(too_long("uuid"));
            }
            let len = if len.is_nan() || len < 0.0 {
                0
            } else {
                len as usize
            };
            S(random_alphanumeric(len).map_err(|()| random_failed("uuid"))?)
        }
        Func::Selected => {
            let list = a.text(0);
            let choice = a.text(1);
            let choice = choice.trim();
            B(!choice.is_empty() && list.split_whitespace().any(|c| c == choice))
        }
        Func::CountSelected => N(a.text(0).split_whitespace().count() as f64),
        Func::SelectedAt => {
            let list = a.text(0);
            let index = a.num(1);
            let picked = if index.is_nan() || index < 0.0 {
                None
            } else {
                list.split_whitespace().nth(index as usize)
            };
            S(picked.unwrap_or_default().to_owned())
        }
        Func::StringLength => N(current_or_arg().chars().count() as f64),
        Func::NormalizeSpace => S(current_or_arg()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")),
        Func::Contains => B(a.text(0).contains(&a.text(1))),
        Func::StartsWith => B(a.text(0).starts_with(&a.text(1))),
        Func::EndsWith => B(a.text(0).ends_with(&a.text(1))),
        Func::Substr => {
            let end = if a.len() > 2 { Some(a.num(2)) } else { None };
            S(substr(&a.text(0), a.num(1), end))
        }
        Func::SubstringBefore => {
            let (s, t) = (a.text(0), a.text(1));
            S(s.find(&t).map(|i| s[..i].to_owned()).unwrap_or_default())
        }
        Func::SubstringAfter => {
            let (s, t) = (a.text(0), a.text(1));
            S(s.find(&t)
                .map(|i| s[i + t.len()..].to_owned())
                .unwrap_or_default())
        }
        Func::Translate => {
            let from: Vec<char> = a.text(1).chars().collect();
            let to: Vec<char> = a.text(2).chars().collect();
            S(a.text(0)
                .chars()
                .filter_map(|c| match from.iter().position(|&f| f == c) {
                    None => Some(c),
                    Some(i) => to.get(i).copied(),
                })
                .collect())
        }
        Func::Concat => S(join_limited("", &a.rest(0)).ok_or_else(|| too_long("concat"))?),
        Func::Join => S(join_limited(&a.text(0), &a.rest(1)).ok_or_else(|| too_long("join"))?),
        Func::Today => XValue::Date(env.today()),
        Func::Now => XValue::DateTime(env.now()),
        Func::Date => to_date(a.value(0), false, "date", at, env)?,
        Func::DateTime => to_date(a.value(0), true, "date-time", at, env)?,
        Func::DecimalDateTime => decimal_date_time(a.value(0), "decimal-date-time", at)?,
        Func::DecimalTime => decimal_time(a.value(0), at)?,
        Func::FormatDate => match to_date(a.value(0), true, "format-date", at, env)? {
            XValue::DateTime(t) => S(format_date(&t.naive_local(), &a.text(1))),
            XValue::Date(d) => S(format_date(&d.and_time(NaiveTime::MIN), &a.text(1))),
            _ => XValue::empty(),
        },
        Func::Count => N(a.rest(0).len() as f64),
        Func::CountNonEmpty => N(a
            .rest(0)
            .iter()
            .filter(|v| !v.as_string().is_empty())
            .count() as f64),
        // As JavaRosa: values that are not numbers (unanswered ones) are skipped.
        Func::Sum => N(a
            .rest(0)
            .iter()
            .map(XValue::as_number)
            .filter(|n| !n.is_nan())
            .sum()),
        Func::Min | Func::Max => {
            let numbers = a.rest(0).into_iter().map(|v| v.as_number());
            let mut numbers = numbers.filter(|n| !n.is_nan());
            let first = numbers.next();
            N(match first {
                None => f64::NAN,
                Some(first) if func == Func::Min => numbers.fold(first, f64::min),
                Some(first) => numbers.fold(first, f64::max),
            })
        }
        Func::Checklist => {
            let (min, max) = (to_int(a.num(0)), to_int(a.num(1)));
            let count = a.rest(2).iter().filter(|f| f.as_bool()).count() as f64;
            B((min.is_nan() || min < 0.0 || count >= min)
                && (max.is_nan() || max < 0.0 || count <= max))
        }
        Func::WeightedChecklist => {
            let (min, max) = (a.num(0), a.num(1));
            let (flags, weights) = if a.len() == 4 {
                (a.list(2), a.list(3))
            } else {
                let rest = a.rest(2);
                let flags = rest.iter().step_by(2).cloned().collect();
                let weights = rest.iter().skip(1).step_by(2).cloned().collect();
                (flags, weights)
            };
            let sum: f64 = flags
                .iter()
                .zip(&weights)
                .filter(|(f, _)| f.as_bool())
                .map(|(_, w)| w.as_number())
                .sum();
            B(sum >= min && sum <= max)
        }
        // Evaluated before they get here; kept so that the match is complete.
        Func::If => {
            if a.value(0).as_bool() {
                a.value(1)
            } else {
                a.value(2)
            }
        }
        Func::Coalesce => {
            let first = a.value(0);
            if first.is_empty() { a.value(1) } else { first }
        }
        Func::Once => {
            let current = answer(env.current());
            if current.as_string().is_empty() {
                a.value(0)
            } else {
                current
            }
        }
        Func::Regex => {
            let pattern =
                compile_regex(&a.text(1)).map_err(|_| (at, EvalErrorKind::InvalidRegex))?;
            B(pattern.is_match(&a.text(0)))
        }
        Func::ChoiceName => S(String::new()),
    })
}

/// `date()` (`keep_time` false) and `date-time()`. The empty string and NaN stay as
/// they are (an unanswered date stays unanswered). Date-times read without an offset
/// take the device's, from [`Env::now`].
fn to_date<E: Env + ?Sized>(
    v: XValue,
    keep_time: bool,
    function: &'static str,
    at: usize,
    env: &E,
) -> EResult<XValue> {
    let out_of_range = || (at, EvalErrorKind::DateOutOfRange { function });
    let offset = *env.now().offset();
    let local = |naive: NaiveDateTime, offset: FixedOffset| {
        offset
            .from_local_datetime(&naive)
            .single()
            .map(XValue::DateTime)
            .ok_or_else(out_of_range)
    };
    match v {
        XValue::Number(n) if n.is_nan() => Ok(XValue::Number(n)),
        XValue::Number(n) => {
            if !n.is_finite() || n.abs() > f64::from(i32::MAX) {
                return Err(out_of_range());
            }
            if keep_time {
                let ms = (n * MS_PER_DAY) as i64;
                let naive = TimeDelta::try_milliseconds(ms)
                    .and_then(|d| EPOCH.checked_add_signed(d))
                    .ok_or_else(out_of_range)?;
                local(naive, offset)
            } else {
                NaiveDate::from_epoch_days(n.trunc() as i32)
                    .map(XValue::Date)
                    .ok_or_else(out_of_range)
            }
        }
        XValue::String(s) if s.is_empty() => Ok(XValue::String(s)),
        XValue::String(s) => match parse_date_text(&s) {
            Some(Moment::Date(d)) if keep_time => local(d.and_time(NaiveTime::MIN), offset),
            Some(Moment::Date(d)) => Ok(XValue::Date(d)),
            Some(Moment::DateTime(naive, given)) if keep_time => {
                local(naive, given.unwrap_or(offset))
            }
            Some(Moment::DateTime(naive, _)) => Ok(XValue::Date(naive.date())),
            None => Err((at, EvalErrorKind::NotADate { function })),
        },
        XValue::Date(d) if keep_time => local(d.and_time(NaiveTime::MIN), offset),
        XValue::Date(d) => Ok(XValue::Date(d)),
        XValue::DateTime(t) if keep_time => Ok(XValue::DateTime(t)),
        XValue::DateTime(t) => Ok(XValue::Date(t.naive_local().date())),
        XValue::Boolean(_) => Err((at, EvalErrorKind::NotADate { function })),
    }
}

#[inline(never)]
fn binary(op: Op, a: &XValue, b: &XValue) -> XValue {
    match op {
        Op::Add => XValue::Number(a.as_number() + b.as_number()),
        Op::Sub => XValue::Number(a.as_number() - b.as_number()),
        Op::Mul => XValue::Number(a.as_number() * b.as_number()),
        Op::Div => XValue::Number(a.as_number() / b.as_number()),
        Op::Mod => XValue::Number(a.as_number() % b.as_number()),
        Op::Eq => XValue::Boolean(equal(a, b)),
        Op::Neq => XValue::Boolean(!equal(a, b)),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let (x, y) = if is_temporal(a) || is_temporal(b) {
                (days_or_number(a), days_or_number(b))
            } else {
                (a.as_number(), b.as_number())
            };
            XValue::Boolean(match op {
                Op::Lt => x < y,
                Op::Le => x <= y,
                Op::Gt => x > y,
                _ => x >= y,
            })
        }
    }
}

fn numbers_equal(x: f64, y: f64) -> bool {
    x == y || (x - y).abs() < 1e-12
}

fn is_temporal(v: &XValue) -> bool {
    matches!(v, XValue::Date(_) | XValue::DateTime(_))
}

/// Days since 1970-01-01 of a date, a date-time, or text in date form.
fn days_of(v: &XValue) -> Option<f64> {
    match v {
        XValue::Date(_) | XValue::DateTime(_) => Some(v.as_number()),
        XValue::String(s) => parse_date_text(s).map(|m| m.days()),
        _ => None,
    }
}

fn days_or_number(v: &XValue) -> f64 {
    days_of(v).unwrap_or_else(|| v.as_number())
}

fn equal(a: &XValue, b: &XValue) -> bool {
    use XValue::{Boolean, Number};
    match (a, b) {
        (Boolean(_), _) | (_, Boolean(_)) => a.as_bool() == b.as_bool(),
        (Number(_), _) | (_, Number(_)) => numbers_equal(a.as_number(), b.as_number()),
        _ if is_temporal(a) || is_temporal(b) => match (days_of(a), days_of(b)) {
            (Some(x), Some(y)) => numbers_equal(x, y),
            _ => a.as_string() == b.as_string(),
        },
        _ => a.as_string() == b.as_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Numbers, text, dates
// ---------------------------------------------------------------------------------------

fn text_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c <= ' ');
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.' || b == b',')
    {
        return f64::NAN;
    }
    t.replace(',', ".").parse::<f64>().unwrap_or(f64::NAN)
}

fn number_to_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.abs() < 1e-12 {
        "0".to_owned()
    } else if n.is_infinite() {
        if n < 0.0 { "-Infinity" } else { "Infinity" }.to_owned()
    } else if (n - n.trunc()).abs() < 1e-12 {
        format!("{}", n.trunc())
    } else {
        format!("{n}")
    }
}

/// XPath `int()`: toward zero; NaN and infinities unchanged.
fn to_int(x: f64) -> f64 {
    if x.is_finite() { x.trunc() } else { x }
}

/// `round(x, digits)` as JavaRosa: the decimal form of `x` rounded to `digits` places,
/// halves toward positive infinity (2.5 → 3, -2.5 → -2); with negative `digits`, to
/// tens, hundreds…; more than 30 places either way is NaN.
fn round_half_up(x: f64, digits: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let digits = if digits.is_nan() { 0 } else { digits as i64 };
    if !(-30..=30).contains(&digits) {
        return f64::NAN;
    }
    if digits < 0 {
        let scale = 10f64.powi(-digits as i32);
        return ((x / scale) + 0.5).floor() * scale;
    }
    match Decimal::from_str(&format!("{x}")) {
        Ok(d) => {
            let strategy = if x < 0.0 {
                RoundingStrategy::MidpointTowardZero
            } else {
                RoundingStrategy::MidpointAwayFromZero
            };
            d.round_dp_with_strategy(digits.min(28) as u32, strategy)
                .to_f64()
                .unwrap_or(x)
        }
        // Beyond Decimal's range: a number that large is already whole, one that
        // small rounds to zero.
        Err(_) if x.abs() >= 1.0 => x,
        Err(_) => 0.0,
    }
}

/// ODK `substr(text, start, end)`: from `start` (0-based) to before `end`; negative
/// positions count from the end.
fn substr(s: &str, start: f64, end: Option<f64>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let pos = |x: f64| -> i64 {
        let i = if x.is_nan() { 0 } else { x as i64 };
        let i = if i < 0 { len.saturating_add(i) } else { i };
        i.clamp(0, len)
    };
    let from = pos(start);
    let to = end.map_or(len, pos);
    if from <= to {
        chars[from as usize..to as usize].iter().collect()
    } else {
        String::new()
    }
}

/// Joins values with `sep`; `None` when the text would pass [`MAX_TEXT_BYTES`].
fn join_limited(sep: &str, parts: &[XValue]) -> Option<String> {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&part.as_string());
        if out.len() > MAX_TEXT_BYTES {
            return None;
        }
    }
    Some(out)
}

fn uuid_v4() -> Result<String, ()> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|_| ())?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn random_alphanumeric(len: usize) -> Result<String, ()> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|_| ())?;
        // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
        for &byte in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
        }
    }
    Ok(out)
}

/// A date or date-time read from text.
enum Moment {
    Date(NaiveDate),
    /// Local wall-clock time and the offset, when the text gave one.
    DateTime(NaiveDateTime, Option<FixedOffset>),
}

impl Moment {
    fn days(&self) -> f64 {
        match self {
            Moment::Date(d) => f64::from(d.to_epoch_days()),
            Moment::DateTime(t, _) => naive_days(t),
        }
    }
}

/// Reads `2026-11-02`, or an ISO 8601 date-time with optional seconds, fraction and
/// offset (`2026-11-02T14:30`, `2026-11-02T14:30:00.000+05:30`, `…Z`, `…+02`).
fn parse_date_text(s: &str) -> Option<Moment> {
    let t = s.trim();
    if t.len() > 64 {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(Moment::Date(d));
    }
    let (body, offset) = split_offset(t)?;
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(body, f).ok())?;
    Some(Moment::DateTime(naive, offset))
}

/// Splits a trailing `Z`, `±HH`, `±HHMM` or `±HH:MM` from a date-time or time. `None`
/// when the suffix looks like an offset but is not a valid one.
fn split_offset(t: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(body) = t.strip_suffix('Z') {
        return Some((body, FixedOffset::east_opt(0)));
    }
    // The offset sign comes after the time's colon; a date's dashes come before it.
    let Some(colon) = t.find(':') else {
        return Some((t, None));
    };
    let Some(sign_at) = t[colon..].rfind(['+', '-']).map(|i| colon + i) else {
        return Some((t, None));
    };
    let (body, suffix) = t.split_at(sign_at);
    let sign = if suffix.starts_with('-') { -1 } else { 1 };
    let digits: String = suffix[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((
        body,
        FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)),
    ))
}

/// Fractional days since 1970-01-01 of a local wall-clock time.
fn naive_days(t: &NaiveDateTime) -> f64 {
    t.signed_duration_since(EPOCH).num_milliseconds() as f64 / MS_PER_DAY
}

/// Fractional days since 1970-01-01 of a date-time's local wall-clock time, as
/// JavaRosa measures dates against the local epoch.
fn decimal_days(t: &DateTime<FixedOffset>) -> f64 {
    naive_days(&t.naive_local())
}

fn fraction_of_day(t: &NaiveTime) -> f64 {
    (f64::from(t.num_seconds_from_midnight()) + f64::from(t.nanosecond()) / 1e9) / 86_400.0
}

fn decimal_date_time(v: XValue, function: &'static str, at: usize) -> EResult<XValue> {
    match v {
        XValue::Number(n) if n.is_nan() => Ok(XValue::Number(n)),
        XValue::Number(n) if !n.is_finite() || n.abs() > f64::from(i32::MAX) => {
            Err((at, EvalErrorKind::DateOutOfRange { function }))
        }
        XValue::Number(n) => Ok(XValue::Number(n)),
        XValue::String(s) if s.is_empty() => Ok(XValue::String(s)),
        XValue::String(s) => parse_date_text(&s)
            .map(|m| XValue::Number(m.days()))
            .ok_or((at, EvalErrorKind::NotADate { function })),
        XValue::Date(_) | XValue::DateTime(_) => Ok(XValue::Number(v.as_number())),
        XValue::Boolean(_) => Err((at, EvalErrorKind::NotADate { function })),
    }
}

/// `decimal-time()`: the fraction of the day of a time (`14:30:00.000+05:30`, as ODK
/// stores time answers), a date-time, or a number of days. The time is read as the
/// wall-clock time written, whatever its offset.
fn decimal_time(v: XValue, at: usize) -> EResult<XValue> {
    const F: &str = "decimal-time";
    match v {
        XValue::Number(n) => Ok(decimal_date_time(XValue::Number(n), F, at)?).map(|d| match d {
            XValue::Number(n) => XValue::Number(n - n.floor()),
            other => other,
        }),
        XValue::String(s) if s.is_empty() => Ok(XValue::String(s)),
        XValue::String(s) => {
            if let Some(time) = parse_time_text(&s) {
                return Ok(XValue::Number(fraction_of_day(&time)));
            }
            match parse_date_text(&s) {
                Some(Moment::Date(_)) => Ok(XValue::Number(0.0)),
                Some(Moment::DateTime(t, _)) => Ok(XValue::Number(fraction_of_day(&t.time()))),
                None => Err((at, EvalErrorKind::NotADate { function: F })),
            }
        }
        XValue::Date(_) => Ok(XValue::Number(0.0)),
        XValue::DateTime(t) => Ok(XValue::Number(fraction_of_day(&t.naive_local().time()))),
        XValue::Boolean(_) => Err((at, EvalErrorKind::NotADate { function: F })),
    }
}

fn parse_time_text(s: &str) -> Option<NaiveTime> {
    let t = s.trim();
    if t.len() > 32 || t.contains('T') || t.matches(':').count() == 0 {
        return None;
    }
    let (body, _) = split_offset(t)?;
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(body, f).ok())
}

/// ODK's `format-date()` codes: `%Y` year, `%y` two-digit year, `%m` month 01–12,
/// `%n` month 1–12, `%b` month name (Jan), `%d` day 01–31, `%e` day 1–31, `%H` hour
/// 00–23, `%h` hour 0–23, `%M` minute, `%S` second, `%3` milliseconds, `%a` weekday
/// (Sun). Other text is copied; an unknown code is copied as written.
fn format_date(t: &NaiveDateTime, format: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", t.year())),
            Some('y') => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", t.month())),
            Some('n') => out.push_str(&t.month().to_string()),
            Some('b') => out.push_str(MONTHS[t.month0() as usize % 12]),
            Some('d') => out.push_str(&format!("{:02}", t.day())),
            Some('e') => out.push_str(&t.day().to_string()),
            Some('H') => out.push_str(&format!("{:02}", t.hour())),
            Some('h') => out.push_str(&t.hour().to_string()),
            Some('M') => out.push_str(&format!("{:02}", t.minute())),
            Some('S') => out.push_str(&format!("{:02}", t.second())),
            Some('3') => out.push_str(&format!("{:03}", t.nanosecond() / 1_000_000 % 1000)),
            Some('a') => {
                out.push_str(DAYS[t.weekday().num_days_from_sunday() as usize % 7]);
            }
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::records::Location;

    /// Answers from one identification at an operation, fixed clock.
    struct Field {
        answers: HashMap<&'static str, Value>,
        current: Option<Value>,
        repeats: HashMap<&'static str, Vec<Option<Value>>>,
        columns: HashMap<&'static str, &'static str>,
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn moment(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn field() -> Field {
        let answers = HashMap::from([
            ("age", Value::Integer(14)),
            ("companions", Value::Integer(3)),
            ("slope", Value::Integer(20)),
            (
                "amount",
                Value::Decimal(Decimal::from_str("30000.50").unwrap()),
            ),
            ("name", Value::Text("Asha Devi".into())),
            ("alias", Value::Text("  Asha   D. ".into())),
            ("hindi_name", Value::Text("आशा".into())),
            ("sex", Value::Choice("female".into())),
            ("state", Value::Choice("mh".into())),
            ("exploitation_type", Value::Choice("bonded_labour".into())),
            (
                "indicators",
                Value::Choices(vec![
                    "debt".into(),
                    "withheld_documents".into(),
                    "threats".into(),
                ]),
            ),
            ("interpreter", Value::Boolean(true)),
            ("consent_photos", Value::Boolean(false)),
            ("dob", Value::Date(date("2012-03-15"))),
            (
                "found_at",
                Value::DateTime(moment("2026-11-01T22:15:00+05:30")),
            ),
            ("phone", Value::Text("98765 43210".into())),
            ("email", Value::Text("worker@example.org".into())),
            ("weight", Value::Text("12,5".into())),
            ("empty_text", Value::Text(String::new())),
            ("case_no", Value::Text("FIR-2026-0042".into())),
            ("start_time", Value::Text("14:30:00.000+05:30".into())),
            (
                "place",
                Value::Location(Location {
                    latitude: 19.07,
                    longitude: 72.87,
                    altitude: None,
                    accuracy: None,
                }),
            ),
        ]);
        let repeats = HashMap::from([(
            "sibling_age",
            vec![Some(Value::Integer(9)), Some(Value::Integer(12)), None],
        )]);
        Field {
            answers,
            current: Some(Value::Text("9876543210".into())),
            repeats,
            columns: HashMap::from([("name", "mumbai"), ("state", "mh")]),
        }
    }

    impl Env for Field {
        fn value(&self, name: &str) -> Option<Value> {
            self.answers.get(name).cloned()
        }
        fn current(&self) -> Option<Value> {
            self.current.clone()
        }
        fn choice_label(&self, question: &str, choice: &str) -> Option<String> {
            match (question, choice) {
                ("exploitation_type", "bonded_labour") => Some("Bonded labour".into()),
                ("sex", "female") => Some("Female".into()),
                _ => None,
            }
        }
        fn today(&self) -> NaiveDate {
            date("2026-11-02")
        }
        fn now(&self) -> DateTime<FixedOffset> {
            moment("2026-11-02T14:30:00+05:30")
        }
        fn values(&self, name: &str) -> Vec<Option<Value>> {
            match self.repeats.get(name) {
                Some(v) => v.clone(),
                None => vec![self.value(name)],
            }
        }
        fn choice_column(&self, column: &str) -> Option<String> {
            self.columns.get(column).map(|s| (*s).to_owned())
        }
    }

    #[derive(Debug)]
    enum W {
        B(bool),
        N(f64),
        NaN,
        S(&'static str),
        D(&'static str),
        T(&'static str),
    }

    fn matches(want: &W, got: &XValue) -> bool {
        match (want, got) {
            (W::B(w), XValue::Boolean(g)) => w == g,
            (W::N(w), XValue::Number(g)) => w == g || (w - g).abs() <= 1e-9 * w.abs().max(1.0),
            (W::NaN, XValue::Number(g)) => g.is_nan(),
            (W::S(w), XValue::String(g)) => w == g,
            (W::D(w), XValue::Date(g)) => *g == date(w),
            (W::T(w), XValue::DateTime(_)) => got.as_string() == *w,
            _ => false,
        }
    }

    use W::{B, D, N, NaN, S, T};

    /// Expression, expected result, against [`field`].
    const TABLE: &[(&str, W)] = &[
        // A 14-year-old is a minor; an unanswered age is nobody's age.
        ("${age} < 18", B(true)),
        ("${age_unknown} < 18", B(false)),
        ("${age_unknown} >= 18", B(false)),
        ("${age_unknown} = ''", B(true)),
        ("${age} = ''", B(false)),
        ("${age_unknown} != ''", B(false)),
        ("number(${age_unknown})", NaN),
        ("${age_unknown} + 1", NaN),
        ("int(${age_unknown})", NaN),
        ("string-length(${age_unknown})", N(0.0)),
        ("not(${age_unknown})", B(true)),
        ("count-selected(${indicators_unknown})", N(0.0)),
        ("selected(${indicators_unknown}, 'debt')", B(false)),
        ("coalesce(${alias_unknown}, ${name})", S("Asha Devi")),
        ("coalesce(${name}, 'unknown')", S("Asha Devi")),
        ("coalesce(number(${age_unknown}), 'no age')", S("no age")),
        (
            "concat(${name}, ' (', ${age_unknown}, ')')",
            S("Asha Devi ()"),
        ),
        ("${empty_text} = ${age_unknown}", B(true)),
        (
            "if(${age_unknown} = '', 'age not given', 'age given')",
            S("age not given"),
        ),
        // An unanswered age takes the else branch of a minor check: ODK does the same.
        ("if(${age_unknown} < 18, 'minor', 'adult')", S("adult")),
        ("date(${dob_unknown})", S("")),
        ("format-date(${dob_unknown}, '%d/%m/%Y')", S("")),
        ("${age_unknown} < 18 or ${age_estimated} = 'yes'", B(false)),
        ("round(${age_unknown}, 1)", NaN),
        ("max(${age_unknown})", NaN),
        ("min(${age_unknown}, 5)", N(5.0)),
        // Type coercion.
        ("'14' = 14", B(true)),
        ("'14.0' = ${age}", B(true)),
        ("'abc' = 0", B(false)),
        ("'abc' != 0", B(true)),
        ("'' = 0", B(false)),
        ("number('  42 ')", N(42.0)),
        ("number('1e3')", NaN),
        ("number('+5')", NaN),
        ("number('-0.5')", N(-0.5)),
        ("number(${weight})", N(12.5)),
        ("number(true())", N(1.0)),
        ("boolean('false')", B(true)),
        ("boolean('')", B(false)),
        ("boolean(0)", B(false)),
        ("boolean(number('x'))", B(false)),
        ("boolean(-0.001)", B(true)),
        ("string(14)", S("14")),
        ("string(0.5)", S("0.5")),
        ("string(1 div 0)", S("Infinity")),
        ("string(-1 div 0)", S("-Infinity")),
        ("string(0 div 0)", S("NaN")),
        ("string(${amount})", S("30000.5")),
        ("string(${place})", S("19.07 72.87")),
        ("string(1 = 1)", S("true")),
        ("${interpreter} = 'yes'", B(true)),
        // A boolean answer compares as a boolean: 'false' is non-empty text, so true.
        ("${consent_photos} = 'false'", B(false)),
        ("${consent_photos} = false()", B(true)),
        ("true() = 1", B(true)),
        ("${companions} = '3'", B(true)),
        ("${companions} > '2'", B(true)),
        ("'10' > '9'", B(true)),
        ("'b' > 'a'", B(false)),
        ("boolean-from-string('TRUE')", B(true)),
        ("boolean-from-string('yes')", B(false)),
        ("boolean-from-string(1)", B(true)),
        // Arithmetic and precedence.
        ("1 + 2 * 3", N(7.0)),
        ("(1 + 2) * 3", N(9.0)),
        ("10 - 4 - 3", N(3.0)),
        ("2 * 3 div 4", N(1.5)),
        ("7 mod 3", N(1.0)),
        ("-7 mod 3", N(-1.0)),
        ("7.5 mod 2", N(1.5)),
        ("-2 * 3", N(-6.0)),
        ("- - 4", N(4.0)),
        ("1 - -1", N(2.0)),
        ("1 div 0", N(f64::INFINITY)),
        ("0 div 0", NaN),
        ("1 - (2 - 3)", N(2.0)),
        ("(1 - 2) - 3", N(-4.0)),
        ("2 * 3 + 4 * 5", N(26.0)),
        ("1 + 2 * 3 - 4 div 2", N(5.0)),
        ("1 or 0 and 0", B(true)),
        ("(1 or 0) and 0", B(false)),
        ("0 and 1 or 1", B(true)),
        ("1 = 1 or 0 = 1 and 0", B(true)),
        ("1 < 2 = 2 < 3", B(true)),
        ("3 > 2 > 1", B(false)),
        ("1 + 1 = 2 and 2 * 2 = 4", B(true)),
        ("${age} * 12 + 6", N(174.0)),
        ("${amount} * 2", N(60001.0)),
        (".5 + 5.", N(5.5)),
        ("${age}div 2", N(7.0)),
        ("pow(2, 10)", N(1024.0)),
        ("pow(10, 400)", N(f64::INFINITY)),
        ("sqrt(-1)", NaN),
        ("abs(-3.5)", N(3.5)),
        ("floor(-2.5)", N(-3.0)),
        ("ceiling(2.1)", N(3.0)),
        ("int(-2.7)", N(-2.0)),
        ("int(2.7)", N(2.0)),
        ("int('12.9')", N(12.0)),
        ("round(2.5)", N(3.0)),
        ("round(-2.5)", N(-2.0)),
        ("round(2.675, 2)", N(2.68)),
        ("round(1.005, 2)", N(1.01)),
        ("round(1234.5678, -2)", N(1200.0)),
        ("round(1234.5678, 31)", NaN),
        (
            "round(15 div (sqrt(cos(atan(${slope} div 100)))),2)",
            N(15.15),
        ),
        ("log10(1000)", N(3.0)),
        ("exp10(2)", N(100.0)),
        ("atan2(1, 1) * 4 = pi()", B(true)),
        // Repeats and lists of values.
        ("min(3, ${age}, 20)", N(3.0)),
        ("max(${sibling_age})", N(12.0)),
        ("sum(${sibling_age})", N(21.0)),
        ("count(${sibling_age})", N(3.0)),
        ("count-non-empty(${sibling_age})", N(2.0)),
        ("count(${age})", N(1.0)),
        ("join(', ', ${sibling_age})", S("9, 12, ")),
        ("concat(${sibling_age})", S("912")),
        ("join(' ', 'a', 'b', 'c')", S("a b c")),
        (
            "checklist(2, -1, ${interpreter}, ${age} < 18, ${consent_photos})",
            B(true),
        ),
        ("checklist(-1, 1, ${interpreter}, ${age} < 18)", B(false)),
        (
            "weighted-checklist(5, 10, ${interpreter}, 3, ${age} < 18, 4)",
            B(true),
        ),
        // Select questions.
        ("selected(${indicators}, 'debt')", B(true)),
        ("selected(${indicators}, 'threats')", B(true)),
        ("selected(${indicators}, 'deb')", B(false)),
        ("selected(${indicators}, ' debt ')", B(true)),
        ("selected(${indicators}, '')", B(false)),
        ("is-selected(${indicators}, 'debt')", B(true)),
        ("count-selected(${indicators})", N(3.0)),
        ("selected-at(${indicators}, 1)", S("withheld_documents")),
        ("selected-at(${indicators}, 5)", S("")),
        ("selected-at(${indicators}, -1)", S("")),
        ("selected(${exploitation_type}, 'bonded_labour')", B(true)),
        ("${exploitation_type} = 'bonded_labour'", B(true)),
        (
            "not(selected(${indicators}, 'debt') and selected(${indicators}, 'threats'))",
            B(false),
        ),
        (
            "${age} < 18 and selected(${indicators}, 'withheld_documents')",
            B(true),
        ),
        (
            "jr:choice-name(${exploitation_type}, '${exploitation_type}')",
            S("Bonded labour"),
        ),
        ("jr:choice-name(${sex}, '${sex}')", S("Female")),
        ("jr:choice-name('unknown_choice', '${sex}')", S("")),
        ("jr:choice-name(${sex_unknown}, '${sex}')", S("")),
        // Text.
        ("string-length(${name})", N(9.0)),
        ("string-length(${hindi_name})", N(3.0)),
        ("concat('a', 1, true())", S("a1true")),
        ("concat()", S("")),
        ("contains(${case_no}, '2026')", B(true)),
        ("starts-with(${case_no}, 'FIR-')", B(true)),
        ("ends-with(${email}, '.org')", B(true)),
        ("substr(${case_no}, 4, 8)", S("2026")),
        ("substr(${case_no}, -4)", S("0042")),
        ("substr('abc', 2, 1)", S("")),
        ("substr(${hindi_name}, 1)", S("शा")),
        ("substring-before(${email}, '@')", S("worker")),
        ("substring-after(${email}, '@')", S("example.org")),
        ("substring-after(${email}, '#')", S("")),
        ("translate('bonded labour', ' ', '_')", S("bonded_labour")),
        ("translate('abc', 'abc', 'A')", S("A")),
        ("normalize-space(${alias})", S("Asha D.")),
        ("string-length(normalize-space('   '))", N(0.0)),
        ("\"it's\" = ‘it’", B(false)),
        ("${name} = “Asha Devi”", B(true)),
        // regex() matches the whole text.
        (
            r"regex(${email}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,4}')",
            B(true),
        ),
        ("regex(${phone}, '[0-9]{5} [0-9]{5}')", B(true)),
        ("regex(${phone}, '[0-9]{5}')", B(false)),
        (r"regex(${hindi_name}, '\p{Devanagari}+')", B(true)),
        ("regex(${age_unknown}, '[0-9]+')", B(false)),
        ("regex(${name}, concat('Asha', '.*'))", B(true)),
        (
            "regex(.,'^(([0-9]{1})*[- .(]*([0-9]{3})[- .)]*[0-9]{3}[- .]*[0-9]{4})+$')",
            B(true),
        ),
        // Dates, with today() = 2026-11-02 and now() = 14:30 at +05:30.
        ("today()", D("2026-11-02")),
        ("today() - ${dob}", N(5345.0)),
        ("int((today() - ${dob}) div 365.25)", N(14.0)),
        ("int((today() - ${dob}) div 365.25) < 18", B(true)),
        ("${dob} < today()", B(true)),
        ("${dob} > '2010-01-01'", B(true)),
        ("${dob} = '2012-03-15'", B(true)),
        ("${dob} = date('2012-03-15')", B(true)),
        ("date('2026-11-02') = today()", B(true)),
        ("date(0)", D("1970-01-01")),
        ("date(20394)", D("2025-11-02")),
        ("date(today() + 7)", D("2026-11-09")),
        ("date(${dob} + 1) = '2012-03-16'", B(true)),
        // A date plus days is a number, and text is no number.
        ("${dob} + 1 = '2012-03-16'", B(false)),
        ("decimal-date-time('1970-01-02')", N(1.0)),
        ("decimal-date-time(today())", N(20759.0)),
        ("decimal-date-time(${found_at})", N(20758.927083333332)),
        ("now() > today()", B(true)),
        ("${found_at} < now()", B(true)),
        ("format-date(${dob}, '%d/%m/%Y')", S("15/03/2012")),
        ("format-date(${dob}, '%e %b %Y, %a')", S("15 Mar 2012, Thu")),
        (
            "format-date-time(${found_at}, '%Y-%m-%d %H:%M')",
            S("2026-11-01 22:15"),
        ),
        (
            "format-date(now(), '%H:%M:%S.%3 %n/%y %q')",
            S("14:30:00.000 11/26 %q"),
        ),
        ("string(${found_at})", S("2026-11-01T22:15:00.000+05:30")),
        ("string(${dob})", S("2012-03-15")),
        (
            "date-time('2026-11-02T08:00:00Z')",
            T("2026-11-02T08:00:00.000+00:00"),
        ),
        (
            "date-time('2026-11-02T08:00')",
            T("2026-11-02T08:00:00.000+05:30"),
        ),
        (
            "date-time('2018-01-01T10:20:30.400+02')",
            T("2018-01-01T10:20:30.400+02:00"),
        ),
        ("date-time(0.5)", T("1970-01-01T12:00:00.000+05:30")),
        ("date(${found_at})", D("2026-11-01")),
        ("decimal-time(${start_time})", N(14.5 / 24.0)),
        ("decimal-time(${found_at})", N(22.25 / 24.0)),
        ("today() + 7 > ${dob}", B(true)),
        // `and`, `or`, if() and coalesce() evaluate only what they need: the broken
        // pattern on the other side is never compiled.
        ("true() or regex('x', concat('(', ''))", B(true)),
        ("false() and regex('x', concat('(', ''))", B(false)),
        ("if(true(), 'a', regex('x', concat('(', '')))", S("a")),
        ("coalesce('x', regex('x', concat('(', '')))", S("x")),
        ("${age} >= 18 or ${age} < 5", B(false)),
        ("not(${age} >= 18) and ${sex} = 'female'", B(true)),
        ("${sex}='female' and ${age}>=15 and ${age}<=49", B(false)),
        ("if(${age} < 18, 'minor', 'adult')", S("minor")),
        (
            "if(${sex}='male', 'M', if(${sex}='female', 'F', 'ERROR'))",
            S("F"),
        ),
        // The current question (a phone number being typed).
        (". = '9876543210'", B(true)),
        ("string-length()", N(10.0)),
        ("string-length(.) = 10", B(true)),
        ("once(concat('id-', ${case_no}))", S("9876543210")),
    ];

    #[test]
    fn expressions_evaluate_as_in_odk() {
        let env = field();
        let mut failures = Vec::new();
        for (src, want) in TABLE {
            match Expr::parse(src)
                .map_err(|e| e.to_string())
                .and_then(|e| e.eval(&env).map_err(|e| e.to_string()))
            {
                Ok(got) if matches(want, &got) => {}
                Ok(got) => failures.push(format!("{src}: want {want:?}, got {got:?}")),
                Err(e) => failures.push(format!("{src}: want {want:?}, error {e}")),
            }
        }
        assert!(TABLE.len() >= 80, "{} rows", TABLE.len());
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn once_keeps_the_first_value_and_fills_an_empty_one() {
        let mut env = field();
        env.current = None;
        let e = Expr::parse("once(concat('id-', ${case_no}))").unwrap();
        assert!(e.uses_current());
        assert_eq!(
            e.eval(&env).unwrap(),
            XValue::String("id-FIR-2026-0042".into())
        );
    }

    /// Parse errors: expression, byte offset, column, and words of the message.
    const ERRORS: &[(&str, usize, usize, &str)] = &[
        (
            "${age} < ",
            9,
            10,
            "expected a value, found the end of the expression",
        ),
        ("(${age} < 18", 12, 13, "expected `)`, found the end"),
        ("${age", 0, 1, "`${` has no closing `}`"),
        ("'abc", 0, 1, "no closing '"),
        ("${age} = 'yes", 9, 10, "no closing '"),
        ("${age} = \"yes", 9, 10, "no closing \""),
        ("foo(1)", 0, 1, "unknown function `foo()`"),
        (
            "pulldata('fruits', 'name','name', 'mango')",
            0,
            1,
            "`pulldata()` is not supported",
        ),
        ("1 + instance('x')", 4, 5, "`instance()` is not supported"),
        ("indexed-repeat(${a}, ${r}, 1)", 0, 1, "not supported"),
        ("position(..)", 0, 1, "`position()` is not supported"),
        (
            "round(1, 2, 3)",
            0,
            1,
            "`round()` takes 1 or 2 argument(s), not 3",
        ),
        ("if(1, 2)", 0, 1, "`if()` takes 3 argument(s), not 2"),
        ("not()", 0, 1, "`not()` takes 1 argument(s), not 0"),
        ("today(1)", 0, 1, "`today()` takes 0"),
        ("weighted-checklist(1, 2, 3)", 0, 1, "an even number"),
        ("selected(${x}, 1)", 0, 1, "must be in quotes"),
        ("count(3)", 0, 1, "question reference"),
        ("regex(., '[a-')", 9, 10, "invalid regular expression"),
        ("jr:choice-name(${q}, ${q})", 0, 1, "quoted reference"),
        ("../zone = '1_NW'", 0, 1, "XPath paths"),
        ("${a}/b", 4, 5, "XPath paths"),
        ("/data/a = 1", 0, 1, "XPath paths"),
        ("${a}[1]", 4, 5, "predicates"),
        ("zone = ${zone}", 0, 1, "write ${zone} for a question"),
        (
            "${a} = yes",
            7,
            8,
            "write ${yes} for a question, 'yes' for text",
        ),
        ("${a} == 1", 5, 6, "`==` is written `=`"),
        ("${a} && ${b}", 5, 6, "`&&` is written `and`"),
        ("!${a}", 0, 1, "not(…)"),
        ("${a b}", 0, 1, "`${a b}` is not a question name"),
        ("${}", 0, 1, "`${}` is not a question name"),
        ("${last-saved#name}", 0, 1, "last-saved"),
        ("$age", 0, 1, "variables"),
        ("@id", 0, 1, "attributes"),
        ("${a} | ${b}", 5, 6, "unions"),
        ("", 0, 1, "empty"),
        ("   ", 0, 1, "empty"),
        (
            "1 2",
            2,
            3,
            "expected an operator, `)` or the end of the expression, found `2`",
        ),
        ("${age} < 18 und ${x}", 12, 13, "found `und`"),
        ("concat('a',)", 11, 12, "expected a value, found `)`"),
        ("concat('a' 'b')", 11, 12, "expected `,` or `)`"),
        ("आयु > 5", 0, 1, "`आयु` alone is not a value"),
        ("'आशा' = ${x", 14, 9, "`${` has no closing `}`"),
        ("1 # 2", 2, 3, "unexpected character `#`"),
        (
            "${a} = 1]",
            8,
            9,
            "expected an operator, `)` or the end of the expression, found `]`",
        ),
    ];

    #[test]
    fn parse_errors_say_what_and_where() {
        let mut failures = Vec::new();
        for &(src, offset, column, words) in ERRORS {
            match Expr::parse(src) {
                Ok(_) => failures.push(format!("{src:?}: parsed")),
                Err(e) => {
                    let msg = e.to_string();
                    if e.offset != offset || e.column != column || !msg.contains(words) {
                        failures.push(format!(
                            "{src:?}: got offset {} column {} `{msg}`, want {offset}/{column} `{words}`",
                            e.offset, e.column
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn limits_on_length_and_depth() {
        let long = format!("{}1", "1 + ".repeat(MAX_SOURCE_BYTES / 4));
        assert!(matches!(
            Expr::parse(&long).unwrap_err().kind,
            ExprErrorKind::TooLong { .. }
        ));
        let nested = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert!(Expr::parse(&nested(MAX_DEPTH)).is_ok());
        let err = Expr::parse(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(err.kind, ExprErrorKind::TooDeep { max: MAX_DEPTH });
        assert_eq!(err.offset, MAX_DEPTH);
        let calls = format!(
            "{}1{}",
            "abs(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(
            Expr::parse(&calls).unwrap_err().kind,
            ExprErrorKind::TooDeep { .. }
        ));
        let minus = format!("{}1", "-".repeat(MAX_DEPTH + 1));
        assert!(matches!(
            Expr::parse(&minus).unwrap_err().kind,
            ExprErrorKind::TooDeep { .. }
        ));
        // A long flat chain is not deep.
        let chain = format!("{}1", "1 + ".repeat(1500));
        assert_eq!(
            Expr::parse(&chain).unwrap().eval(&field()).unwrap(),
            XValue::Number(1501.0)
        );
    }

    #[test]
    fn the_deepest_expression_evaluates_on_a_small_stack() {
        // Every precedence level at every nesting level: the deepest tree the limits
        // allow. 512 KiB is the stack of a secondary thread on iOS; optimized builds
        // need under 64 KiB for this, unoptimized ones under 512 KiB.
        let levels = MAX_DEPTH - 1;
        let open = "abs(1 or 1 and 1 = 1 < 1 + 1 * ".repeat(levels);
        let src = format!("{open}-1{}", ")".repeat(levels));
        let worker = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let e = Expr::parse(&src).unwrap();
                e.eval(&field()).unwrap()
            })
            .unwrap();
        assert_eq!(worker.join().unwrap(), XValue::Number(1.0));
    }

    #[test]
    fn evaluation_errors_carry_no_answers() {
        let env = field();
        let cases: &[(&str, EvalErrorKind)] = &[
            (
                "regex(${name}, concat('(', ${name}))",
                EvalErrorKind::InvalidRegex,
            ),
            (
                "date(${name})",
                EvalErrorKind::NotADate { function: "date" },
            ),
            (
                "date(1 div 0)",
                EvalErrorKind::DateOutOfRange { function: "date" },
            ),
            (
                "decimal-date-time(true())",
                EvalErrorKind::NotADate {
                    function: "decimal-date-time",
                },
            ),
            (
                "format-date(${case_no}, '%Y')",
                EvalErrorKind::NotADate {
                    function: "format-date",
                },
            ),
            (
                "uuid(2000000)",
                EvalErrorKind::TextTooLong {
                    function: "uuid",
                    limit: MAX_TEXT_BYTES,
                },
            ),
        ];
        for (src, kind) in cases {
            let err = Expr::parse(src).unwrap().eval(&env).unwrap_err();
            assert_eq!(&err.kind, kind, "{src}");
            assert!(!err.to_string().contains("Asha"), "{err}");
            assert!(!err.to_string().contains("FIR"), "{err}");
        }
        let err = Expr::parse("1 + date('x')")
            .unwrap()
            .eval(&env)
            .unwrap_err();
        assert_eq!((err.offset, err.column), (4, 5));
    }

    #[test]
    fn a_step_budget_ends_long_evaluations() {
        let src = format!("{}1", "1 + ".repeat(100));
        let e = Expr::parse(&src).unwrap();
        let err = e.eval_with_budget(&field(), 50).unwrap_err();
        assert_eq!(err.kind, EvalErrorKind::StepLimit { limit: 50 });
        assert!(e.eval(&field()).is_ok());
        // Values of a repeat count too.
        struct Huge;
        impl Env for Huge {
            fn value(&self, _: &str) -> Option<Value> {
                None
            }
            fn current(&self) -> Option<Value> {
                None
            }
            fn choice_label(&self, _: &str, _: &str) -> Option<String> {
                None
            }
            fn today(&self) -> NaiveDate {
                date("2026-11-02")
            }
            fn now(&self) -> DateTime<FixedOffset> {
                moment("2026-11-02T14:30:00+05:30")
            }
            fn values(&self, _: &str) -> Vec<Option<Value>> {
                vec![Some(Value::Text("x".repeat(1000))); 2000]
            }
        }
        let e = Expr::parse("count(${visits})").unwrap();
        assert!(matches!(
            e.eval_with_budget(&Huge, 1000).unwrap_err().kind,
            EvalErrorKind::StepLimit { .. }
        ));
        let e = Expr::parse("join(',', ${visits})").unwrap();
        assert!(matches!(
            e.eval(&Huge).unwrap_err().kind,
            EvalErrorKind::TextTooLong {
                function: "join",
                ..
            }
        ));
    }

    #[test]
    fn references_list_each_question_once() {
        let e = Expr::parse(
            "${age} < 18 and selected(${indicators}, 'debt') or ${age} = '' \
             or jr:choice-name(${exploitation_type}, '${sex}') = ''",
        )
        .unwrap();
        let names: Vec<&str> = e.references().iter().map(String::as_str).collect();
        assert_eq!(names, ["age", "exploitation_type", "indicators", "sex"]);
        assert!(!e.uses_current());
        assert!(e.choice_columns().is_empty());
        assert!(Expr::parse(". > 0").unwrap().uses_current());
        assert!(Expr::parse("string-length() > 0").unwrap().uses_current());
        assert!(
            !Expr::parse("string-length('a') > 0")
                .unwrap()
                .uses_current()
        );
        assert_eq!(e.to_string(), e.source());
    }

    #[test]
    fn choice_filters_read_choice_columns() {
        let env = field();
        let e = Expr::parse_choice_filter("state = ${state}").unwrap();
        assert_eq!(e.eval(&env).unwrap(), XValue::Boolean(true));
        assert!(e.choice_columns().contains("state"));
        assert!(e.references().contains("state"));
        let e =
            Expr::parse_choice_filter("village=${village} and plant_phase=${plant_phase}").unwrap();
        assert_eq!(e.choice_columns().len(), 2);
        assert!(Expr::parse_choice_filter("name != 'x' and pastel=yes").is_ok());
        let err = Expr::parse_choice_filter("label::English != ''").unwrap_err();
        assert!(err.to_string().contains("axes"), "{err}");
        assert!(Expr::parse("state = ${state}").is_err());
    }

    #[test]
    fn the_shared_forms_expressions_parse() {
        // Every relevant, constraint, calculation and choice filter of the example forms
        // in ../shared/xlsforms that uses the supported language.
        for src in [
            "${age} >= 18",
            "${any_trees} = ‘yes’",
            "${health_id}=‘dead’",
            "${mylga_state}='state_1'",
            "${sex}='female' and ${age_in_years}>=15 and ${age_in_years}<=49",
            ". < ${slope_radius}",
            ". > 10.51 and . < 18.39",
            ". >=  ${size_constraint}",
            ". >= today()",
            "2+2",
            "if(${calculate_test_output}=${calculate_test_output}, 'success', 'error')",
            "if(${mylga_state}='state_1', ${mylga_lga_in_state_1}, if(${mylga_state}='state_2', \
             ${mylga_lga_in_state_2}, 'ERROR'))",
            "if(${tree_distance} > ${slope_radius_inner}, 15, 6)",
            "not(selected(${skip_to_end}, 'yes'))",
            "not(selected(., 'yes') and selected (., 'no'))",
            r"regex(${address}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,4}')",
            "round(5 div (sqrt(cos(atan(${slope} div 100)))),2)",
            "true()",
        ] {
            assert!(Expr::parse(src).is_ok(), "{src}: {:?}", Expr::parse(src));
        }
        for src in [
            "YES_NO=${q1}",
            "${state}=cf",
            "district_id=${district_id}",
            "pastel=yes",
        ] {
            assert!(Expr::parse_choice_filter(src).is_ok(), "{src}");
        }
    }

    #[test]
    fn conversions_follow_xpath() {
        assert!(!XValue::Number(f64::NAN).as_bool());
        assert!(XValue::Date(date("1970-01-01")).as_bool());
        assert_eq!(XValue::Date(date("1970-01-11")).as_number(), 10.0);
        assert_eq!(XValue::Number(-0.0).as_string(), "0");
        assert_eq!(XValue::Number(1e21).as_string(), "1000000000000000000000");
        assert_eq!(XValue::Number(0.1 + 0.2).as_string(), "0.30000000000000004");
        assert_eq!(
            XValue::String("".into()).as_number().to_bits(),
            f64::NAN.to_bits()
        );
        assert!(XValue::empty().is_empty() && XValue::Number(f64::NAN).is_empty());
        assert!(!XValue::Number(0.0).is_empty());
        assert_eq!(
            XValue::from(Value::Choices(vec!["a".into(), "b".into()])),
            XValue::String("a b".into())
        );
        let uuid = Expr::parse("uuid()")
            .unwrap()
            .eval(&field())
            .unwrap()
            .as_string();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        let id = Expr::parse("uuid(12)")
            .unwrap()
            .eval(&field())
            .unwrap()
            .as_string();
        assert!(id.len() == 12 && id.chars().all(|c| c.is_ascii_alphanumeric()));
        let r = Expr::parse("random()")
            .unwrap()
            .eval(&field())
            .unwrap()
            .as_number();
        assert!((0.0..1.0).contains(&r));
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn garbage_never_panics() {
        const PIECES: &[&str] = &[
            "(",
            ")",
            "((",
            "))",
            "${",
            "}",
            "${age}",
            "${indicators}",
            "${x",
            "'",
            "\"",
            "‘",
            "”",
            "'a'",
            ",",
            "-",
            "+",
            "*",
            "div",
            "mod",
            "and",
            "or",
            " ",
            "  ",
            ".",
            "..",
            "/",
            "[",
            "]",
            "@",
            "$",
            "::",
            ":",
            "|",
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "!",
            "1",
            "0",
            "0.5",
            "1e5",
            "9999999999999999999999999",
            ".5",
            "5.",
            "selected(",
            "if(",
            "coalesce(",
            "concat(",
            "regex(",
            "'[a-'",
            "'(a+)+$'",
            "date(",
            "today()",
            "now()",
            "round(",
            "pow(",
            "substr(",
            "jr:choice-name(",
            "'${sex}'",
            "count(",
            "sum(",
            "format-date(",
            "'%Y%'",
            "int(",
            "number(",
            "once(",
            "uuid(",
            "pulldata(",
            "instance(",
            "foo(",
            "é",
            "आयु",
            "😀",
            "\u{0}",
            "\n",
            "\t",
            "\u{202E}",
            "€",
            "decimal-date-time(",
            "date-time(",
            "selected-at(",
            "translate(",
            "-1",
            "1 div 0",
            "string-length(",
            "join(",
            "max(",
            "checklist(",
            "weighted-checklist(",
        ];
        let env = field();
        let mut rng = Rng(0x5afe_4ee9);
        let mut parsed = 0;
        for _ in 0..20_000 {
            let n = 1 + rng.below(24);
            let src: String = (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            if let Ok(e) = Expr::parse(&src) {
                parsed += 1;
                let _ = e.eval(&env);
                let _ = Expr::parse_choice_filter(&src).map(|e| e.eval(&env));
            }
        }
        assert!(
            parsed > 100,
            "only {parsed} parsed: the generator is too wild"
        );
        // Random characters from across Unicode.
        for _ in 0..5_000 {
            let n = rng.below(40);
            let src: String = (0..n)
                .filter_map(|_| {
                    let c = match rng.below(4) {
                        0 => rng.below(0x80) as u32,
                        1 => 0x900 + rng.below(0x80) as u32,
                        2 => rng.below(0x11_0000) as u32,
                        _ => {
                            let specials = b"()${}'\". -=<>";
                            u32::from(specials[rng.below(specials.len())])
                        }
                    };
                    char::from_u32(c)
                })
                .collect();
            if let Ok(e) = Expr::parse(&src) {
                let _ = e.eval(&env);
            }
        }
        // Shapes that break naive parsers.
        for src in [
            "(".repeat(10_000),
            ")".repeat(10_000),
            "-".repeat(10_000),
            format!("{}1", "-".repeat(8000)),
            "${".repeat(3000),
            "'".repeat(7),
            format!("{}1{}", "not(".repeat(2000), ")".repeat(2000)),
            format!("{}1", "1 and ".repeat(1300)),
            "$".to_owned(),
            "${".to_owned(),
            "}".to_owned(),
            ".".repeat(100),
            "1.2.3".to_owned(),
            "9".repeat(8000),
            format!("regex('a', '{}')", "(".repeat(100)),
            format!("regex('aaaa', '{}')", "(a*)*".repeat(500)),
            "regex('x', 'a{1000}{1000}')".to_owned(),
            "round(1, 1 div 0)".to_owned(),
            "round(1e300 * 10, 2)".to_owned(),
            "round(0.000000000000000000000000000001, 30)".to_owned(),
            "round(-1e308, -30)".to_owned(),
            "substr('abc', -1 div 0, 1 div 0)".to_owned(),
            "selected-at('a b', 1 div 0)".to_owned(),
            "date(2147483647)".to_owned(),
            "date-time(-2147483647)".to_owned(),
            "date('+999999-01-01')".to_owned(),
            "decimal-time('99:99')".to_owned(),
            "format-date(date-time(2000000), '%Y %%')".to_owned(),
            "uuid(-5)".to_owned(),
            "pow(-8, 1 div 3)".to_owned(),
        ] {
            if let Ok(e) = Expr::parse(&src) {
                let _ = e.eval(&env);
            }
        }
    }
}
