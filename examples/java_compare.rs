//! The hollow-rs side of the comparison with Java Hollow (`benches/java/`): reads the movies dataset
//! **written by Java Hollow's producer** (`HollowCompare generate`) and prints, one `key value` line
//! each, the figures `HollowCompare bench` prints for Java, measured the same way:
//!
//! ```text
//! cargo run --release -p hollow --example java_compare -- DIR [LOOKUPS]
//! ```
//!
//! | key | what |
//! |---|---|
//! | `load_ms`, `index_ms`, `load_index_ms` | read the first snapshot file (in the page cache) and load it; build the `Movie` primary-key index |
//! | `heap_mib` | heap allocated after load + index (a counting allocator, plus the large arrays on mappings of their own, freed ones kept for reuse, and the blob buffer the state reads in place; Java: used heap after GC) |
//! | `load_peak_rss_mib` | the process's peak resident set after load + index (Linux `VmHWM`; not printed elsewhere) |
//! | `loop_ns` | lookup + title per key, tight loop, median of 5 rounds after 3 warm-up rounds |
//! | `probe_ns`, `get_many_ns` | the index probe alone per key: one `get` at a time; `get_many` over batches of 1024 |
//! | `single_p50_ns`, `single_p99_ns` | one lookup + title timed alone (an `Instant` pair, timer included, as Java's `nanoTime` pair) |
//! | `delta_ms` | read and apply the 1% delta, and move the index across it as a consumer does, beside the delta's other types (the first delta in the process: its arrays are fresh memory) |
//! | `delta_again_ms` | the same delta applied again after its reverse delta, median of 5 (as a consumer's next delta, on the memory the states before it freed) |
//!
//! `JAVA_COMPARE_LOAD` picks how the snapshot is loaded: `file` (the default:
//! `from_snapshot_file` in copy mode, what a user of the file API gets), `owned` (the file read into
//! an `Arc<[u8]>` handed over, as a consumer loads a retrieved blob), `slice` (`from_snapshot` of
//! the bytes read).
//!
//! The keys are drawn from the movies' ids in ordinal order with the same SplitMix64 as the Java
//! harness, so both sides look up the same keys; the checksum printed last must match Java's.

#[path = "../benches/support/movies.rs"]
mod movies;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use hollow::index::{KeyValue, PrimaryKeyIndex};
use hollow::mapped::MappingMode;
use hollow::read::{ObjectTypeReadState, ReadStateEngine};
use movies::SplitMix64;

/// Counts the bytes currently allocated, for `heap_mib`.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with this layout (every allocation goes through here).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const LOOKUP_SEED: u64 = 7;

/// The first snapshot of the directory and the delta from it (Java's filesystem publisher names them
/// `snapshot-<version>` and `delta-<from>-<to>`).
fn blobs(dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    let names: Vec<String> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    let first = names
        .iter()
        .filter_map(|n| n.strip_prefix("snapshot-")?.parse::<i64>().ok())
        .min()
        .ok_or_else(|| std::io::Error::other(format!("no snapshot in {}", dir.display())))?;
    let delta = names
        .iter()
        .find(|n| n.starts_with(&format!("delta-{first}-")))
        .ok_or_else(|| std::io::Error::other(format!("no delta from {first} in {}", dir.display())))?;
    Ok((dir.join(format!("snapshot-{first}")), dir.join(delta)))
}

/// Forward deltas timed again after the first (see the end of `main`).
const DELTA_AGAIN: usize = 5;

/// Apply a delta to `engine` and move `index` across it, as a consumer does: the index moves as
/// soon as `Movie` has its new state, beside the delta's other types.
fn apply_delta_with_index(
    engine: &ReadStateEngine,
    index: &PrimaryKeyIndex,
    delta: &[u8],
) -> Result<(ReadStateEngine, PrimaryKeyIndex), Box<dyn std::error::Error>> {
    let (next, moved) = engine.apply_delta_with(delta, &[index.follower(engine)])?;
    let index = moved.into_iter().next().ok_or("the follower gave no index")??;
    Ok((next, index))
}

/// The reverse delta beside `delta-FROM-TO`: `reversedelta-TO-FROM`.
fn reverse_delta(delta: &Path) -> std::io::Result<PathBuf> {
    let name = delta.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let (from, to) = name
        .strip_prefix("delta-")
        .and_then(|v| v.split_once('-'))
        .ok_or_else(|| std::io::Error::other(format!("{name} is not delta-FROM-TO")))?;
    Ok(delta.with_file_name(format!("reversedelta-{to}-{from}")))
}

