//! Test support (feature `test-support`): a scratch PostgreSQL database per test, on
//! the server named by `SAFEKEEP_TEST_POSTGRES` (`postgres://user@host:port`, no
//! database; `scripts/postgres.sh` starts a throwaway one). Never part of a server
//! build.

use postgres::types::Type;
use postgres::{Client, NoTls};

/// The variable naming the PostgreSQL server the tests may use.
pub const POSTGRES_ENV: &str = "SAFEKEEP_TEST_POSTGRES";

/// A database created for one test and dropped after it.
pub struct ScratchDatabase {
    base: String,
    name: String,
}

impl ScratchDatabase {
    /// Creates an empty database, or `None` (after saying so on stderr) when no test
    /// server is configured. Panics when one is configured but cannot be used: a
    /// broken test setup must fail, not skip.
    pub fn create(test: &str) -> Option<Self> {
        let Ok(base) = std::env::var(POSTGRES_ENV) else {
            eprintln!(
                "skipping the PostgreSQL half of {test}: {POSTGRES_ENV} is not set \
                 (scripts/postgres.sh starts a throwaway PostgreSQL)"
            );
            return None;
        };
        let base = base.trim_end_matches('/').to_owned();
        let mut raw = [0u8; 8];
        getrandom::fill(&mut raw).expect("random bytes");
        let name = format!(
            "safekeep_test_{}",
            raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let mut admin = Client::connect(&format!("{base}/postgres"), NoTls)
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but cannot be reached: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a scratch database");
        Some(Self { base, name })
    }

    /// The URL a server is given (`--database-url`).
    pub fn url(&self) -> String {
        format!("{}/{}", self.base, self.name)
    }

    /// Every value in every table of the database, as bytes (BYTEA as stored, text as
    /// UTF-8, numbers as decimal text): what someone who copied the database holds.
    pub fn contents(&self) -> Vec<u8> {
        let mut client = Client::connect(&self.url(), NoTls).expect("connect");
        let tables: Vec<String> = client
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                &[],
            )
            .expect("list tables")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut out = Vec::new();
        for table in tables {
            for row in client
                .query(&format!("SELECT * FROM {table}"), &[])
                .expect("read a table")
            {
                for (i, column) in row.columns().iter().enumerate() {
                    match *column.type_() {
                        Type::BYTEA => {
                            if let Some(v) = row.get::<_, Option<Vec<u8>>>(i) {
                                out.extend(v);
                            }
                        }
                        Type::TEXT => {
                            if let Some(v) = row.get::<_, Option<String>>(i) {
                                out.extend(v.into_bytes());
                            }
                        }
                        Type::INT8 => {
                            if let Some(v) = row.get::<_, Option<i64>>(i) {
                                out.extend(v.to_string().into_bytes());
                            }
                        }
                        Type::INT4 => {
                            if let Some(v) = row.get::<_, Option<i32>>(i) {
                                out.extend(v.to_string().into_bytes());
                            }
                        }
                        ref other => panic!("column type {other} is not read by this scan"),
                    }
                    out.push(b'\n');
                }
            }
        }
        out
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&format!("{}/postgres", self.base), NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
