//! `hollow`: inspect, dump and produce Hollow blob stores: a directory in Java Hollow's filesystem layout,
//! or (built with the `object-store` feature) `s3://bucket/prefix`, `gs://...`, `az://...`.

// The doc comments below are clap's --help text, written for a terminal (`snapshot-<v>`), not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod codegen;
mod diff;
mod dump;
mod inspect;
mod plain;
mod produce;
mod progress;
mod serve;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use hollow::store::{BlobStore, BlobType, StoreOptions};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hollow", version, about = "Inspect, dump and produce Hollow datasets (Java Hollow compatible)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The least severe log records to print on standard error: error, warn, info, debug or trace.
    /// RUST_LOG, when set, wins (e.g. RUST_LOG=hollow::consumer=debug,info).
    #[arg(long, global = true, default_value = "warn", value_name = "LEVEL")]
    log_level: String,
    /// No progress bars and no log records below errors.
    #[arg(long, short, global = true)]
    quiet: bool,
}

/// The store every subcommand but `codegen` works on, and the options to open it with.
#[derive(clap::Args)]
struct StoreArgs {
    /// A blob store: a directory (snapshot-<v>, delta-<a>-<b>, reversedelta-<a>-<b>,
    /// announced.version) or a URL (s3://bucket/prefix, gs://, az://, file://).
    #[arg(value_name = "STORE")]
    url: String,
    /// A store option, KEY=VALUE (layout, cache_dir, aws_region, aws_endpoint_url, ...); repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
}

/// How a long-running consumer (`watch`, `serve`) loads snapshots.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
enum MemoryMapping {
    /// Read each snapshot into memory: safe whatever happens to the file afterwards.
    #[default]
    Copy,
    /// Map the snapshot file read-only and read its records in place, so that processes reading the same
    /// file share one copy in the page cache (a directory store, or an object store with
    /// `--option cache_dir=DIR`; other stores fall back to copying). The file must never be modified or
    /// truncated while mapped; hollow's own stores never do either.
    Shared,
}

impl From<MemoryMapping> for hollow::mapped::MappingMode {
    fn from(mode: MemoryMapping) -> Self {
        match mode {
            MemoryMapping::Copy => hollow::mapped::MappingMode::Copy,
            MemoryMapping::Shared => hollow::mapped::MappingMode::Shared,
        }
    }
}

