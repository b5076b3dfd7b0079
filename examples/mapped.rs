//! Memory-mapped snapshots against heap snapshots, on the 1M-movie benchmark dataset:
//!
//! 1. load time of the snapshot file (in the page cache): read into the heap (`MappingMode::Copy`)
//!    vs mapped (`MappingMode::Shared`), alternating;
//! 2. primary-key lookup + title, mean per request over random keys, heap vs mapped, alternating;
//! 3. the 1% delta applied on each;
//! 4. private vs shared memory of two consumer processes holding the same file, each with its
//!    primary-key index and every title read once, from `/proc/self/smaps_rollup` (Linux), for both
//!    modes.
//!
//! ```text
//! cargo run --release --example mapped                 # 1M movies, 5 rounds
//! cargo run --release --example mapped -- 100000 3     # movies, rounds
//! ```

#[path = "../benches/support/movies.rs"]
mod movies;

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hollow::index::{KeyValue, PrimaryKeyIndex};
use hollow::mapped::MappingMode;
use hollow::read::ReadStateEngine;
use movies::{MOVIE_TITLE, STRING_VALUE};

const SEED: u64 = 42;
const MODES: [MappingMode; 2] = [MappingMode::Copy, MappingMode::Shared];

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn index(engine: &ReadStateEngine) -> PrimaryKeyIndex {
    PrimaryKeyIndex::new(engine, "Movie").expect("the primary-key index")
}

/// Mean ns per lookup + title read over `keys`.
#[inline(never)]
fn lookup_title_ns(engine: &ReadStateEngine, index: &PrimaryKeyIndex, keys: &[i64]) -> f64 {
    let movie = engine.object("Movie").expect("Movie");
    let string = engine.object("String").expect("String");
    let t = Instant::now();
    for &k in keys {
        let len = index
            .get(engine, &[KeyValue::Long(k)])
            .and_then(|o| movie.read_ordinal(o, MOVIE_TITLE))
            .and_then(|t| string.read_string(t, STRING_VALUE))
            .map_or(0, |s| s.len());
        black_box(len);
    }
    t.elapsed().as_nanos() as f64 / keys.len() as f64
}

/// Read every title once, so that every page a reader touches is in this process.
fn touch_everything(engine: &ReadStateEngine) -> usize {
    let movie = engine.object("Movie").expect("Movie");
    let string = engine.object("String").expect("String");
    movie
        .populated()
        .iter()
        .filter_map(|o| movie.read_ordinal(o, MOVIE_TITLE))
        .filter_map(|t| string.read_string(t, STRING_VALUE))
        .map(|s| s.len())
        .sum()
}

fn smaps_rollup() -> Vec<(String, u64)> {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let kb = v.trim().strip_suffix(" kB")?.trim().parse().ok()?;
            Some((k.to_owned(), kb))
        })
        .collect()
}

/// The child process: load, index, touch, report ready, wait, then print its memory.
fn child(path: &Path, mode: &str) {
    let mode = if mode == "Shared" { MappingMode::Shared } else { MappingMode::Copy };
    // What the process holds before it opens the snapshot (its binary's data, the allocator, stacks):
    // reported too, so that the growth is what the consumer itself costs.
    let before = smaps_rollup();
    let engine = ReadStateEngine::from_snapshot_file(path, mode).expect("load");
    let index = index(&engine);
    black_box(touch_everything(&engine));
    println!("ready");
    std::io::stdout().flush().unwrap();
    // Measured while the other consumer holds the file too (a page only one process maps counts as
    // private), then held until the parent has both reports.
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    for (k, kb) in smaps_rollup() {
        println!("{k} {kb}");
    }
    for (k, kb) in before {
        println!("Before_{k} {kb}");
    }
    println!("index_bytes {}", index.heap_bytes());
    println!("end");
    std::io::stdout().flush().unwrap();
    std::io::stdin().read_line(&mut line).unwrap();
    drop(index);
}

