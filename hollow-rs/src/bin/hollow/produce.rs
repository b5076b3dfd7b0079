//! `hollow produce STORE --schema FILE --input RECORDS.jsonl [--type T]`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

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

pub fn run(
    store: Arc<dyn BlobStore>,
    schema_file: &Path,
    input: &Path,
    type_name: Option<&str>,
    guards: &Guards,
) -> Result<()> {
    if !(0.0..=1.0).contains(&guards.max_removed_share) {
        return Err(Error::InvalidArgument(format!(
            "--max-removed-share must be between 0 and 1, not {}",
            guards.max_removed_share
        )));
    }
    let schema_text = std::fs::read_to_string(schema_file)
        .map_err(|e| Error::io(format!("reading schema file {}", schema_file.display()), e))?;
    let schemas = parse_schemas(&schema_text)?;
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
