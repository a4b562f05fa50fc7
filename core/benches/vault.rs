//! The vault against its baselines, same data, same run: plain rusqlite (JSON, no
//! encryption), the raw XChaCha20-Poly1305 open rate, Argon2id alone, and (read from
//! the file `bench/run.sh` writes) rusqlite with SQLCipher. Prints figures and ratios.
//!
//! `bench/run.sh` runs everything; `cargo bench -p safekeep-core --bench vault` runs
//! this part alone (without SQLCipher ratios). Sizes: SAFEKEEP_BENCH_RECORDS (100000),
//! SAFEKEEP_BENCH_SINGLE (1000).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use safekeep_core::crypto::{self, KdfParams, Passphrase, Place, Sealer, SecretKey};
use safekeep_core::{Answers, FormRef, RecordFilter, RecordId, Unlock, Value, Vault, VaultOptions};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An identification-sized record (~1 KiB as JSON), the same for every store.
fn answers(i: usize) -> Answers {
    let mut a = Answers::new();
    let text = |s: String| Value::Text(s);
    a.insert("name".into(), text(format!("Asha Devi {i}")));
    a.insert("alias".into(), text(format!("Ashu {i}")));
    a.insert("sex".into(), Value::Choice("female".into()));
    a.insert("age".into(), Value::Integer((i % 60) as i64 + 8));
    a.insert("age_estimated".into(), Value::Boolean(i.is_multiple_of(3)));
    a.insert("nationality".into(), Value::Choice("IN".into()));
    a.insert(
        "languages".into(),
        Value::Choices(vec!["hi".into(), "bho".into()]),
    );
    a.insert(
        "exploitation_type".into(),
        Value::Choice("bonded_labour".into()),
    );
    a.insert(
        "indicators".into(),
        Value::Choices(vec![
            "debt".into(),
            "withheld_documents".into(),
            "restricted_movement".into(),
            "threats".into(),
        ]),
    );
    a.insert(
        "found_at".into(),
        text(format!("Kiln {} , Rampur brick field", i % 40)),
    );
    a.insert(
        "operation_date".into(),
        Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()),
    );
    a.insert("consent".into(), Value::Boolean(true));
    let filler = "Owner holds her documents; family owes an advance taken two seasons ago. ";
    let json_len = json_body(&a).len();
    a.insert(
        "notes".into(),
        text(
            filler
                .repeat(20)
                .chars()
                .take(1024usize.saturating_sub(json_len + 12))
                .collect(),
        ),
    );
    a
}

fn json_body(a: &Answers) -> String {
    let map: serde_json::Map<String, serde_json::Value> = a
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.to_string())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// SplitMix64: a bijective scramble, so ids land at random places in the index as the
/// vault's random record ids do, yet every run uses the same ones.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Baseline ids, scattered like the vault's random record ids (random keys cost more
/// to index than sequential ones) and the same as the SQLCipher baseline's.
fn id_bytes(i: usize) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&splitmix64(i as u64).to_be_bytes());
    out[8..].copy_from_slice(&(i as u64).to_be_bytes());
    out
}

