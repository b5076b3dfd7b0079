//! hollow's metrics, scraped by Prometheus: a producer publishes a few versions of a movie catalog,
//! a consumer follows them, and every metric of `hollow::telemetry` is served at `/metrics`.
//!
//! ```text
//! cargo run --example prometheus -- [--listen 127.0.0.1:9898] [--cycles 5] [--interval-ms 1000]
//! curl -s http://127.0.0.1:9898/metrics | grep hollow_
//! ```
//!
//! The sequence: `--cycles` cycles that each change the catalog (the consumer refreshes after each),
//! one cycle that changes nothing, and one refresh to a version that does not exist (it fails, and the
//! consumer keeps its version). Then it prints `ready: version V` and keeps serving until its standard
//! input ends (Enter or Ctrl-D), so the figures can be looked at.

use std::io::BufRead;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hollow::consumer::Consumer;
use hollow::producer::{Producer, WriteState};
use hollow::schema::dsl::parse_schemas;
use hollow::store::memory::InMemoryBlobStore;
use hollow::write::ObjectRecord;
use metrics_exporter_prometheus::PrometheusBuilder;

const SCHEMA: &str = "Movie @PrimaryKey(id) { long id; string title; int year; }";

/// Serve hollow's metrics to Prometheus while a producer and a consumer run a few cycles.
#[derive(clap::Parser)]
struct Options {
    /// Address of the `/metrics` listener.
    #[arg(long, default_value = "127.0.0.1:9898")]
    listen: SocketAddr,
    /// Cycles that change the catalog.
    #[arg(long, default_value_t = 5)]
    cycles: u32,
    /// Pause after each cycle, in milliseconds.
    #[arg(long = "interval-ms", default_value = "1000", value_parser = parse_millis)]
    interval: Duration,
}

fn parse_millis(text: &str) -> Result<Duration, std::num::ParseIntError> {
    text.parse().map(Duration::from_millis)
}

/// The catalog of cycle `n`: movies 1..=10n, and movie 1's title names the cycle.
fn add_catalog(ws: &mut WriteState<'_>, n: u32) -> hollow::Result<()> {
    let mut movie = ObjectRecord::new();
    for id in 1..=10 * i64::from(n) {
        let title = if id == 1 { format!("Cycle {n}") } else { format!("Movie {id}") };
        movie.clear().set_long("id", id).set_string("title", &title).set_int("year", 1990 + (id % 30) as i32);
        ws.add_object("Movie", &movie)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = <Options as clap::Parser>::parse();
    PrometheusBuilder::new().with_http_listener(options.listen).install()?;
    hollow::telemetry::describe_metrics();
    println!("metrics at http://{}/metrics", options.listen);

    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schemas(parse_schemas(SCHEMA)?)
        .with_name("movies")
        .build()?;
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Movie")
        .with_name("movies")
        .build();

    let mut version = 0;
    for n in 1..=options.cycles {
        version = producer.run_cycle(|ws| add_catalog(ws, n))?;
        consumer.refresh()?;
        println!("cycle {n}: version {version}, consumer at {:?}", consumer.current_version());
        std::thread::sleep(options.interval);
    }
    let unchanged = producer.run_cycle(|ws| add_catalog(ws, options.cycles))?;
    println!("a cycle with no change: still version {unchanged}");
    match consumer.refresh_to(version + 1_000_000) {
        Err(e) => println!("a refresh to a version that does not exist failed, as it should: {e}"),
        Ok(v) => return Err(format!("version {v} should not exist").into()),
    }

    println!("ready: version {version}");
    // Serve until a line or the end of standard input.
    std::io::stdin().lock().read_line(&mut String::new())?;
    Ok(())
}
