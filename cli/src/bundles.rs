//! `safekeep bundle summary | export | import`: records carried between team devices as
//! sealed files (USB stick, SD card, nearby share). The receiving device gives its
//! summary; the sending device exports only what that summary lacks; the receiving
//! device verifies every file before importing any.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safekeep_core::Vault;
use safekeep_core::sync::{BundleHeader, SyncError, SyncReport, bundle};
use serde_json::json;

use crate::{BundleCommand, CliResult, Failure, files, open};

/// The default `--max-size`: the core's bundle size, small enough to resume on a slow
/// link and to import within a cheap phone's memory.
pub const DEFAULT_MAX_SIZE: usize = bundle::DEFAULT_MAX_BYTES;

fn summary(vault: &Vault, out: Option<&Path>) -> CliResult {
    let text = vault.summary_text()?;
    match out {
        // A summary is remade for every exchange: an older one is replaced.
        Some(path) => {
            files::write_atomic(path, format!("{text}\n").as_bytes(), true)?;
            println!("wrote the summary of this device to {}", path.display());
            println!(
                "on the other device: safekeep bundle export --for @{} --out FILE",
                path.display()
            );
        }
        None => println!("{text}"),
    }
    Ok(())
}

/// What `export` was asked to write.
pub struct Export<'a> {
    /// The first bundle file; further parts get `-2`, `-3`... before the extension.
    pub out: &'a Path,
    /// The other device's summary text, or `@path` to it; `None` exports everything.
    pub for_summary: Option<&'a str>,
    /// About the largest bundle, in bytes of ops before compression.
    pub max_size: usize,
    /// Replace existing files.
    pub force: bool,
    /// JSON output.
    pub json: bool,
}

fn export(vault: &Vault, args: Export<'_>) -> CliResult {
    let theirs = match args.for_summary {
        Some(arg) => Some(vault.read_summary(&files::text_arg(arg, "summary")?)?),
        None => None,
    };
    if !args.force && args.out.exists() {
        return Err(files::exists(args.out));
    }
    // Every part goes to a temporary file first: on any failure nothing is left behind,
    // and nothing is moved into place before every part is written.
    let mut parts: Vec<(files::Pending, u32, usize)> = Vec::new();
    let mut write_failure: Option<Failure> = None;
    let exported = vault.export_bundles(theirs.as_ref(), args.max_size, |header, bytes| {
        let target = files::part_path(args.out, parts.len() + 1);
        match files::Pending::write(&target, &bytes) {
            Ok(pending) => {
                parts.push((pending, header.op_count, bytes.len()));
                Ok(())
            }
            Err(failure) => {
                write_failure = Some(failure);
                Err(SyncError::Cancelled)
            }
        }
    });
    if let Some(failure) = write_failure {
        return Err(failure);
    }
    exported?;
    if !args.force
        && let Some((pending, _, _)) = parts.iter().find(|(p, _, _)| p.target().exists())
    {
        return Err(files::exists(pending.target()));
    }
    let mut written = Vec::new();
    for (pending, ops, bytes) in parts {
        let path = pending.target().to_owned();
        pending.persist(args.force)?;
        written.push((path, ops, bytes));
    }
    let total_ops: u64 = written.iter().map(|(_, ops, _)| u64::from(*ops)).sum();
    if args.json {
        let list: Vec<_> = written
            .iter()
            .map(|(path, ops, bytes)| {
                json!({"file": path.display().to_string(), "ops": ops, "bytes": bytes})
            })
            .collect();
        println!("{}", json!({"files": list, "ops": total_ops}));
        return Ok(());
    }
    if written.is_empty() {
        println!("nothing to export: the other device has everything this one has");
        return Ok(());
    }
    for (path, ops, bytes) in &written {
        println!("wrote {}  {ops} op(s)  {bytes} bytes", path.display());
    }
    println!(
        "{} bundle(s), {total_ops} op(s); on the other device: safekeep bundle import FILE...",
        written.len()
    );
    Ok(())
}

