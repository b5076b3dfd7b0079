//! `hollow`: inspect, dump and produce Hollow blob directories (Java Hollow's filesystem layout).

mod dump;
mod inspect;
mod produce;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hollow", version, about = "Inspect, dump and produce Hollow datasets (Java Hollow compatible)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Versions present, the announced version, and the types of a version with record counts,
    /// shards and sizes.
    Inspect {
        /// A blob directory (snapshot-<v>, delta-<a>-<b>, reversedelta-<a>-<b>, announced.version).
        dir: PathBuf,
        /// The version to describe (default: the announced one, else the latest snapshot).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Print a version as JSON, in the layout of the Java reference dumps, reached through the normal
    /// consumer path (snapshot, then deltas; with --from, reverse deltas when going back).
    Dump {
        /// A blob directory.
        dir: PathBuf,
        /// Refresh to this version first, then to --version.
        #[arg(long)]
        from: Option<i64>,
        /// The version to dump (default: the announced one, else the latest snapshot).
        #[arg(long)]
        version: Option<i64>,
        /// Only this type.
        #[arg(long = "type")]
        type_name: Option<String>,
    },
    /// Run one producer cycle from JSON records, publishing to DIR (created if missing). If DIR has an
    /// announced version, the producer restores it first, so the cycle publishes a delta and a
    /// reverse delta that continue the chain.
    Produce {
        /// The blob directory.
        dir: PathBuf,
        /// Schemas in Hollow's schema language.
        #[arg(long)]
        schema: PathBuf,
        /// JSON lines, each `{"type": "<Type>", "value": <record>}` (or the record alone with --type);
        /// `-` for standard input. References are nested objects, lists and sets arrays, maps objects
        /// or `[key, value]` pairs; floats may be given as `hollow dump` writes them.
        #[arg(long)]
        input: PathBuf,
        /// The type of every record of the input.
        #[arg(long = "type")]
        type_name: Option<String>,
        /// Refuse a cycle that removes more than this share (0 to 1) of any type's records: the usual
        /// sign of a truncated input. 1 allows anything.
        #[arg(long, default_value_t = 0.5)]
        max_removed_share: f64,
        /// Accept an input without records (it would remove every record of the announced version).
        #[arg(long)]
        allow_empty: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { dir, version } => inspect::run(&dir, version),
        Command::Dump { dir, from, version, type_name } => dump::run(&dir, from, version, type_name.as_deref()),
        Command::Produce { dir, schema, input, type_name, max_removed_share, allow_empty } => {
            let guards = produce::Guards { max_removed_share, allow_empty };
            produce::run(&dir, &schema, &input, type_name.as_deref(), &guards)
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

/// The version to read in `store`: `requested`, else the announced one, else the newest snapshot.
fn target_version(
    store: &hollow::store::filesystem::FilesystemBlobStore,
    requested: Option<i64>,
) -> hollow::Result<i64> {
    use hollow::store::{AnnouncementWatcher, BlobType};
    if let Some(v) = requested {
        return Ok(v);
    }
    if let Some(v) = store.latest_version()? {
        return Ok(v);
    }
    store
        .stored_blobs()?
        .into_iter()
        .filter(|b| b.blob_type == BlobType::Snapshot)
        .map(|b| b.to_version)
        .max()
        .ok_or_else(|| {
            hollow::Error::NotFound(format!("no snapshot and no announced version in {}", store.dir().display()))
        })
}
