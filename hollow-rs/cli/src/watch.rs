//! `hollow watch STORE`: follow the announced version and print one line per refresh.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hollow::consumer::{Consumer, ConsumerMetrics};
use hollow::mapped::MappingMode;
use hollow::store::{AnnouncementWatcher, BlobStore};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub struct Watch {
    pub interval: Duration,
    pub count: Option<u64>,
    pub metrics_listen: Option<SocketAddr>,
    pub mapping: MappingMode,
}

pub fn run(name: &str, store: Arc<dyn BlobStore>, watch: &Watch) -> hollow::Result<()> {
    if let Some(addr) = watch.metrics_listen {
        serve_metrics(addr)?;
    }
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_memory_mapping(watch.mapping)
        .build();
    println!("watching {name} (every {} ms)", watch.interval.as_millis());
    let mut seen = None;
    let mut refreshes = 0;
    while watch.count.is_none_or(|n| refreshes < n) {
        let announced = match store.wait_for_change(seen, watch.interval) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(target: "hollow::cli", error = %e, "reading the announced version failed; retrying");
                println!("reading the announced version failed: {e}");
                std::thread::sleep(watch.interval);
                continue;
            }
        };
        seen = announced;
        let Some(target) = announced else { continue };
        if consumer.current_version() == Some(target) {
            continue;
        }
        let before = consumer.metrics();
        let started = Instant::now();
        let result = consumer.refresh_to(target);
        let took = started.elapsed();
        refreshes += 1;
        match result {
            Ok(version) => println!("{}", refresh_line(&consumer, version, &before, took)),
            Err(e) => println!("version {target}: refresh failed after {:.1} ms: {e}", took.as_secs_f64() * 1e3),
        }
        std::io::stdout().flush()?;
    }
    Ok(())
}

/// `version 7  plan 2 deltas  bytes 1234  3.1 ms  Movie=30 String=41`, and `mapped shards 3` at the end
/// when some of the state is read in place from a mapped snapshot file.
fn refresh_line(consumer: &Consumer, version: i64, before: &ConsumerMetrics, took: Duration) -> String {
    let after = consumer.metrics();
    let snapshots = after.snapshots_applied - before.snapshots_applied;
    let deltas = after.deltas_applied - before.deltas_applied;
    let plan = match (snapshots, deltas) {
        (0, 1) => "1 delta".to_owned(),
        (0, d) => format!("{d} deltas"),
        (_, 0) => "snapshot".to_owned(),
        (_, d) => format!("snapshot + {d} deltas"),
    };
    let records = consumer.read_state().map_or_else(String::new, |state| {
        state.engine().types().map(|t| format!("{}={}", t.name(), t.populated().count())).collect::<Vec<_>>().join(" ")
    });
    let mapped = consumer.read_state().map_or(0, |state| state.engine().mapped_shards());
    let mapped = if mapped > 0 { format!("  mapped shards {mapped}") } else { String::new() };
    format!(
        "version {version}  plan {plan}  bytes {}  {:.1} ms  {records}{mapped}",
        after.bytes_applied - before.bytes_applied,
        took.as_secs_f64() * 1e3
    )
}

/// Install a Prometheus recorder and serve its text at `http://addr/metrics` from a thread.
fn serve_metrics(addr: SocketAddr) -> hollow::Result<()> {
    if !addr.ip().is_loopback() {
        eprintln!("hollow: WARNING: serving metrics on {addr}, reachable from other machines");
    }
    let handle = install_prometheus()?;
    let listener = TcpListener::bind(addr).map_err(|e| hollow::Error::io(format!("listening on {addr}"), e))?;
    println!("metrics at http://{}/metrics", listener.local_addr()?);
    std::thread::Builder::new()
        .name("hollow-metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Err(e) = answer(stream, &handle) {
                    tracing::debug!(target: "hollow::cli", error = %e, "a metrics request failed");
                }
            }
        })
        .map_err(|e| hollow::Error::io("starting the metrics thread", e))?;
    Ok(())
}

/// Install a Prometheus recorder for the process's metrics (the library's, described) and return the
/// handle that renders them.
pub fn install_prometheus() -> hollow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| hollow::Error::InvalidArgument(format!("installing the Prometheus recorder failed: {e}")))?;
    hollow::telemetry::describe_metrics();
    Ok(handle)
}

/// Answer one HTTP request: the metrics for `GET /metrics`, 404 for anything else.
fn answer(mut stream: TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let first_line = request.split(|&b| b == b'\n').next().unwrap_or_default();
    let (status, body) = if first_line.starts_with(b"GET /metrics ") {
        ("200 OK", handle.render())
    } else {
        ("404 Not Found", "only /metrics is served here\n".to_owned())
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