/// The title's length in UTF-16 units, as Java's `String.length()` gives it for the checksum: the
/// byte length of an ASCII title (checked word by word), else counted char by char. Counting every
/// title char by char cost ~140 ns a lookup here, a third of the loop: the longer loop body also
/// kept the next key's cache misses from starting early.
#[inline]
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

#[inline(never)]
fn lookup_loop(
    index: &PrimaryKeyIndex,
    engine: &ReadStateEngine,
    movies: &ObjectTypeReadState,
    strings: &ObjectTypeReadState,
    title: usize,
    keys: &[i64],
) -> u64 {
    let mut checksum = 0u64;
    for &k in keys {
        let o = index.get(engine, &[KeyValue::Long(k)]).unwrap_or(0);
        let t = movies.read_ordinal(o, title).unwrap_or(0);
        checksum += strings.read_string(t, 0).map_or(0, |s| utf16_len(&s) as u64);
    }
    checksum
}

#[inline(never)]
fn probes(index: &PrimaryKeyIndex, engine: &ReadStateEngine, keys: &[i64]) -> u64 {
    keys.iter()
        .map(|&k| index.get(engine, &[KeyValue::Long(k)]).map_or(-1i64, i64::from) as u64)
        .fold(0, u64::wrapping_add)
}

#[inline(never)]
fn batched_probes(index: &PrimaryKeyIndex, engine: &ReadStateEngine, keys: &[i64]) -> u64 {
    let mut checksum = 0u64;
    let mut batch: Vec<[KeyValue<'static>; 1]> = Vec::with_capacity(1024);
    for chunk in keys.chunks(1024) {
        batch.clear();
        batch.extend(chunk.iter().map(|&k| [KeyValue::Long(k)]));
        index.get_many_each(engine, &batch, |_, o| checksum = checksum.wrapping_add(o.map_or(-1i64, i64::from) as u64));
    }
    checksum
}

/// Median ns per key of 5 rounds of `f` over `n` keys, after 3 warm-up rounds (as the Java side).
fn per_key(n: usize, checksum: &mut u64, mut f: impl FnMut() -> u64) -> f64 {
    for _ in 0..3 {
        *checksum = checksum.wrapping_add(f());
    }
    let mut ns: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            *checksum = checksum.wrapping_add(f());
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    ns[ns.len() / 2]
}

/// The process's peak resident set so far (`VmHWM`), in KiB; Linux only.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: java_compare DIR [LOOKUPS]")?);
    let lookups: usize = std::env::args().nth(2).map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let (snapshot, delta) = blobs(&dir)?;

    // How the snapshot is loaded: `file` (the default, what a user of the file API gets), `owned`
    // (a blob in memory handed over, as a consumer does), `slice` (a blob in memory, copied).
    let load_path = std::env::var("JAVA_COMPARE_LOAD").unwrap_or_else(|_| "file".to_owned());
    let heap_before =
        ALLOCATED.load(Ordering::Relaxed) + hollow::memory::mapped_array_bytes() + hollow::memory::recycled_bytes();
    let t0 = Instant::now();
    let engine = match load_path.as_str() {
        "file" => ReadStateEngine::from_snapshot_file(&snapshot, MappingMode::Copy)?,
        "owned" => ReadStateEngine::from_snapshot_owned(std::fs::read(&snapshot)?.into())?,
        "slice" => ReadStateEngine::from_snapshot(&std::fs::read(&snapshot)?)?,
        other => return Err(format!("JAVA_COMPARE_LOAD={other}: expected file, owned or slice").into()),
    };
    let t1 = Instant::now();
    let index = PrimaryKeyIndex::new(&engine, "Movie")?;
    let t2 = Instant::now();
    // A buffer of the library's own is mapped memory, which the counting allocator does not see (an
    // owned blob was allocated, and counted, by the `Vec` it came from).
    let own_buffer = if load_path == "owned" { 0 } else { engine.blob_buffer_bytes() };
    let heap_after = ALLOCATED.load(Ordering::Relaxed)
        + hollow::memory::mapped_array_bytes()
        + hollow::memory::recycled_bytes()
        + own_buffer;
    let load_peak_rss = peak_rss_kib();
    println!("load_ms {:.1}", (t1 - t0).as_secs_f64() * 1e3);
    println!("index_ms {:.1}", (t2 - t1).as_secs_f64() * 1e3);
    println!("load_index_ms {:.1}", (t2 - t0).as_secs_f64() * 1e3);
    println!("heap_mib {:.1}", (heap_after - heap_before) as f64 / 1048576.0);
    println!("index_mib {:.1}", index.heap_bytes() as f64 / 1048576.0);
    if let Some(kib) = load_peak_rss {
        println!("load_peak_rss_mib {:.1}", kib as f64 / 1024.0);
    }

    let movies = engine.object("Movie").ok_or("no Movie type")?;
    let strings = engine.object("String").ok_or("no String type")?;
    let title = movies.field_index("title").ok_or("no title")?;
    let id = movies.field_index("id").ok_or("no id")?;
    let ids: Vec<i64> = movies.populated().iter().map(|o| movies.read_long(o, id).unwrap_or(-1)).collect();
    let mut rng = SplitMix64::new(LOOKUP_SEED);
    let keys: Vec<i64> = (0..lookups).map(|_| ids[rng.below(ids.len() as u64) as usize]).collect();

    let mut checksum = 0u64;
    let mut title_sum = 0u64;
    let loop_ns = per_key(lookups, &mut title_sum, || lookup_loop(&index, &engine, movies, strings, title, &keys));
    println!("loop_ns {loop_ns:.1}");
    let probe_ns = per_key(lookups, &mut checksum, || probes(&index, &engine, &keys));
    println!("probe_ns {probe_ns:.1}");
    let get_many_ns = per_key(lookups, &mut checksum, || batched_probes(&index, &engine, &keys));
    println!("get_many_ns {get_many_ns:.1}");

    let mut single: Vec<u64> = Vec::with_capacity(lookups);
    for &k in &keys {
        let t = Instant::now();
        let o = index.get(&engine, &[KeyValue::Long(k)]).unwrap_or(0);
        let text = strings.read_string(movies.read_ordinal(o, title).unwrap_or(0), 0);
        single.push(t.elapsed().as_nanos() as u64);
        title_sum += text.map_or(0, |s| utf16_len(&s) as u64);
    }
    single.sort_unstable();
    println!("single_p50_ns {}", single[lookups / 2]);
    println!("single_p99_ns {}", single[(lookups as f64 * 0.99) as usize]);

    let d0 = Instant::now();
    let (next, next_index) = apply_delta_with_index(&engine, &index, &std::fs::read(&delta)?)?;
    let d1 = Instant::now();
    println!("delta_ms {:.1}", (d1 - d0).as_secs_f64() * 1e3);
    // The index follows the delta: every key of the new version is found, with its own id.
    let next_movies = next.object("Movie").ok_or("no Movie type after the delta")?;
    for o in next_movies.populated().iter().take(10_000) {
        let k = next_movies.read_long(o, id).ok_or("a movie without id")?;
        if next_index.get(&next, &[KeyValue::Long(k)]) != Some(o) {
            return Err(format!("index is stale at {o}").into());
        }
    }
    // The same delta again, as a consumer applies its next one: back to v1 by the reverse delta,
    // then forward, DELTA_AGAIN times, each state dropped once the next is made (as a consumer's
    // readers leave it); the forward applications, index included, are timed (median).
    let forward = std::fs::read(&delta)?;
    let reverse = std::fs::read(reverse_delta(&delta)?)?;
    let (mut state, mut state_index) = (next, next_index);
    let mut again = Vec::with_capacity(DELTA_AGAIN);
    for _ in 0..DELTA_AGAIN {
        let back = state.apply_reverse_delta(&reverse)?;
        let back_index = state_index.updated(&state, &back)?;
        drop((state, state_index));
        let a0 = Instant::now();
        let (ahead, ahead_index) = apply_delta_with_index(&back, &back_index, &forward)?;
        again.push(a0.elapsed().as_secs_f64() * 1e3);
        (state, state_index) = (ahead, ahead_index);
    }
    again.sort_by(f64::total_cmp);
    println!("delta_again_ms {:.1}", again[DELTA_AGAIN / 2]);
    let first = state.object("Movie").ok_or("no Movie type")?.populated().iter().next().ok_or("no movies")?;
    let first_id = state.object("Movie").ok_or("no Movie type")?.read_long(first, id).ok_or("no id")?;
    if state_index.get(&state, &[KeyValue::Long(first_id)]) != Some(first) {
        return Err("index is stale after the repeated deltas".into());
    }
    black_box(checksum);
    // Java's checksum is the sum of the title lengths (UTF-16 units) over its 9 loop rounds and the
    // single-request pass; this one is summed the same way.
    println!("movies {} lookups {lookups} checksum {title_sum}", ids.len());
    Ok(())
}