fn report_json(path: &Path, header: &BundleHeader, report: &SyncReport) -> serde_json::Value {
    json!({
        "file": path.display().to_string(),
        "device": header.device.to_string(),
        "batch": header.batch,
        "received": report.received,
        "applied": report.applied,
        "duplicates": report.duplicates,
        "held": report.held,
        "records": report.records,
        "conflicts": report.conflicted,
        "ahead": report.ahead,
    })
}

fn print_report(path: &Path, report: &SyncReport) {
    println!(
        "{}: {} op(s) received, {} applied, {} already here, {} held; {} record(s) changed, {} with a conflict",
        path.display(),
        report.received,
        report.applied,
        report.duplicates,
        report.held,
        report.records,
        report.conflicted
    );
    if report.held > 0 {
        println!(
            "  {} op(s) come from a newer Safekeep: kept and passed on, applied once this device is updated",
            report.held
        );
    }
    if report.ahead > 0 {
        println!(
            "  {} op(s) are stamped more than an hour ahead of this device's clock: check the date on the device that made them",
            report.ahead
        );
    }
}

fn progress_bar(total: u64, hidden: bool) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("importing {bar:40} {pos}/{len} ops {msg}") {
        bar.set_style(style);
    }
    bar
}

fn import(vault: &Vault, paths: &[PathBuf], json: bool) -> CliResult {
    let mut bundles = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))?;
        bundles.push(bytes);
    }
    // Every file is checked before any is imported: one bad file refuses them all.
    let mut headers = Vec::with_capacity(bundles.len());
    for (path, bytes) in paths.iter().zip(&bundles) {
        let header = vault.verify_bundle(bytes).map_err(|e| {
            let failure = Failure::from(e);
            Failure {
                message: format!(
                    "{}: {}; nothing was imported",
                    path.display(),
                    failure.message
                ),
                code: failure.code,
            }
        })?;
        headers.push(header);
    }
    let total: u64 = headers.iter().map(|h| u64::from(h.op_count)).sum();
    let bar = progress_bar(total, json);
    let mut reports = Vec::with_capacity(bundles.len());
    let mut done = 0u64;
    for ((path, bytes), header) in paths.iter().zip(&bundles).zip(&headers) {
        let report = vault
            .import_bundle_with_progress(bytes, &mut |n, _| bar.set_position(done + n))
            .map_err(|e| {
                bar.finish_and_clear();
                let failure = Failure::from(e);
                Failure {
                    message: format!("{}: {}", path.display(), failure.message),
                    code: failure.code,
                }
            })?;
        done += u64::from(header.op_count);
        bar.set_position(done);
        reports.push(report);
    }
    bar.finish_and_clear();
    let open_conflicts = vault.conflicts()?.len();
    if json {
        let list: Vec<_> = paths
            .iter()
            .zip(&headers)
            .zip(&reports)
            .map(|((path, header), report)| report_json(path, header, report))
            .collect();
        println!(
            "{}",
            json!({"files": list, "open_conflicts": open_conflicts})
        );
        return Ok(());
    }
    for (path, report) in paths.iter().zip(&reports) {
        print_report(path, report);
    }
    if open_conflicts > 0 {
        println!("{open_conflicts} open conflict(s) wait for a coordinator: safekeep conflicts");
    }
    Ok(())
}

/// Runs one `bundle` subcommand.
pub fn run(dir: &Path, command: &BundleCommand) -> CliResult {
    let vault = open(dir)?;
    match command {
        BundleCommand::Summary { out } => summary(&vault, out.as_deref())?,
        BundleCommand::Export {
            out,
            for_summary,
            max_size,
            force,
            json,
        } => export(
            &vault,
            Export {
                out,
                for_summary: for_summary.as_deref(),
                max_size: *max_size,
                force: *force,
                json: *json,
            },
        )?,
        BundleCommand::Import { files, json } => import(&vault, files, *json)?,
    }
    vault.close()?;
    Ok(())
}
