//! Metrics: business figures computed from the data itself (movies per genre, total votes) each time
//! a consumer reaches a new version, published as `metrics` gauges next to hollow's own metrics
//! (`hollow::telemetry`), served for Prometheus at `/metrics`, shown live on the terminal, and exported
//! as a JSON series in the report.
//!
//! ```text
//! cargo run --release -p hollow-examples --example metrics -- --duration 1m --listen 127.0.0.1:9899
//! curl -s http://127.0.0.1:9899/metrics | grep catalog_
//! ```

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hollow::{Consumer, KeyValue, Producer, ReadState};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;

use crate::args::Common;
use crate::fleet::follow;
use crate::movies::{self, Catalog, GENRES};
use crate::run::{open_store, Result, Run};
use crate::schedule::{drive, Tick};
use crate::Report;

/// Business metrics from the catalog, a Prometheus endpoint, a live dashboard, a JSON series.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "metrics")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    /// Address of the `/metrics` endpoint (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:9899")]
    pub listen: SocketAddr,
    /// Movies in the catalog before the first event.
    #[arg(long, default_value_t = 1_000)]
    pub catalog: usize,
}

/// One sample of the business metrics: what a consumer's version holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    pub t_s: f64,
    pub version: hollow::Version,
    pub movies: usize,
    pub by_genre: BTreeMap<String, usize>,
    pub total_votes: i64,
}

/// The business collector: movies per genre through the hash index on `genre`, votes by a scan.
fn collect(state: &ReadState, t_s: f64) -> hollow::Result<Sample> {
    let by_genre_index = state.hash_index("Movie", &["genre.value"])?;
    let by_genre = GENRES
        .iter()
        .map(|g| (g.to_string(), by_genre_index.find(state.engine(), &[KeyValue::from(*g)]).len()))
        .collect();
    let mut total_votes = 0;
    let mut movies = 0;
    for movie in state.iter::<movies::Movie>()? {
        total_votes += movie?.votes;
        movies += 1;
    }
    Ok(Sample { t_s, version: state.version(), movies, by_genre, total_votes })
}

fn publish_gauges(sample: &Sample) {
    metrics::gauge!("catalog_movies").set(sample.movies as f64);
    metrics::gauge!("catalog_votes_total").set(sample.total_votes as f64);
    for (genre, n) in &sample.by_genre {
        metrics::gauge!("catalog_movies_by_genre", "genre" => genre.clone()).set(*n as f64);
    }
}

/// The process's Prometheus recorder, installed once (a process has one global recorder).
fn prometheus() -> Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut handle = HANDLE.lock().unwrap_or_else(|e| e.into_inner());
    if handle.is_none() {
        *handle = Some(PrometheusBuilder::new().install_recorder()?);
        hollow::telemetry::describe_metrics();
    }
    Ok(handle.clone().expect("installed above"))
}

/// Serve `handle`'s text at any path until `stop` is set; returns the bound address.
fn serve(listen: SocketAddr, handle: PrometheusHandle, stop: Arc<AtomicBool>) -> Result<SocketAddr> {
    let listener = TcpListener::bind(listen)?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stop.load(Ordering::Acquire) {
                return;
            }
            let Ok(mut stream) = stream else { continue };
            // Read the whole request head: closing a socket with unread bytes resets the connection.
            let (mut request, mut buf) = (Vec::new(), [0u8; 1024]);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let body = handle.render();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Ok(address)
}

/// GET `/metrics` from `address`: the body.
pub fn scrape(address: SocketAddr) -> Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("GET /metrics HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n").as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (_, body) = response.split_once("\r\n\r\n").ok_or("not an HTTP response")?;
    Ok(body.to_owned())
}

