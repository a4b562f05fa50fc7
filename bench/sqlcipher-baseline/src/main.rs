//! SQLCipher baseline for the Safekeep vault benchmark.
//!
//! rusqlite's `bundled` and `bundled-sqlcipher` features cannot be linked into
//! one build, so the SQLCipher figures come from this separate program. It runs
//! the same workload shape as the main bench does for plain SQLite:
//!
//! * a fresh database in its own temp dir, keyed with a raw 256-bit key (so
//!   SQLCipher's PBKDF2 is not measured), `journal_mode=WAL`,
//!   `synchronous=FULL`, table `records(id BLOB PRIMARY KEY, body TEXT)`;
//! * bulk insert of N ~1 KiB JSON records in one transaction;
//! * M single-row inserts, each its own (autocommit) transaction, p50/p99;
//! * a full scan that parses every body with serde_json, on a fresh connection,
//!   run three times, median reported.
//!
//! Payloads are generated before the timers start, so only store work is timed.
//!
//! Usage: `sqlcipher-baseline [--records N] [--single M] [--out FILE]`

use std::error::Error;
use std::fmt::Display;
use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

type BoxResult<T> = Result<T, Box<dyn Error>>;

const DEFAULT_RECORDS: usize = 100_000;
const DEFAULT_SINGLE: usize = 1_000;
const SCAN_RUNS: usize = 3;

/// Every serialized record is padded (via `notes`) to exactly this many bytes.
const TARGET_PAYLOAD_BYTES: usize = 1024;
/// The range the workload promises; checked for every record.
const PAYLOAD_BYTES_RANGE: std::ops::RangeInclusive<usize> = 1000..=1050;

/// Fixed raw key (64 hex digits = 256 bits). A raw key skips the KDF.
const RAW_KEY_HEX: &str = "5afe6ee95afe6ee90123456789abcdeffedcba9876543210a5a5a5a55a5a5a5a";

const INSERT_SQL: &str = "INSERT INTO records (id, body) VALUES (?1, ?2)";
const USAGE: &str = "usage: sqlcipher-baseline [--records N] [--single M] [--out FILE]\n\
    \n  --records N   records in the bulk insert (default 100000)\
    \n  --single M    single-row autocommit inserts to time (default 1000)\
    \n  --out FILE    write the JSON results to FILE";

/// Adds a description to any error on its way out of `main`.
trait Context<T> {
    fn context(self, what: impl Display) -> BoxResult<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> BoxResult<T> {
        self.map_err(|e| format!("{what}: {e}").into())
    }
}

#[derive(Debug, PartialEq)]
struct Args {
    records: usize,
    single: usize,
    out: Option<PathBuf>,
}

/// Parses the command line; `Ok(None)` means `--help` was asked for.
fn parse_args(args: impl IntoIterator<Item = String>) -> BoxResult<Option<Args>> {
    let mut parsed = Args {
        records: DEFAULT_RECORDS,
        single: DEFAULT_SINGLE,
        out: None,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !matches!(flag.as_str(), "--records" | "--single" | "--out") {
            return Err(format!("unknown argument `{arg}`\n{USAGE}").into());
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?,
        };
        match flag.as_str() {
            "--out" => parsed.out = Some(PathBuf::from(value)),
            _ => {
                let n: usize = value
                    .parse()
                    .context(format!("{flag} expects a positive integer, got `{value}`"))?;
                if n == 0 {
                    return Err(format!("{flag} must be at least 1").into());
                }
                if flag == "--records" {
                    parsed.records = n;
                } else {
                    parsed.single = n;
                }
            }
        }
    }
    Ok(Some(parsed))
}

