//! Person search at the scale of a national programme: a generated population of
//! South and Southeast Asian names (SAFEKEEP_BENCH_PERSONS, default 100000) saved as
//! identifications through the built-in form into a real vault, then:
//!
//! - the time to build the in-memory name index after unlock (every identification
//!   opened and decrypted once);
//! - p50/p95/p99 per query for spelling variants and typos of people in the vault;
//! - recall of those variants in the top 10;
//! - the same queries against the baseline in the same run: scoring every name in the
//!   vault (a linear scan with the same similarity), and the ratio.
//!
//! `cargo bench -p safekeep-core --bench search`.

#[path = "support/population.rs"]
mod population;

use std::time::{Duration, Instant};

use safekeep_core::forms::{EntryKind, Mode, Moment};
use safekeep_core::search::name_similarity;
use safekeep_core::{Answers, FormRef, Passphrase, RecordId, Unlock, Value, Vault, VaultOptions};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Resident memory of this process in MiB (Linux; `None` elsewhere).
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let persons = env_usize("SAFEKEEP_BENCH_PERSONS", 100_000);
    let queries = env_usize("SAFEKEEP_BENCH_QUERIES", 1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let passphrase = Passphrase::new("bench passphrase");
    // The bench measures search, not the KDF.
    let options = VaultOptions::default().insecure_fast_kdf_for_tests();
    let (vault, _) = Vault::create(dir.path(), &passphrase, options.clone()).expect("create");
    let people = population::population(persons, 7);
    let form = vault
        .resolve_form(&FormRef::new("victim_identification"))
        .expect("built-in form");
    let moment = Moment::system();

    let started = Instant::now();
    let mut ids: Vec<RecordId> = Vec::with_capacity(persons);
    for chunk in people.chunks(2000) {
        let saved = vault
            .batch(|b| {
                let mut out = Vec::with_capacity(chunk.len());
                for p in chunk {
                    let mut a = Answers::new();
                    a.insert("name".into(), Value::Text(p.name.clone()));
                    if let Some(alias) = &p.alias {
                        a.insert("alias".into(), Value::Text(alias.clone()));
                    }
                    a.insert("sex".into(), Value::Choice(p.sex.into()));
                    a.insert("age".into(), Value::Integer(p.age));
                    a.insert("nationality".into(), Value::Choice(p.nationality.into()));
                    let case = b.create_case(Answers::new())?;
                    match b.submit(&form, case, EntryKind::Submission, &a, Mode::Final, moment) {
                        Ok(id) => out.push(id),
                        Err(safekeep_core::forms::SubmitError::Record(e)) => return Err(e),
                        Err(e) => panic!("generated person refused by the form: {e}"),
                    }
                }
                Ok(out)
            })
            .expect("save");
        ids.extend(saved);
    }
    println!(
        "saved {persons} identifications in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    vault.close().expect("close");

    let vault = Vault::open(dir.path(), Unlock::Passphrase(&passphrase), options).expect("open");
    let rss_before = rss_mib();
    let started = Instant::now();
    vault.prepare_search().expect("index");
    let build = started.elapsed();
    let grown = rss_mib().zip(rss_before).map(|(a, b)| a - b);
    println!(
        "index build after unlock: {:.0} ms for {persons} persons ({:.1} µs per person); resident memory +{} MiB",
        ms(build),
        build.as_secs_f64() * 1e6 / persons as f64,
        grown.map_or("n/a".into(), |m| format!("{m:.0}"))
    );

    // Queries: a spelling variant or typo of a random person's full name.
    let step = (persons / queries.max(1)).max(1);
    let asked: Vec<(usize, String)> = (0..persons)
        .step_by(step)
        .take(queries)
        .map(|i| (i, population::spelling_variant(&people[i].name, i as u64)))
        .collect();
    let mut times = Vec::with_capacity(asked.len());
    let mut hits = 0usize;
    for (i, query) in &asked {
        let started = Instant::now();
        let found = vault.search(query, 10).expect("search");
        times.push(started.elapsed());
        if found.iter().any(|m| m.record == ids[*i]) {
            hits += 1;
        }
    }
    times.sort();
    let (p50, p95, p99) = (
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
    );
    println!(
        "search, {} variant queries: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms (target p95 <= 20 ms)",
        asked.len(),
        ms(p50),
        ms(p95),
        ms(p99)
    );
    println!(
        "recall in the top 10: {hits}/{} = {:.1}%",
        asked.len(),
        100.0 * hits as f64 / asked.len().max(1) as f64
    );

    // Baseline: score every name with the same similarity (no index).
    let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    let sample: Vec<&(usize, String)> = asked.iter().take(20).collect();
    let mut scan_times = Vec::with_capacity(sample.len());
    for (_, query) in &sample {
        let started = Instant::now();
        let mut best: Vec<(f32, usize)> = names
            .iter()
            .enumerate()
            .map(|(j, n)| (name_similarity(query, n), j))
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        best.truncate(10);
        std::hint::black_box(&best);
        scan_times.push(started.elapsed());
    }
    scan_times.sort();
    let scan_p50 = percentile(&scan_times, 0.50);
    println!(
        "baseline, linear scan scoring every name ({} queries): p50 {:.1} ms; index is {:.0}x faster at p50",
        sample.len(),
        ms(scan_p50),
        scan_p50.as_secs_f64() / p50.as_secs_f64().max(1e-9)
    );
    vault.close().expect("close");
}
