//! `hollow produce STORE --schema FILE --input RECORDS.jsonl [--type T]`, and
//! `hollow produce STORE --incremental --input CHANGES.jsonl [--schema FILE]`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use hollow::diff::ChangeSet;
use hollow::producer::{Producer, RecordCountVarianceValidator};
use hollow::schema::dsl::parse_schemas;
use hollow::store::{AnnouncementWatcher, BlobStore};
use hollow::{Error, Result};
use serde_json::Value as Json;

/// One record of the input: its type and its JSON.
struct InputRecord {
    line: usize,
    type_name: String,
    json: Json,
}

/// What `produce` refuses unless told otherwise.
pub struct Guards {
    /// Largest share of a type's records one cycle may remove.
    pub max_removed_share: f64,
    /// Whether an input without records may be published.
    pub allow_empty: bool,
}

fn check_guards(guards: &Guards) -> Result<()> {
    if !(0.0..=1.0).contains(&guards.max_removed_share) {
        return Err(Error::InvalidArgument(format!(
            "--max-removed-share must be between 0 and 1, not {}",
            guards.max_removed_share
        )));
    }
    Ok(())
}

/// The schemas of `--schema`: a file, or standard input for `-` (then the records cannot come from
/// standard input too).
fn read_schema_file(schema_file: &Path, input: &Path) -> Result<Vec<hollow::Schema>> {
    let stdin = Path::new("-");
    let schema_text = if schema_file == stdin {
        if input == stdin {
            return Err(Error::InvalidArgument(
                "--schema - and --input - both name standard input: give one of them as a file".into(),
            ));
        }
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| Error::io("reading schemas from standard input", e))?;
        text
    } else {
        std::fs::read_to_string(schema_file)
            .map_err(|e| Error::io(format!("reading schema file {}", schema_file.display()), e))?
    };
    parse_schemas(&schema_text)
}

/// An incremental cycle: the announced version (restored from the store) with the input's changes.
/// Without an announced version it starts from nothing, with the types of `schema_file`.
pub fn run_incremental(
    store: Arc<dyn BlobStore>,
    schema_file: Option<&Path>,
    input: &Path,
    guards: &Guards,
) -> Result<()> {
    check_guards(guards)?;
    let schemas = schema_file.map(|file| read_schema_file(file, input)).transpose()?;
    let previous = store.latest_version()?;
    if previous.is_none() && schemas.is_none() {
        return Err(Error::NotFound(
            "the store announces no version to apply the changes to: give --schema to start from nothing".into(),
        ));
    }
    let mut builder = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_validator(Arc::new(RecordCountVarianceValidator::for_all_types(guards.max_removed_share)));
    let given = schemas.is_some();
    if let Some(schemas) = schemas {
        builder = builder.with_schemas(schemas);
    }
    let mut producer = builder.build()?;
    if previous.is_some() {
        let restoring = crate::progress::spinner("restoring the announced version");
        let restored = producer.restore_announced(&*store);
        restoring.finish_and_clear();
        restored?;
        if !given {
            // The announced version's types, registered after the restore, are restored as registered.
            let state = producer.read_state().expect("a restore leaves a state");
            for schema in state.engine().schemas() {
                producer.engine_mut().add_schema(schema.clone())?;
            }
        }
    }
    let reading = crate::progress::spinner("reading changes");
    let changes = if input == Path::new("-") {
        ChangeSet::read_json_lines(std::io::stdin().lock(), producer.engine_mut())
    } else {
        let file = std::fs::File::open(input).map_err(|e| Error::io(format!("reading {}", input.display()), e))?;
        ChangeSet::read_json_lines(std::io::BufReader::new(file), producer.engine_mut())
    };
    reading.finish_and_clear();
    let source = if input == Path::new("-") { "standard input".to_owned() } else { input.display().to_string() };
    let changes = changes.map_err(|e| e.with_context(&source))?;
    let applying = crate::progress::spinner(&format!("applying {} changes", changes.len()));
    let version = producer.apply_change_set(&changes);
    applying.finish_and_clear();
    let version = version?;
    let stats = producer.last_incremental_stats().cloned().unwrap_or_default();
    if Some(version) == previous {
        println!("no change: version {version} stays announced");
    } else {
        println!("announced version {version}");
    }
    println!(
        "{} changes read: {} upserts, {} deletes, {} absent deletes, {} superseded",
        changes.len(),
        stats.upserts,
        stats.deletes,
        stats.absent_deletes,
        stats.superseded
    );
    Ok(())
}

pub fn run(
    store: Arc<dyn BlobStore>,
    schema_file: &Path,
    input: &Path,
    type_name: Option<&str>,
    guards: &Guards,
) -> Result<()> {
    check_guards(guards)?;
    let schemas = read_schema_file(schema_file, input)?;
    let records = read_records(input, type_name)?;
    if records.is_empty() && !guards.allow_empty {
        return Err(Error::InvalidArgument(format!(
            "{} holds no records: publishing it would remove every record (give --allow-empty to do so)",
            input.display()
        )));
    }

    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schemas(schemas)
        .with_validator(Arc::new(RecordCountVarianceValidator::for_all_types(guards.max_removed_share)))
        .build()?;
    let previous = store.latest_version()?;
    if previous.is_some() {
        // Continue the store's delta chain: same ordinals, so the cycle publishes a delta.
        producer.restore_announced(&*store)?;
    }
    let adding = crate::progress::bar(records.len() as u64, "adding records");
    let version = producer.run_cycle(|ws| {
        for r in &records {
            ws.add_json(&r.type_name, &r.json).map_err(|e| at_line(e, r.line))?;
            adding.inc(1);
        }
        adding.finish_and_clear();
        Ok(())
    });
    adding.finish_and_clear();
    let version = version?;
    if Some(version) == previous {
        println!("no change: version {version} stays announced");
    } else {
        println!("announced version {version} ({} records read)", records.len());
    }
    Ok(())
}

fn read_records(input: &Path, type_name: Option<&str>) -> Result<Vec<InputRecord>> {
    let mut text = String::new();
    if input == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map_err(|e| Error::io("reading standard input", e))?;
    } else {
        text = std::fs::read_to_string(input).map_err(|e| Error::io(format!("reading {}", input.display()), e))?;
    }
    let mut records = Vec::new();
    let reading = crate::progress::spinner("reading records");
    for (i, line) in text.lines().enumerate() {
        reading.inc(1);
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let json: Json = serde_json::from_str(line)
            .map_err(|e| Error::InvalidArgument(format!("{}:{line_no}: not JSON: {e}", input.display())))?;
        let (type_name, json) = match type_name {
            Some(t) => (t.to_owned(), json),
            None => split_typed(json).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{}:{line_no}: expected {{\"type\": \"<Type>\", \"value\": ...}} (or give --type)",
                    input.display()
                ))
            })?,
        };
        records.push(InputRecord { line: line_no, type_name, json });
    }
    reading.finish_and_clear();
    Ok(records)
}

/// `{"type": T, "value": V}` into (T, V).
fn split_typed(json: Json) -> Option<(String, Json)> {
    let Json::Object(mut members) = json else { return None };
    let type_name = members.remove("type")?.as_str()?.to_owned();
    let value = members.remove("value")?;
    members.is_empty().then_some((type_name, value))
}

fn at_line(e: Error, line: usize) -> Error {
    match e {
        Error::SchemaMismatch(m) => Error::SchemaMismatch(format!("input line {line}: {m}")),
        Error::NotFound(m) => Error::NotFound(format!("input line {line}: {m}")),
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("input line {line}: {m}")),
        other => other,
    }
}