impl StoreArgs {
    /// Opens the store with its `--option KEY=VALUE`s (`create`: a missing directory is made).
    fn open(&self, create: bool) -> hollow::Result<Arc<dyn BlobStore>> {
        let mut opts = StoreOptions { create, ..StoreOptions::default() };
        for option in &self.options {
            let (key, value) = option
                .split_once('=')
                .ok_or_else(|| hollow::Error::InvalidArgument(format!("--option {option:?} is not KEY=VALUE")))?;
            opts.set(key, value)?;
        }
        hollow::store::open(&self.url, &opts)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Versions present, the announced version, and the types of a version with record counts,
    /// shards and sizes.
    Inspect {
        #[command(flatten)]
        store: StoreArgs,
        /// The version to describe (default: the announced one, else the latest snapshot).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Print a version as JSON, in the layout of the Java reference dumps, reached through the normal
    /// consumer path (snapshot, then deltas; with --from, reverse deltas when going back).
    Dump {
        #[command(flatten)]
        store: StoreArgs,
        /// Refresh to this version first, then to --version.
        #[arg(long)]
        from: Option<i64>,
        /// The version to dump (default: the announced one, else the latest snapshot).
        #[arg(long)]
        version: Option<i64>,
        /// Only this type.
        #[arg(long = "type")]
        type_name: Option<String>,
        /// hollow: the Java reference dumps' layout (conformance); plain: one JSON value per record,
        /// numbers as numbers, references expanded, for jq (with --type, the record alone; else
        /// {"type": T, "value": record}; both are input `produce` reads).
        #[arg(long, value_enum, default_value_t = dump::Format::Hollow)]
        format: dump::Format,
        /// With --format plain: how many references deep to expand records (one-field records such as
        /// String count nothing); deeper ones are {"$type": T, "$ordinal": N}.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=plain::MAX_DEPTH as i64))]
        depth: u8,
    },
    /// What changed between two versions: counts per type, then the added, removed and modified
    /// records (with each changed field as old -> new). Exits with 0 whether or not anything changed;
    /// non-zero only on an error.
    Diff {
        #[command(flatten)]
        store: StoreArgs,
        /// The old version (default: the version the delta leading to --to starts from).
        #[arg(long)]
        from: Option<i64>,
        /// The new version (default: the announced one, else the latest snapshot).
        #[arg(long)]
        to: Option<i64>,
        /// Only these types (repeatable); the others are still compared where these reference them.
        #[arg(long = "type")]
        types: Vec<String>,
        /// text: a summary table, then changed records; json: the whole diff as JSON; changes: the
        /// change set as JSON lines, complete whatever --limit says (input for `produce --incremental`).
        #[arg(long, value_enum, default_value_t = diff::Format::Text)]
        format: diff::Format,
        /// At most this many added, removed and modified records shown per type (counts stay exact).
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Run one producer cycle from JSON records, publishing to STORE (a directory is created if
    /// missing). If STORE has an announced version, the producer restores it first, so the cycle
    /// publishes a delta and a reverse delta that continue the chain. With --incremental, the input is
    /// a change set (as `hollow diff --format changes` writes) applied to the announced version.
    Produce {
        #[command(flatten)]
        store: StoreArgs,
        /// A file of schemas in Hollow's schema language (`Movie @PrimaryKey(id) { long id; String
        /// title; }`), or `-` for standard input. Required, except with --incremental on a store with
        /// an announced version (whose schemas are then used).
        #[arg(long, value_name = "FILE", required_unless_present = "incremental")]
        schema: Option<PathBuf>,
        /// JSON lines, each `{"type": "<Type>", "value": <record>}` (or the record alone with --type);
        /// `-` for standard input. References are nested objects, lists and sets arrays, maps objects
        /// or `[key, value]` pairs; floats may be given as `hollow dump` writes them. With
        /// --incremental: change lines, `{"op":"upsert","type":T,"record":R}` or
        /// `{"op":"delete","type":T,"key":[...]}`.
        #[arg(long)]
        input: PathBuf,
        /// The type of every record of the input.
        #[arg(long = "type", conflicts_with = "incremental")]
        type_name: Option<String>,
        /// Apply the input's changes (upserts and deletes by primary key) to the announced version
        /// instead of replacing every record. Without an announced version, starts from nothing (then
        /// --schema is required).
        #[arg(long)]
        incremental: bool,
        /// Refuse a cycle that removes more than this share (0 to 1) of any type's records: the usual
        /// sign of a truncated input. 1 allows anything.
        #[arg(long, default_value_t = 0.5)]
        max_removed_share: f64,
        /// Accept an input without records (it would remove every record of the announced version).
        #[arg(long)]
        allow_empty: bool,
    },
    /// Follow a store as a consumer would: refresh to each announced version and print one line per
    /// refresh (version, plan, bytes, duration, records per type). The first thing to run to see that a
    /// store is alive.
    Watch {
        #[command(flatten)]
        store: StoreArgs,
        /// How often to look for a new announced version, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// Stop after this many refreshes (default: run until interrupted).
        #[arg(long)]
        count: Option<u64>,
        /// Serve the consumer's metrics for Prometheus at http://ADDR/metrics (e.g. 127.0.0.1:9898).
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<std::net::SocketAddr>,
        /// How snapshots are loaded: copied into memory, or mapped and shared with other processes.
        #[arg(long, value_enum, default_value_t)]
        memory_mapping: MemoryMapping,
    },
    /// Typed accessors for the schemas of SCHEMA_FILE (Hollow's schema language; `-` for standard
    /// input), printed on standard output: Rust zero-copy views over a read state, or Python
    /// dataclasses for `read_state.type("T", as_=T)`.
    Codegen {
        /// rust or python.
        #[arg(long, value_parser = ["rust", "python"])]
        lang: String,
        /// The schema file.
        schema_file: PathBuf,
    },
    /// Serve the explorer, diff and history pages and their JSON API (/api/...) over HTTP, following
    /// the store's announced version; also /metrics and /healthz. Read-only. Listens on loopback
    /// unless --listen says otherwise.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// The address to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// How snapshots are loaded: copied into memory, or mapped and shared with other processes.
        #[arg(long, value_enum, default_value_t)]
        memory_mapping: MemoryMapping,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(&cli.log_level, cli.quiet) {
        eprintln!("hollow: {e}");
        return ExitCode::FAILURE;
    }
    progress::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Inspect { store, version } => store.open(false).and_then(|s| inspect::run(&store.url, s, version)),
        Command::Dump { store, from, version, type_name, format, depth } => {
            let args = dump::Args { from, version, type_name: type_name.as_deref(), format, depth };
            store.open(false).and_then(|s| dump::run(s, &args))
        }
        Command::Diff { store, from, to, types, format, limit } => {
            let args = diff::Args { from, to, types, format, limit };
            store.open(false).and_then(|s| diff::run(s, &args))
        }
        Command::Produce { store, schema, input, type_name, incremental, max_removed_share, allow_empty } => {
            let guards = produce::Guards { max_removed_share, allow_empty };
            store.open(true).and_then(|s| {
                if incremental {
                    produce::run_incremental(s, schema.as_deref(), &input, &guards)
                } else {
                    let schema = schema.expect("clap requires --schema without --incremental");
                    produce::run(s, &schema, &input, type_name.as_deref(), &guards)
                }
            })
        }
        Command::Watch { store, interval_ms, count, metrics_listen, memory_mapping } => {
            let interval = std::time::Duration::from_millis(interval_ms);
            let watch = watch::Watch { interval, count, metrics_listen, mapping: memory_mapping.into() };
            store.open(false).and_then(|s| watch::run(&store.url, s, &watch))
        }
        Command::Codegen { lang, schema_file } => codegen::run(&lang, &schema_file, &mut std::io::stdout().lock()),
        Command::Serve { store, listen, memory_mapping } => {
            let serve = serve::Serve { listen, mapping: memory_mapping.into() };
            store.open(false).and_then(|s| serve::run(&store.url, s, &serve))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hollow: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Log records to standard error, at `level` and above (RUST_LOG, when set, wins; `--quiet`: errors only).
fn init_logging(level: &str, quiet: bool) -> hollow::Result<()> {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        hollow::Error::InvalidArgument(format!("{what} is not a log level or filter: {e}"))
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => spec.parse::<Targets>().map_err(|e| invalid("RUST_LOG", &e))?,
        _ if quiet => Targets::new().with_default(LevelFilter::ERROR),
        _ => Targets::new().with_default(level.parse::<LevelFilter>().map_err(|e| invalid("--log-level", &e))?),
    };
    let format = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false).with_target(true);
    tracing_subscriber::registry().with(format.with_filter(filter)).init();
    Ok(())
}

/// The version to read in `store`: `requested`, else the announced one, else the newest snapshot.
fn target_version(store: &dyn BlobStore, requested: Option<i64>) -> hollow::Result<i64> {
    if let Some(v) = requested {
        return Ok(v);
    }
    if let Some(v) = store.latest_version()? {
        return Ok(v);
    }
    store
        .list()?
        .into_iter()
        .filter(|b| b.blob_type == BlobType::Snapshot)
        .map(|b| b.to_version)
        .max()
        .ok_or_else(|| hollow::Error::NotFound("no snapshot and no announced version in the store".into()))
}
