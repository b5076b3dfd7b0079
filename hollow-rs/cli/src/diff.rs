//! `hollow diff STORE [--from V1] [--to V2] [--type T]... [--format text|json|changes] [--limit N]`.

use std::io::Write;
use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::diff::{self, DiffOptions};
use hollow::store::{BlobStore, BlobType};
use hollow::{Error, Result};

/// How `diff` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table of counts per type, then the changed records with their changed fields.
    Text,
    /// The whole diff as one JSON document.
    Json,
    /// The change set, one JSON line per change (what `produce --incremental` reads); never limited.
    Changes,
}

pub struct Args {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub types: Vec<String>,
    pub format: Format,
    pub limit: usize,
}

pub fn run(store: Arc<dyn BlobStore>, args: &Args) -> Result<()> {
    let to = crate::target_version(&*store, args.to)?;
    let from = match args.from {
        Some(v) => v,
        None => version_before(&*store, to)?,
    };
    let progress = Arc::new(crate::progress::RefreshProgress::new());
    let consumer = Consumer::builder(store).with_refresh_listener(progress.clone()).build();
    // `from` first, then `to` from it, holding on to `from`'s state: `to` is reached by deltas when the
    // store has them, and two states one delta apart diff at the cost of the change.
    let loaded = consumer.refresh_to(from).and_then(|_| {
        let old = consumer.read_state().expect("a successful refresh leaves a state");
        consumer.refresh_to(to).map(|_| old)
    });
    progress.finish();
    let old = loaded?;
    let new = consumer.read_state().expect("a successful refresh leaves a state");

    let types = if args.types.is_empty() {
        None
    } else {
        for t in &args.types {
            if old.engine().type_state(t).is_none() && new.engine().type_state(t).is_none() {
                return Err(Error::NotFound(format!("type {t} at version {from} or {to}")));
            }
        }
        Some(args.types.iter().cloned().collect())
    };
    let limit = match args.format {
        Format::Changes => None,
        _ => Some(args.limit),
    };
    let options = DiffOptions { types, detail_limit: limit, ..DiffOptions::default() };
    let comparing = crate::progress::spinner(&format!("comparing versions {from} and {to}"));
    let result = match args.format {
        Format::Changes => diff::change_set(old.engine(), new.engine(), &options).map(Output::Changes),
        _ => diff::diff(old.engine(), new.engine(), &options).map(Output::Diff),
    };
    comparing.finish_and_clear();
    let mut out = std::io::stdout().lock();
    match (result?, args.format) {
        (Output::Changes(changes), _) => changes.write_json_lines(&mut out)?,
        (Output::Diff(d), Format::Json) => {
            let mut json = d.to_json();
            if let Some(members) = json.as_object_mut() {
                members.insert("from".into(), from.into());
                members.insert("to".into(), to.into());
            }
            serde_json::to_writer_pretty(&mut out, &json).map_err(|e| Error::from(std::io::Error::from(e)))?;
            writeln!(out)?;
        }
        (Output::Diff(d), _) => {
            writeln!(out, "version {from} -> {to}")?;
            write!(out, "{}", d.render_text(args.limit))?;
        }
    }
    out.flush()?;
    Ok(())
}

enum Output {
    Diff(diff::StateDiff),
    Changes(diff::ChangeSet),
}

/// The version a delta in `store` leads to `to` from.
fn version_before(store: &dyn BlobStore, to: i64) -> Result<i64> {
    let blobs = store.list()?;
    if !blobs.iter().any(|b| b.to_version == to) {
        return Err(Error::NotFound(format!("version {to} is not in the store")));
    }
    blobs
        .into_iter()
        .filter(|b| b.blob_type == BlobType::Delta && b.to_version == to)
        .filter_map(|b| b.from_version)
        .max()
        .ok_or_else(|| {
            Error::NotFound(format!("no delta leads to version {to}, so there is no version before it: give --from"))
        })
}