/// An identification-sized record, as the vault stores them.
#[derive(Serialize)]
struct Record {
    name: String,
    alias: &'static str,
    sex: &'static str,
    age: u64,
    age_estimated: bool,
    nationality: &'static str,
    languages: [&'static str; 2],
    exploitation_type: &'static str,
    indicators: [&'static str; 4],
    found_at: &'static str,
    operation_date: &'static str,
    consent: bool,
    notes: String,
}

const ALIASES: [&str; 4] = ["Ashu", "Didi", "Munni", "Rani"];
const NOTE_FILLER: &str = "Met during a labour inspection at the site; referred to shelter \
    intake; interpreter requested for follow-up interview; no documents held by the person; \
    employer claims debt owed for travel and lodging. ";

/// `len` bytes of deterministic ASCII text that JSON does not need to escape.
fn filler(len: usize) -> String {
    NOTE_FILLER.chars().cycle().take(len).collect()
}

/// SplitMix64: a bijective scramble, so ids land at random places in the index as the
/// vault's random record ids do, yet every run uses the same ones.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 16-byte primary key of record `i`: scattered like a random id, distinct per `i`.
fn record_id(i: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&splitmix64(i).to_be_bytes());
    out[8..].copy_from_slice(&i.to_be_bytes());
    out
}

/// The serialized JSON body of record `i`, padded to `TARGET_PAYLOAD_BYTES`.
fn payload(i: u64) -> BoxResult<String> {
    let mut rec = Record {
        name: format!("Asha Devi {i}"),
        alias: ALIASES[(i % 4) as usize],
        sex: if i.is_multiple_of(2) {
            "female"
        } else {
            "male"
        },
        age: 14 + i % 30,
        age_estimated: i.is_multiple_of(3),
        nationality: "Nepal",
        languages: ["Nepali", "Hindi"],
        exploitation_type: "forced_labour",
        indicators: [
            "debt_bondage",
            "document_retention",
            "restricted_movement",
            "withheld_wages",
        ],
        found_at: "Brick kiln, Sector 7, Bhiwandi",
        operation_date: "2026-11-02",
        consent: !i.is_multiple_of(5),
        notes: String::new(),
    };
    let bare = serde_json::to_string(&rec)
        .context("serializing record")?
        .len();
    let pad = TARGET_PAYLOAD_BYTES
        .checked_sub(bare)
        .ok_or_else(|| format!("record {i} is {bare} bytes before padding"))?;
    rec.notes = filler(pad);
    let body = serde_json::to_string(&rec).context("serializing record")?;
    if !PAYLOAD_BYTES_RANGE.contains(&body.len()) {
        return Err(format!("record {i} serialized to {} bytes", body.len()).into());
    }
    Ok(body)
}

/// Nearest-rank percentile of an ascending, non-empty slice.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let n = sorted.len();
    let rank = (p * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> BoxResult<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("system clock is before 1970")?
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "safekeep-sqlcipher-baseline-{}-{nanos}",
            process::id()
        ));
        fs::create_dir(&path).context(format!("creating {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.0) {
            eprintln!("warning: could not remove {}: {e}", self.0.display());
        }
    }
}

/// Opens `path`, applies the raw key and the durability settings, and checks
/// that each took effect.
fn open_keyed(path: &Path) -> BoxResult<Connection> {
    let conn = Connection::open(path).context(format!("opening {}", path.display()))?;
    conn.execute_batch(&format!("PRAGMA key = \"x'{RAW_KEY_HEX}'\";"))
        .context("PRAGMA key")?;
    // The key is only checked when a page is read; fail here, not mid-timing.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .context("reading the schema with the key (wrong key or not SQLCipher?)")?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .context("PRAGMA journal_mode=WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("journal_mode is `{mode}`, expected wal").into());
    }
    conn.execute_batch("PRAGMA synchronous=FULL;")
        .context("PRAGMA synchronous=FULL")?;
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .context("PRAGMA synchronous")?;
    if sync != 2 {
        return Err(format!("synchronous is {sync}, expected 2 (FULL)").into());
    }
    Ok(conn)
}

/// A text-valued PRAGMA that SQLCipher answers and plain SQLite ignores.
fn cipher_pragma(conn: &Connection, name: &str) -> BoxResult<Option<String>> {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .optional()
        .context(format!("PRAGMA {name}"))
}

fn close(conn: Connection) -> BoxResult<()> {
    conn.close()
        .map_err(|(_, e)| e)
        .context("closing the database")
}

#[derive(Serialize)]
struct Results {
    store: &'static str,
    records: usize,
    bulk_insert_rows_per_s: f64,
    single_commit_p50_us: f64,
    single_commit_p99_us: f64,
    scan_rows_per_s: f64,
    sqlcipher_version: String,
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let n = args.records;
    let m = args.single;