pub fn run(options: &Options) -> Result<Report> {
    let common = &options.common;
    let (store, url, _temp_dir) = open_store(common)?;
    let handle = prometheus()?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_server = Arc::new(AtomicBool::new(false));
    let address = serve(options.listen, handle, stop_server.clone())?;
    let run = Run::new("metrics", common);
    run.progress.println(format!("metrics at http://{address}/metrics"));

    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_object_mapper(movies::mapper())
        .with_name("catalog")
        .build()?;
    let mut catalog = Catalog::new(options.catalog, common.seed);
    let published: Arc<Mutex<BTreeMap<hollow::Version, BTreeMap<i64, movies::Movie>>>> = Arc::default();
    let cycle = |producer: &mut Producer, catalog: &Catalog| -> hollow::Result<()> {
        let before = producer.current_version();
        let v = producer.run_cycle(|ws| {
            published.lock().unwrap_or_else(|e| e.into_inner()).insert(ws.version(), catalog.movies.clone());
            catalog.add_to(ws)
        })?;
        run.cycle_done((Some(v) != before).then_some((v, catalog.movies.len())));
        Ok(())
    };
    cycle(&mut producer, &catalog)?;

    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Movie")
        .with_hash_index("Movie", &["genre.value"])
        .with_name("catalog")
        .build();
    // A reader keeps timing lookups, so the report has read latency beside the business figures.
    let max_id = Arc::new(std::sync::atomic::AtomicI64::new(options.catalog as i64));
    let wrong = Arc::new(AtomicU64::new(0));
    let reader = crate::fleet::readers(consumer.clone(), run.clone(), 1, max_id, stop.clone(), wrong.clone());
    let series: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let collector_errors = Arc::new(AtomicU64::new(0));
    let follower = {
        let (run_c, series, errors) = (run.clone(), series.clone(), collector_errors.clone());
        follow("catalog".into(), consumer.clone(), run.clone(), stop.clone(), Arc::default(), move |state| {
            match collect(state, run_c.seconds()) {
                Ok(sample) => {
                    publish_gauges(&sample);
                    // The live dashboard: one line per version (only on a terminal).
                    let genres: Vec<String> = sample.by_genre.iter().map(|(g, n)| format!("{g} {n}")).collect();
                    run_c.progress.println(format!(
                        "v{} | {} movies | {} | {} votes",
                        sample.version,
                        sample.movies,
                        genres.join(" "),
                        sample.total_votes
                    ));
                    series.lock().unwrap_or_else(|e| e.into_inner()).push(sample);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "collecting the business metrics failed");
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };

    let window = common.window();
    drive(&run.schedule.clone(), (window / 50).max(Duration::from_millis(20)), |tick| {
        match tick {
            Tick::Event(_) => {
                catalog.random_event();
                run.event_done();
            }
            Tick::Cycle => cycle(&mut producer, &catalog)?,
        }
        Ok::<(), crate::run::Error>(())
    })?;
    let final_version = producer.current_version().ok_or("nothing published")?;
    stop.store(true, Ordering::Release);
    follower.join().map_err(|_| "the consumer thread panicked")?;
    for r in reader {
        r.join().map_err(|_| "the reader panicked")?;
    }

    // Scrape our own endpoint once the consumer is done: what Prometheus would see now.
    let scraped = scrape(address)?;
    stop_server.store(true, Ordering::Release);
    let _ = TcpStream::connect(address); // wakes the server so it sees `stop_server`

    let series = series.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut report = run.report();
    let last = series.last().cloned().ok_or("no sample collected")?;
    let expected = published.lock().unwrap_or_else(|e| e.into_inner()).get(&final_version).cloned().unwrap_or_default();
    let mut expected_by_genre: BTreeMap<String, usize> = GENRES.iter().map(|g| (g.to_string(), 0)).collect();
    for m in expected.values() {
        *expected_by_genre.entry(m.genre.clone()).or_default() += 1;
    }
    let expected_votes: i64 = expected.values().map(|m| m.votes).sum();
    report.check(
        "business metrics of the last version match the producer's catalog",
        last.version == final_version && last.by_genre == expected_by_genre && last.total_votes == expected_votes,
        format!("{} movies, {} votes at {}", last.movies, last.total_votes, last.version),
    );
    let line = format!("catalog_movies_by_genre{{genre=\"drama\"}} {}", last.by_genre["drama"]);
    report.check(
        "/metrics serves the business metrics and hollow's",
        scraped.contains(&line) && scraped.contains("hollow_"),
        format!("{} bytes scraped from {address}, looked for `{line}`", scraped.len()),
    );
    let errors = collector_errors.load(Ordering::Relaxed);
    report.check(
        "every version was collected",
        errors == 0 && !series.is_empty(),
        format!("{} samples, {errors} errors", series.len()),
    );
    let wrong = wrong.load(Ordering::Relaxed);
    report.check("reads found the movie asked for", wrong == 0, format!("{wrong} wrong answers"));
    report.figure("samples", series.len() as f64);
    report.note(format!("{} samples; last: {} movies, {} votes", series.len(), last.movies, last.total_votes));
    report.note(format!("Prometheus endpoint was http://{address}/metrics ({} lines)", scraped.lines().count()));
    report.details.insert("series".into(), serde_json::to_value(&series)?);
    report.details.insert("store".into(), url.into());
    Ok(report)
}