struct Figures {
    bulk_rows_per_s: f64,
    single_p50_us: f64,
    single_p99_us: f64,
    scan_rows_per_s: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize - 1;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn plain_sqlite(dir: &Path, n: usize, single: usize, bodies: &[String]) -> Figures {
    let path = dir.join("plain.db");
    let mut conn = Connection::open(&path).unwrap();
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
        .unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE records (id BLOB PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    let started = Instant::now();
    {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO records (id, body) VALUES (?1, ?2)")
                .unwrap();
            for (i, body) in bodies.iter().enumerate().take(n) {
                stmt.execute(params![id_bytes(i).as_slice(), body]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let bulk = n as f64 / started.elapsed().as_secs_f64();
    let mut lat = Vec::with_capacity(single);
    for j in 0..single {
        let started = Instant::now();
        conn.prepare_cached("INSERT INTO records (id, body) VALUES (?1, ?2)")
            .unwrap()
            .execute(params![
                id_bytes(n + j).as_slice(),
                &bodies[j % bodies.len()]
            ])
            .unwrap();
        lat.push(started.elapsed());
    }
    lat.sort();
    drop(conn);
    let rows = n + single;
    let scans: Vec<f64> = (0..3)
        .map(|_| {
            let conn = Connection::open(&path).unwrap();
            let started = Instant::now();
            let mut stmt = conn.prepare("SELECT id, body FROM records").unwrap();
            let mut q = stmt.query([]).unwrap();
            let mut count = 0;
            while let Some(row) = q.next().unwrap() {
                let body: String = row.get(1).unwrap();
                black_box(serde_json::from_str::<serde_json::Value>(&body).unwrap());
                count += 1;
            }
            assert_eq!(count, rows);
            rows as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    Figures {
        bulk_rows_per_s: bulk,
        single_p50_us: percentile(&lat, 50.0),
        single_p99_us: percentile(&lat, 99.0),
        scan_rows_per_s: median(scans),
    }
}

struct VaultFigures {
    figures: Figures,
    unlock_ms: f64,
    passwd_ms: f64,
    unlock_overhead_ms: f64,
    passwd_overhead_ms: f64,
    state_bytes: usize,
}

fn vault_store(dir: &Path, n: usize, single: usize, all: &[Answers]) -> VaultFigures {
    let vdir = dir.join("vault");
    let passphrase = Passphrase::new("bench passphrase");
    let (vault, _) = Vault::create(&vdir, &passphrase, VaultOptions::default()).unwrap();
    let form = FormRef::new("victim_identification");
    let case = vault.create_case(Answers::new()).unwrap();
    // Owned answers prepared before the clock starts, as the baseline's JSON is.
    let owned: Vec<Answers> = all.iter().take(n).cloned().collect();
    let started = Instant::now();
    vault
        .batch(|b| {
            for answers in owned {
                b.add_submission(case, form.clone(), answers)?;
            }
            Ok(())
        })
        .unwrap();
    let bulk = n as f64 / started.elapsed().as_secs_f64();
    let mut lat = Vec::with_capacity(single);
    let owned: Vec<Answers> = (0..single).map(|j| all[j % all.len()].clone()).collect();
    for answers in owned {
        let started = Instant::now();
        vault.add_submission(case, form.clone(), answers).unwrap();
        lat.push(started.elapsed());
    }
    lat.sort();
    vault.close().unwrap();

    // Argon2id alone, right before, so the overhead is not lost in the machine's drift.
    let kdf_before_unlock = argon2_once_ms();
    let started = Instant::now();
    let vault = Vault::open(
        &vdir,
        Unlock::Passphrase(&passphrase),
        VaultOptions::default(),
    )
    .unwrap();
    let unlock_ms = started.elapsed().as_secs_f64() * 1e3;
    let rows = n + single;
    let scans: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            let mut count = 0;
            vault
                .for_each(&RecordFilter::default(), |r| {
                    black_box(&r);
                    count += 1;
                })
                .unwrap();
            assert_eq!(count, rows + 1);
            rows as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    let kdf_before_passwd = argon2_once_ms();
    let started = Instant::now();
    vault
        .change_passphrase(&Passphrase::new("another bench passphrase"))
        .unwrap();
    let passwd_ms = started.elapsed().as_secs_f64() * 1e3;
    let state_bytes = std::fs::metadata(vdir.join("vault.db"))
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    vault.close().unwrap();
    VaultFigures {
        figures: Figures {
            bulk_rows_per_s: bulk,
            single_p50_us: percentile(&lat, 50.0),
            single_p99_us: percentile(&lat, 99.0),
            scan_rows_per_s: median(scans),
        },
        unlock_ms,
        passwd_ms,
        unlock_overhead_ms: unlock_ms - kdf_before_unlock,
        passwd_overhead_ms: passwd_ms - kdf_before_passwd,
        state_bytes,
    }
}

/// Opens per second for sealed values the size of one stored record state.
fn raw_open_rate(payload_len: usize, count: usize) -> f64 {
    let sealer = Sealer::new(&SecretKey::make_random().unwrap(), [1; 16]);
    let payload = vec![0x5a; payload_len];
    let sealed: Vec<(RecordId, Vec<u8>)> = (0..count)
        .map(|i| {
            let id = RecordId(id_bytes(i));
            let s = sealer
                .seal(
                    Place {
                        table: "records",
                        row: id.as_bytes(),
                    },
                    &payload,
                )
                .unwrap();
            (id, s)
        })
        .collect();
    let runs: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            for (id, s) in &sealed {
                black_box(
                    sealer
                        .open(
                            Place {
                                table: "records",
                                row: id.as_bytes(),
                            },
                            s,
                        )
                        .unwrap(),
                );
            }
            count as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    median(runs)
}

fn argon2_once_ms() -> f64 {
    let salt = [7u8; crypto::SALT_LEN];
    let started = Instant::now();
    black_box(
        crypto::derive_passphrase_key(&Passphrase::new("x"), &salt, &KdfParams::recommended())
            .unwrap(),
    );
    started.elapsed().as_secs_f64() * 1e3
}

fn argon2_ms() -> f64 {
    let salt = [7u8; crypto::SALT_LEN];
    let runs: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            black_box(
                crypto::derive_passphrase_key(
                    &Passphrase::new("x"),
                    &salt,
                    &KdfParams::recommended(),
                )
                .unwrap(),
            );
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(runs)
}

fn sqlcipher() -> Option<serde_json::Value> {
    let path = std::env::var("SAFEKEEP_SQLCIPHER_RESULTS").ok()?;
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let n = env_usize("SAFEKEEP_BENCH_RECORDS", 100_000);
    let single = env_usize("SAFEKEEP_BENCH_SINGLE", 1_000);
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Answers> = (0..n.max(single)).map(answers).collect();
    let bodies: Vec<String> = all.iter().map(json_body).collect();
    let avg_json = bodies.iter().map(String::len).sum::<usize>() / bodies.len();
    println!("Safekeep vault bench: {n} records (~{avg_json} B JSON each), {single} single saves");
    println!(
        "cpu: {}",
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_owned())
            )
            .unwrap_or_default()
    );

    // Shared 2-core machines are noisy: run both stores several times, interleaved,
    // each on a fresh database, and keep the median of every figure.
    let reps = env_usize("SAFEKEEP_BENCH_REPS", 3).max(1);
    let mut plains = Vec::new();
    let mut vaults = Vec::new();
    for rep in 0..reps {
        let rep_dir = dir.path().join(format!("rep{rep}"));
        std::fs::create_dir_all(&rep_dir).unwrap();
        plains.push(plain_sqlite(&rep_dir, n, single, &bodies));
        vaults.push(vault_store(&rep_dir, n, single, &all));
    }
    let med = |f: &dyn Fn(usize) -> f64| median((0..reps).map(f).collect());
    let plain = Figures {
        bulk_rows_per_s: med(&|i| plains[i].bulk_rows_per_s),
        single_p50_us: med(&|i| plains[i].single_p50_us),
        single_p99_us: med(&|i| plains[i].single_p99_us),
        scan_rows_per_s: med(&|i| plains[i].scan_rows_per_s),
    };
    let v = VaultFigures {
        figures: Figures {
            bulk_rows_per_s: med(&|i| vaults[i].figures.bulk_rows_per_s),
            single_p50_us: med(&|i| vaults[i].figures.single_p50_us),
            single_p99_us: med(&|i| vaults[i].figures.single_p99_us),
            scan_rows_per_s: med(&|i| vaults[i].figures.scan_rows_per_s),
        },
        unlock_ms: med(&|i| vaults[i].unlock_ms),
        passwd_ms: med(&|i| vaults[i].passwd_ms),
        unlock_overhead_ms: med(&|i| vaults[i].unlock_overhead_ms),
        passwd_overhead_ms: med(&|i| vaults[i].passwd_overhead_ms),
        state_bytes: vaults[reps - 1].state_bytes,
    };
    println!("medians of {reps} interleaved runs");
    let state_len = {
        // The sealed creating op of one record, as stored (postcard + envelope).
        let conn =
            Connection::open(dir.path().join(format!("rep{}/vault/vault.db", reps - 1))).unwrap();
        conn.query_row("SELECT avg(length(body)) FROM ops", [], |r| {
            r.get::<_, f64>(0)
        })
        .unwrap() as usize
    };
    let open_rate = raw_open_rate(state_len - crypto::SEAL_OVERHEAD, n.min(100_000));
    let kdf = argon2_ms();
    let sc = sqlcipher();
    let sc_f = |k: &str| sc.as_ref().and_then(|j| j[k].as_f64());

    let ratio = |a: f64, b: Option<f64>| {
        b.map(|b| format!("{:.2}x", a / b))
            .unwrap_or_else(|| "n/a".into())
    };
    println!();
    println!(
        "{:<34} {:>12} {:>12} {:>12}  {:>10} {:>12}",
        "", "plain", "sqlcipher", "vault", "vs plain", "vs sqlcipher"
    );
    let row = |name: &str, p: f64, s: Option<f64>, vv: f64, higher_better: bool| {
        let (vp, vs) = if higher_better {
            (vv / p, s.map(|s| vv / s))
        } else {
            (vv / p, s.map(|s| vv / s))
        };
        println!(
            "{:<34} {:>12.1} {:>12} {:>12.1}  {:>9.2}x {:>12}",
            name,
            p,
            s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "n/a".into()),
            vv,
            vp,
            vs.map(|x| format!("{x:.2}x"))
                .unwrap_or_else(|| "n/a".into())
        );
    };
    row(
        "bulk write, rows/s",
        plain.bulk_rows_per_s,
        sc_f("bulk_insert_rows_per_s"),
        v.figures.bulk_rows_per_s,
        true,
    );
    row(
        "single save p50, µs",
        plain.single_p50_us,
        sc_f("single_commit_p50_us"),
        v.figures.single_p50_us,
        false,
    );
    row(
        "single save p99, µs",
        plain.single_p99_us,
        sc_f("single_commit_p99_us"),
        v.figures.single_p99_us,
        false,
    );
    row(
        "read+decode all, rows/s",
        plain.scan_rows_per_s,
        sc_f("scan_rows_per_s"),
        v.figures.scan_rows_per_s,
        true,
    );
    println!();
    println!(
        "raw XChaCha20-Poly1305 open, {} B payloads: {:.0}/s; vault read = {:.2}x of it",
        state_len - crypto::SEAL_OVERHEAD,
        open_rate,
        v.figures.scan_rows_per_s / open_rate
    );
    println!("Argon2id m=64MiB t=3 p=4 alone: {kdf:.1} ms");
    println!(
        "unlock at {} records: {:.1} ms = Argon2id (timed just before) + {:.1} ms",
        n + single,
        v.unlock_ms,
        v.unlock_overhead_ms
    );
    println!(
        "passphrase change at {} records: {:.1} ms = Argon2id (timed just before) + {:.1} ms",
        n + single,
        v.passwd_ms,
        v.passwd_overhead_ms
    );
    println!(
        "vault database size: {:.1} MiB",
        v.state_bytes as f64 / (1024.0 * 1024.0)
    );
    println!();
    println!(
        "targets: bulk >=0.6x plain: {}; >=1.5x sqlcipher: {}",
        ratio(v.figures.bulk_rows_per_s, Some(plain.bulk_rows_per_s)),
        ratio(v.figures.bulk_rows_per_s, sc_f("bulk_insert_rows_per_s"))
    );
    println!(
        "         single p50/p99 <=1.5x plain: {} / {}",
        ratio(v.figures.single_p50_us, Some(plain.single_p50_us)),
        ratio(v.figures.single_p99_us, Some(plain.single_p99_us))
    );
    println!(
        "         read >=0.8x raw open: {}; >=1.5x sqlcipher: {}",
        ratio(v.figures.scan_rows_per_s, Some(open_rate)),
        ratio(v.figures.scan_rows_per_s, sc_f("scan_rows_per_s"))
    );
    println!(
        "         unlock overhead <=50 ms: {:.1} ms; passphrase change overhead <=100 ms: {:.1} ms",
        v.unlock_overhead_ms, v.passwd_overhead_ms
    );
}