    let dir = TempDir::new()?;
    let db_path = dir.0.join("baseline.db");

    let mut conn = open_keyed(&db_path)?;
    let sqlcipher_version = cipher_pragma(&conn, "cipher_version")?
        .filter(|v| !v.is_empty())
        .ok_or("PRAGMA cipher_version returned nothing: the linked SQLite is not SQLCipher")?;
    let provider = cipher_pragma(&conn, "cipher_provider")?.unwrap_or_default();
    let provider_version = cipher_pragma(&conn, "cipher_provider_version")?.unwrap_or_default();
    let sqlite_version: String = conn
        .query_row("SELECT sqlite_version()", [], |r| r.get(0))
        .context("sqlite_version()")?;
    conn.execute_batch("CREATE TABLE records (id BLOB PRIMARY KEY, body TEXT NOT NULL);")
        .context("creating table records")?;

    // Payloads first, so serialization is not timed.
    let bulk_payloads = (0..n as u64).map(payload).collect::<BoxResult<Vec<_>>>()?;
    let single_payloads = (n as u64..(n + m) as u64)
        .map(payload)
        .collect::<BoxResult<Vec<_>>>()?;

    // Bulk insert: one transaction, one prepared statement.
    let start = Instant::now();
    let tx = conn.transaction().context("BEGIN")?;
    {
        let mut stmt = tx.prepare(INSERT_SQL).context("preparing insert")?;
        for (i, body) in bulk_payloads.iter().enumerate() {
            stmt.execute(params![&record_id(i as u64)[..], body])
                .context(format!("bulk insert of record {i}"))?;
        }
    }
    tx.commit().context("COMMIT of the bulk insert")?;
    let bulk_elapsed = start.elapsed();
    drop(bulk_payloads);
    let bulk_rate = n as f64 / bulk_elapsed.as_secs_f64();

    // Single-row commits: each insert is its own autocommit transaction.
    let mut latencies = Vec::with_capacity(m);
    {
        let mut stmt = conn.prepare(INSERT_SQL).context("preparing insert")?;
        for (k, body) in single_payloads.iter().enumerate() {
            let i = (n + k) as u64;
            let t = Instant::now();
            stmt.execute(params![&record_id(i)[..], body])
                .context(format!("single insert of record {i}"))?;
            latencies.push(t.elapsed());
        }
    }
    drop(single_payloads);
    latencies.sort_unstable();
    let p50 = percentile(&latencies, 0.50);
    let p99 = percentile(&latencies, 0.99);
    close(conn)?;

    // The file on disk must not be a plain SQLite database.
    let header = fs::read(&db_path).context(format!("reading {}", db_path.display()))?;
    if header.len() < 16 || header.starts_with(b"SQLite format 3\0") {
        return Err("database file is not encrypted (plain SQLite header)".into());
    }

    // Full scan, each run on a fresh connection; median of the runs.
    let expected_rows = (n + m) as u64;
    let mut scan_rates = Vec::with_capacity(SCAN_RUNS);
    for run in 1..=SCAN_RUNS {
        let conn = open_keyed(&db_path)?;
        let mut rows_seen = 0u64;
        let mut age_sum = 0u64;
        let start = Instant::now();
        {
            let mut stmt = conn
                .prepare("SELECT id, body FROM records")
                .context("preparing scan")?;
            let mut rows = stmt.query([]).context("starting scan")?;
            while let Some(row) = rows.next().context("scanning")? {
                let id = row.get_ref(0).context("reading id")?.as_blob()?;
                if id.len() != 16 {
                    return Err(format!("id of {} bytes, expected 16", id.len()).into());
                }
                let body = row.get_ref(1).context("reading body")?.as_str()?;
                let value: Value = serde_json::from_str(body).context("parsing body")?;
                age_sum += value
                    .get("age")
                    .and_then(Value::as_u64)
                    .ok_or("record without an integer age")?;
                rows_seen += 1;
            }
        }
        let elapsed = start.elapsed();
        black_box(age_sum);
        close(conn)?;
        if rows_seen != expected_rows {
            return Err(
                format!("scan {run} saw {rows_seen} rows, expected {expected_rows}").into(),
            );
        }
        scan_rates.push(rows_seen as f64 / elapsed.as_secs_f64());
    }
    let mut sorted_rates = scan_rates.clone();
    sorted_rates.sort_by(f64::total_cmp);
    let scan_rate = sorted_rates[sorted_rates.len() / 2];

