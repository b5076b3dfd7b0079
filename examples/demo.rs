//! The hollow-rs demo: a producer and a consumer sharing a filesystem blob store in a temp dir.
//!
//! Run with `cargo run --example demo`. The producer publishes three versions of a small movie
//! catalog (snapshots, deltas and reverse deltas in Java Hollow's layout); the consumer follows the
//! announcements, looks records up by primary key, and goes back a version by reverse delta.

use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::index::KeyValue;
use hollow::producer::{Producer, WriteState};
use hollow::schema::dsl::parse_schemas;
use hollow::store::filesystem::FilesystemBlobStore;
use hollow::write::{ListRecord, ObjectRecord};

const SCHEMA: &str = r#"
    Movie @PrimaryKey(id) { long id; String title; int year; ListOfString tags; }
    String { string value; }
    ListOfString List<String>;
"#;

struct Movie {
    id: i64,
    title: &'static str,
    year: i32,
    tags: &'static [&'static str],
}

fn add_movie(ws: &mut WriteState<'_>, m: &Movie) -> hollow::Result<u32> {
    let title = ws.add_string(m.title)?;
    let mut tags = ListRecord::new();
    for t in m.tags {
        tags.add_element(ws.add_string(t)?);
    }
    let tags = ws.add_list("ListOfString", &tags)?;
    let mut movie = ObjectRecord::new();
    movie.set_long("id", m.id).set_reference("title", title).set_int("year", m.year).set_reference("tags", tags);
    ws.add_object("Movie", &movie)
}

fn catalog(version: usize) -> Vec<Movie> {
    let mut movies = vec![
        Movie { id: 1, title: "The Matrix", year: 1999, tags: &["sci-fi", "action"] },
        Movie { id: 2, title: "Amélie", year: 2001, tags: &["romance", "comedy"] },
        Movie { id: 3, title: "Spirited Away", year: 2001, tags: &["animation", "fantasy"] },
    ];
    if version >= 2 {
        movies.push(Movie { id: 4, title: "Parasite", year: 2019, tags: &["thriller"] });
    }
    if version >= 3 {
        movies.retain(|m| m.id != 2);
        movies[0].tags = &["sci-fi", "action", "classic"];
    }
    movies
}

fn main() -> hollow::Result<()> {
    let dir = std::env::temp_dir().join(format!("hollow-demo-{}", std::process::id()));
    let store = Arc::new(FilesystemBlobStore::create(&dir)?);
    println!("blob store: {}", dir.display());

    let mut producer =
        Producer::builder(store.clone()).with_announcer(store.clone()).with_schemas(parse_schemas(SCHEMA)?).build()?;
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Movie")
        .build();

    let mut versions = Vec::new();
    for n in 1..=3 {
        let version = producer.run_cycle(|ws| {
            for m in &catalog(n) {
                add_movie(ws, m)?;
            }
            Ok(())
        })?;
        versions.push(version);
        consumer.refresh()?;
        let state = consumer.read_state().expect("refreshed");
        let movies = state.engine().object("Movie").expect("type Movie");
        println!(
            "version {version}: {} movies, {} strings, consumer applied {} snapshot(s) and {} delta(s)",
            movies.populated().count(),
            state.size(),
            consumer.metrics().snapshots_applied,
            consumer.metrics().deltas_applied
        );
    }

    let mut files: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
    files.sort_by_key(|e| e.file_name());
    for entry in files {
        println!("  {:<48} {:>6} bytes", entry.file_name().to_string_lossy(), entry.metadata()?.len());
    }

    let state = consumer.read_state().expect("refreshed");
    let engine = state.engine();
    let movies = engine.object("Movie").expect("type Movie");
    let strings = engine.object("String").expect("type String");
    let by_id = state.primary_key_index("Movie")?;
    for id in [1_i64, 2, 4] {
        match by_id.get(engine, &[KeyValue::from(id)]) {
            Some(ordinal) => {
                let title = movies.read_ordinal(ordinal, 1).and_then(|o| strings.read_string(o, 0));
                let year = movies.read_int(ordinal, 2);
                println!("movie {id}: {:?} ({:?})", title.unwrap_or_default(), year.unwrap_or_default());
            }
            None => println!("movie {id}: not in version {}", state.version()),
        }
    }
    println!("simple API: contains(\"Amélie\") = {}", state.contains("Amélie"));

    consumer.refresh_to(versions[1])?;
    let back = consumer.read_state().expect("refreshed");
    println!("back to version {} by reverse delta: contains(\"Amélie\") = {}", back.version(), back.contains("Amélie"));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
