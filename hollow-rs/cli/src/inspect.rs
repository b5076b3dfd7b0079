//! `hollow inspect STORE`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::read::TypeReadState;
use hollow::store::{BlobStore, BlobType};

pub fn run(name: &str, store: Arc<dyn BlobStore>, version: Option<i64>) -> hollow::Result<()> {
    let blobs = store.list()?;
    // Sizes are shown for a local directory, where they cost nothing to read.
    let dir = Path::new(name.strip_prefix("file://").unwrap_or(name));
    let size_of = |file: &str| match std::fs::metadata(dir.join(file)) {
        Ok(m) => format!(" ({} bytes)", m.len()),
        Err(_) => String::new(),
    };
    println!("store: {name}");
    match store.latest_version()? {
        Some(v) => println!("announced version: {v}"),
        None => println!("announced version: none"),
    }
    let mut by_version: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for b in &blobs {
        let size = size_of(&b.file_name());
        let what = match (b.blob_type, b.from_version) {
            (BlobType::Delta, Some(f)) => format!("delta from {f}{size}"),
            (BlobType::ReverseDelta, Some(f)) => format!("reverse delta from {f}{size}"),
            (t, _) => format!("{}{size}", t.file_prefix()),
        };
        by_version.entry(b.to_version).or_default().push(what);
    }
    println!("versions:");
    for (v, what) in &by_version {
        println!("  {v}: {}", what.join(", "));
    }
    let target = crate::target_version(&*store, version)?;
    let progress = Arc::new(crate::progress::RefreshProgress::new());
    let consumer = Consumer::builder(store).with_refresh_listener(progress.clone()).build();
    consumer.refresh_to(target)?;
    progress.finish();
    let state = consumer.read_state().expect("a successful refresh leaves a state");
    let engine = state.engine();
    println!("types at version {target}:");
    println!(
        "  {:<32} {:<7} {:>10} {:>8} {:>12} {:>14}",
        "type", "kind", "records", "shards", "max ordinal", "heap bytes"
    );
    for t in engine.types() {
        println!(
            "  {:<32} {:<7} {:>10} {:>8} {:>12} {:>14}",
            t.name(),
            t.schema().kind().name(),
            t.populated().count(),
            t.num_shards(),
            t.max_ordinal(),
            heap_bytes(t)
        );
    }
    Ok(())
}

fn heap_bytes(t: &TypeReadState) -> usize {
    t.approximate_heap_bytes()
}