fn two_consumers(exe: &Path, path: &Path, mode: MappingMode) {
    let mut children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(exe)
                .args(["--child", path.to_str().unwrap(), &format!("{mode:?}")])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("child")
        })
        .collect();
    let mut outs: Vec<_> = children.iter_mut().map(|c| BufReader::new(c.stdout.take().unwrap())).collect();
    for out in &mut outs {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
    }
    // Both hold the file now: measure each, then let both go.
    for c in &mut children {
        writeln!(c.stdin.as_mut().unwrap()).unwrap();
    }
    for (i, out) in outs.iter_mut().enumerate() {
        let mut fields = std::collections::BTreeMap::new();
        for line in out.lines() {
            let line = line.unwrap();
            if line == "end" {
                break;
            }
            if let Some((k, v)) = line.split_once(' ') {
                fields.insert(k.to_owned(), v.parse::<u64>().unwrap_or(0));
            }
        }
        let f = |k: &str| fields.get(k).copied().unwrap_or(0) as f64 / 1024.0;
        println!(
            "  {mode:?} consumer {i}: Rss {:7.1} MiB  Pss {:7.1}  Shared_Clean {:6.1}  Shared_Dirty {:5.1}  \
             Private_Clean {:6.1}  Private_Dirty {:6.1}  (private {:.1}, shared {:.1})",
            f("Rss"),
            f("Pss"),
            f("Shared_Clean"),
            f("Shared_Dirty"),
            f("Private_Clean"),
            f("Private_Dirty"),
            f("Private_Clean") + f("Private_Dirty"),
            f("Shared_Clean") + f("Shared_Dirty"),
        );
        let private_before = f("Before_Private_Clean") + f("Before_Private_Dirty");
        let growth = f("Private_Clean") + f("Private_Dirty") - private_before;
        let index = f("index_bytes") / 1024.0;
        println!(
            "  {mode:?} consumer {i}: private growth since before the open {growth:.2} MiB, primary-key index \
             {index:.2} MiB: {:.3}x the index",
            growth / index,
        );
    }
    for mut c in children {
        writeln!(c.stdin.as_mut().unwrap()).unwrap();
        c.wait().unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(Path::new(&args[2]), &args[3]);
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let chain = movies::chain_cached(n, 1, 0.01, SEED).expect("dataset");
    let exe = std::env::current_exe().unwrap();
    let dir: PathBuf = exe.parent().unwrap().join("hollow-mapped-example");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("movies-{n}.snapshot"));
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(&chain.snapshot).unwrap();
    // Written back, so that its pages in the page cache are clean (as a store's blob would be).
    file.sync_all().unwrap();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{n} movies, snapshot {:.1} MB, {rounds} alternating rounds, loadavg {}",
        chain.snapshot.len() as f64 / 1e6,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );

    // 1. Load.
    let mut load_ms = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (m, mode) in MODES.iter().enumerate() {
            let t = Instant::now();
            let engine = ReadStateEngine::from_snapshot_file(&path, *mode).expect("load");
            load_ms[m].push(ms(t.elapsed()));
            drop(black_box(engine));
        }
    }
    let (heap, mapped) = (median(load_ms[0].clone()), median(load_ms[1].clone()));
    println!("load (file in page cache): heap {heap:.2} ms, mapped {mapped:.2} ms, mapped/heap {:.3}", mapped / heap);
    println!("  rounds heap {:.2?} mapped {:.2?}", load_ms[0], load_ms[1]);

    // 2. Lookup + title.
    let engines: Vec<ReadStateEngine> =
        MODES.iter().map(|m| ReadStateEngine::from_snapshot_file(&path, *m).expect("load")).collect();
    let indexes: Vec<PrimaryKeyIndex> = engines.iter().map(index).collect();
    let keys = movies::shuffled_keys(&chain.ids[0], 1 << 20, SEED);
    for (e, i) in engines.iter().zip(&indexes) {
        black_box(lookup_title_ns(e, i, &keys)); // warm-up: fault everything in
    }
    let mut lookup_ns = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for ((samples, engine), index) in lookup_ns.iter_mut().zip(&engines).zip(&indexes) {
            samples.push(lookup_title_ns(engine, index, &keys));
        }
    }
    let (heap, mapped) = (median(lookup_ns[0].clone()), median(lookup_ns[1].clone()));
    println!(
        "lookup+title, mean of {} random keys: heap {heap:.1} ns, mapped {mapped:.1} ns, mapped/heap {:.3}",
        keys.len(),
        mapped / heap
    );
    println!("  rounds heap {:.1?} mapped {:.1?}", lookup_ns[0], lookup_ns[1]);

    // 3. The 1% delta.
    let mut delta_ms = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (samples, engine) in delta_ms.iter_mut().zip(&engines) {
            let t = Instant::now();
            black_box(engine.apply_delta(&chain.deltas[0]).expect("delta"));
            samples.push(ms(t.elapsed()));
        }
    }
    let (heap, mapped) = (median(delta_ms[0].clone()), median(delta_ms[1].clone()));
    println!("1% delta apply: heap {heap:.2} ms, mapped {mapped:.2} ms, mapped/heap {:.3}", mapped / heap);
    let next = engines[1].apply_delta(&chain.deltas[0]).expect("delta");
    println!(
        "  after the delta the mapped state keeps {} of {} shards mapped; heap bytes: mapped state {:.1} MiB, heap state {:.1} MiB",
        next.mapped_shards(),
        next.types().map(|t| t.num_shards() as usize).sum::<usize>(),
        engines[1].types().map(|t| t.approximate_heap_bytes()).sum::<usize>() as f64 / 1048576.0,
        engines[0].types().map(|t| t.approximate_heap_bytes()).sum::<usize>() as f64 / 1048576.0,
    );
    drop((engines, indexes, next));

    // 4. Two consumer processes.
    println!("two processes, each: load, primary-key index, every title read once (smaps_rollup, MiB):");
    for mode in MODES {
        two_consumers(&exe, &path, mode);
    }
}
