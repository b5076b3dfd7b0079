//! Consumers and readers on threads: a follower refreshes a consumer as versions are announced, and a
//! reader pool times lookups on whatever version its consumer holds.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hollow::{Consumer, ReadState};

use crate::latency::{histogram, timed};
use crate::movies::Movie;
use crate::run::Run;

/// Refresh `consumer` until `stop` is set and the announced version is reached, calling `on_version`
/// with each new state. Failed refreshes are counted in `failures` and retried: the consumer keeps the
/// version it had.
pub fn follow(
    name: String,
    consumer: Consumer,
    run: Arc<Run>,
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
    mut on_version: impl FnMut(&Arc<ReadState>) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut last = None;
        loop {
            let stopping = stop.load(Ordering::Acquire);
            let started = Instant::now();
            match consumer.refresh() {
                Ok(Some(v)) if Some(v) != last => {
                    run.refreshed(&name, v, started.elapsed());
                    last = Some(v);
                    if let Some(state) = consumer.read_state() {
                        on_version(&state);
                    }
                    continue;
                }
                // Up to date: done if the producer has stopped.
                Ok(_) if stopping => return,
                Ok(_) => {}
                Err(e) => {
                    failures.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(consumer = %name, error = %e, "refresh failed; retrying");
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

/// `threads` readers looking movies up by id (ids drawn below `max_id`) through the typed primary-key
/// index of the version `consumer` holds, each lookup timed into `run.latency`. A lookup that finds a
/// movie with another id is counted in `wrong`.
pub fn readers(
    consumer: Consumer,
    run: Arc<Run>,
    threads: usize,
    max_id: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    wrong: Arc<AtomicU64>,
) -> Vec<JoinHandle<()>> {
    (0..threads)
        .map(|t| {
            let (consumer, run, max_id, stop, wrong) =
                (consumer.clone(), run.clone(), max_id.clone(), stop.clone(), wrong.clone());
            std::thread::spawn(move || {
                let mut local = histogram();
                let mut key = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(t as u64 + 1);
                while !stop.load(Ordering::Acquire) {
                    let Some(state) = consumer.read_state() else {
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    };
                    let Ok(index) = state.index::<Movie>() else { break };
                    // A batch of lookups on the state held; then look for a newer one.
                    for _ in 0..256 {
                        key ^= key << 13;
                        key ^= key >> 7;
                        key ^= key << 17;
                        let id = (key % max_id.load(Ordering::Relaxed).max(1) as u64) as i64 + 1;
                        let found = timed(&mut local, || index.get(id));
                        if matches!(found, Ok(Some(ref m)) if m.id != id) || found.is_err() {
                            wrong.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    run.latency.hand_over(&mut local);
                    // Leave a core to the producer and the consumers now and then.
                    std::thread::yield_now();
                }
                run.latency.hand_over(&mut local);
            })
        })
        .collect()
}