    let results = Results {
        store: "sqlcipher",
        records: n,
        bulk_insert_rows_per_s: round1(bulk_rate),
        single_commit_p50_us: round1(micros(p50)),
        single_commit_p99_us: round1(micros(p99)),
        scan_rows_per_s: round1(scan_rate),
        sqlcipher_version: sqlcipher_version.clone(),
    };

    println!(
        "SQLCipher baseline: SQLCipher {sqlcipher_version}, SQLite {sqlite_version}, \
         provider {provider} {provider_version}"
    );
    println!(
        "  setup          raw 256-bit key, journal_mode=WAL, synchronous=FULL, \
         {TARGET_PAYLOAD_BYTES}-byte JSON bodies"
    );
    println!(
        "  bulk insert    {n} rows, one transaction, {:.3} s -> {:.0} rows/s",
        bulk_elapsed.as_secs_f64(),
        bulk_rate
    );
    println!(
        "  single commit  {m} autocommit inserts: p50 {:.1} us, p99 {:.1} us",
        micros(p50),
        micros(p99)
    );
    let runs: Vec<String> = scan_rates.iter().map(|r| format!("{r:.0}")).collect();
    println!(
        "  full scan      {expected_rows} rows + JSON parse, fresh connection, \
         median of {SCAN_RUNS}: {scan_rate:.0} rows/s (runs: {})",
        runs.join(", ")
    );

    if let Some(out) = &args.out {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).context(format!("creating {}", parent.display()))?;
        }
        let mut json = serde_json::to_string_pretty(&results).context("encoding results")?;
        json.push('\n');
        fs::write(out, json).context(format!("writing {}", out.display()))?;
        println!("  results        {}", out.display());
    }

    drop(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> BoxResult<Option<Args>> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn payloads_are_identification_sized_and_deterministic() {
        for i in [0, 1, 9, 10, 99_999, 100_000, 1_000_000_000] {
            let body = payload(i).expect("payload");
            assert!(PAYLOAD_BYTES_RANGE.contains(&body.len()), "{}", body.len());
            assert_eq!(body, payload(i).expect("payload"));
            let v: Value = serde_json::from_str(&body).expect("valid JSON");
            assert_eq!(v["name"], format!("Asha Devi {i}"));
            assert_eq!(v["indicators"].as_array().map(Vec::len), Some(4));
            assert_eq!(v["operation_date"], "2026-11-02");
        }
    }

    #[test]
    fn ids_are_distinct_and_scattered() {
        let ids: std::collections::BTreeSet<_> = (0..10_000).map(record_id).collect();
        assert_eq!(ids.len(), 10_000);
        let ascending = (0..1000u64)
            .filter(|&i| record_id(i) < record_id(i + 1))
            .count();
        assert!(
            (300..700).contains(&ascending),
            "ids should not come in index order"
        );
        assert!(RAW_KEY_HEX.len() == 64 && RAW_KEY_HEX.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=200).map(Duration::from_micros).collect();
        assert_eq!(percentile(&v, 0.50), Duration::from_micros(100));
        assert_eq!(percentile(&v, 0.99), Duration::from_micros(198));
        assert_eq!(percentile(&v[..1], 0.99), Duration::from_micros(1));
    }

    #[test]
    fn argument_parsing() {
        let a = args(&[]).expect("ok").expect("some");
        assert_eq!((a.records, a.single, a.out), (100_000, 1_000, None));
        let a = args(&["--records", "20", "--single=3", "--out", "x.json"])
            .expect("ok")
            .expect("some");
        assert_eq!(a.records, 20);
        assert_eq!(a.single, 3);
        assert_eq!(a.out, Some(PathBuf::from("x.json")));
        assert!(args(&["--help"]).expect("ok").is_none());
        assert!(args(&["--records"]).is_err());
        assert!(args(&["--records", "0"]).is_err());
        assert!(args(&["--records", "ten"]).is_err());
        assert!(args(&["--bogus"]).is_err());
    }
}
