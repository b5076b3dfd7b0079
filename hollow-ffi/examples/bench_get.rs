//! The Rust side of `examples/c/bench_get.c`: the same dataset (1M movies), the same pseudo-random ids,
//! the same reads (primary-key lookup, then the title through its String reference, by `get` and by
//! `get_i64`; the lookups alone in batches of 1024 keys), through the Rust API, so the figures show what
//! the C boundary costs.
//! The checksums printed are those of the C program.
//!
//! ```sh
//! cargo run --release -p hollow-ffi --example bench_get -- [MOVIES] [LOOKUPS] [ROUNDS]
//! ```

use std::sync::Arc;
use std::time::Instant;

use hollow::consumer::Consumer;
use hollow::index::{KeyValue, PrimaryKeyIndex};
use hollow::producer::Producer;
use hollow::read::{ObjectTypeReadState, ReadStateEngine};
use hollow::schema::dsl::parse_schemas;
use hollow::store::memory::InMemoryBlobStore;
use hollow::write::{ListRecord, ObjectRecord};

const SCHEMAS: &str = "Movie @PrimaryKey(id) { long id; String title; int year; double rating; ListOfString tags; }\n\
                       String { string value; }\nListOfString List<String>;\n";
const TAGS: [&str; 16] = [
    "action",
    "adventure",
    "animation",
    "biography",
    "comedy",
    "crime",
    "documentary",
    "drama",
    "family",
    "fantasy",
    "history",
    "horror",
    "music",
    "mystery",
    "romance",
    "thriller",
];

fn arg(n: usize, default: u64) -> u64 {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// What is measured: for each id, the primary-key lookup and the movie's title. Out of line so that
/// `valgrind --tool=callgrind --toggle-collect='*lookup_round*'` counts exactly this.
#[inline(never)]
fn lookup_round(
    by_id: &PrimaryKeyIndex,
    engine: &ReadStateEngine,
    movies: &ObjectTypeReadState,
    strings: &ObjectTypeReadState,
    title_field: usize,
    value_field: usize,
    ids: &[i64],
) -> u64 {
    let mut checksum = 0;
    for &id in ids {
        let found = by_id.get(engine, &[KeyValue::Long(id)]);
        let title = movies.read_ordinal(found.unwrap_or(0), title_field).unwrap_or(0);
        let text = strings.read_string(title, value_field);
        checksum += text.map_or(0, |t| t.len() as u64) + found.is_some() as u64;
    }
    checksum
}

/// [`lookup_round`] through `PrimaryKeyIndex::get_i64`, the entry point for a key of one integer field
/// given as an `i64` (what the C API's prepared reads use).
#[inline(never)]
fn lookup_i64_round(
    by_id: &PrimaryKeyIndex,
    engine: &ReadStateEngine,
    movies: &ObjectTypeReadState,
    strings: &ObjectTypeReadState,
    title_field: usize,
    value_field: usize,
    ids: &[i64],
) -> u64 {
    let mut checksum = 0;
    for &id in ids {
        let found = by_id.get_i64(engine, id);
        let title = movies.read_ordinal(found.unwrap_or(0), title_field).unwrap_or(0);
        let text = strings.read_string(title, value_field);
        checksum += text.map_or(0, |t| t.len() as u64) + found.is_some() as u64;
    }
    checksum
}

/// The lookups alone, 1024 keys per batch, as `batch_round` in bench_get.c: the keys are converted from
/// the id array inside the loop, as `hollow_primary_key_index_get_many_i64` does.
#[inline(never)]
fn batch_round(by_id: &PrimaryKeyIndex, engine: &ReadStateEngine, ids: &[i64]) -> u64 {
    const BATCH: usize = 1024;
    const CHUNK: usize = 64;
    let mut checksum = 0u64;
    let mut ordinals = [0u32; BATCH];
    let mut keys: [[KeyValue<'static>; 1]; CHUNK] = std::array::from_fn(|_| [KeyValue::Long(0)]);
    for batch in ids.chunks(BATCH) {
        let mut found = 0u64;
        for (c, chunk) in batch.chunks(CHUNK).enumerate() {
            for (slot, &id) in keys.iter_mut().zip(chunk) {
                slot[0] = KeyValue::Long(id);
            }
            by_id.get_many_each(engine, &keys[..chunk.len()], |i, o| {
                found += o.is_some() as u64;
                ordinals[c * CHUNK + i] = o.unwrap_or(u32::MAX);
            });
        }
        checksum += ordinals[..batch.len()].iter().map(|&o| o as u64).sum::<u64>() + found;
    }
    checksum
}

/// CPU time of the calling thread, which other processes on a busy machine do not inflate.
fn thread_cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3; // Linux
    let mut t = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux) to a valid pointer.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn main() -> hollow::Result<()> {
    let (movies, lookups, rounds) = (arg(1, 1_000_000), arg(2, 1_000_000) as usize, arg(3, 7) as usize);

    let started = Instant::now();
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer =
        Producer::builder(store.clone()).with_announcer(store.clone()).with_schemas(parse_schemas(SCHEMAS)?).build()?;
    producer.run_cycle(|ws| {
        let tags: Vec<u32> = TAGS.iter().map(|t| ws.add_string(t)).collect::<hollow::Result<_>>()?;
        let (mut movie, mut list) = (ObjectRecord::new(), ListRecord::new());
        for i in 0..movies {
            let title = ws.add_string(&format!("Movie {i}"))?;
            list.clear().add_element(tags[(i % 16) as usize]).add_element(tags[((i * 7 + 3) % 16) as usize]);
            let tag_list = ws.add_list("ListOfString", &list)?;
            movie
                .clear()
                .set_long("id", i as i64)
                .set_reference("title", title)
                .set_int("year", 1900 + (i % 120) as i32)
                .set_double("rating", (i % 100) as f64 / 10.0)
                .set_reference("tags", tag_list);
            ws.add_object("Movie", &movie)?;
        }
        Ok(())
    })?;
    println!("produced {movies} movies in {:.2} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh()?;
    let state = consumer.read_state().expect("a version");
    let engine = state.engine();
    let movie_type = engine.object("Movie").expect("Movie");
    let string_type = engine.object("String").expect("String");
    // Field indexes resolved at run time, as a C program does (hollow_type_field_index).
    let title_field = movie_type.field_index("title").expect("title");
    let value_field = string_type.field_index("value").expect("value");
    let by_id = state.primary_key_index("Movie")?;
    println!("loaded and indexed in {:.2} s", started.elapsed().as_secs_f64());

    // xorshift64*, as bench_get.c.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let ids: Vec<i64> = (0..lookups)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) % movies) as i64
        })
        .collect();

    let (mut checksum, mut i64_checksum, mut batch_checksum) = (0u64, 0u64, 0u64);
    let (mut ns, mut cpu_ns, mut batch_ns) = (Vec::new(), Vec::new(), Vec::new());
    let (mut i64_ns, mut i64_cpu_ns) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (t0, c0) = (Instant::now(), thread_cpu_seconds());
        checksum += lookup_round(&by_id, engine, movie_type, string_type, title_field, value_field, &ids);
        ns.push(t0.elapsed().as_nanos() as f64 / lookups as f64);
        cpu_ns.push((thread_cpu_seconds() - c0) * 1e9 / lookups as f64);
        let (t0, c0) = (Instant::now(), thread_cpu_seconds());
        i64_checksum += lookup_i64_round(&by_id, engine, movie_type, string_type, title_field, value_field, &ids);
        i64_ns.push(t0.elapsed().as_nanos() as f64 / lookups as f64);
        i64_cpu_ns.push((thread_cpu_seconds() - c0) * 1e9 / lookups as f64);
        let t0 = Instant::now();
        batch_checksum += batch_round(&by_id, engine, &ids);
        batch_ns.push(t0.elapsed().as_nanos() as f64 / lookups as f64);
    }
    assert_eq!(i64_checksum, checksum, "get and get_i64 disagree");
    ns.sort_by(f64::total_cmp);
    cpu_ns.sort_by(f64::total_cmp);
    i64_ns.sort_by(f64::total_cmp);
    i64_cpu_ns.sort_by(f64::total_cmp);
    batch_ns.sort_by(f64::total_cmp);
    println!(
        "Rust get (primary-key lookup + title): median {:.1} ns/op (thread CPU {:.1}), best {:.1} ns/op (CPU {:.1}) \
         ({rounds} rounds of {lookups} lookups, {movies} movies, checksum {checksum})",
        ns[rounds / 2],
        cpu_ns[rounds / 2],
        ns[0],
        cpu_ns[0]
    );
    println!(
        "Rust get_i64 (the same read by get_i64): median {:.1} ns/op (thread CPU {:.1}), best {:.1} \
         ns/op (CPU {:.1})",
        i64_ns[rounds / 2],
        i64_cpu_ns[rounds / 2],
        i64_ns[0],
        i64_cpu_ns[0]
    );
    println!(
        "Rust get_many (lookup alone, 1024 keys per call): median {:.1} ns/key, best {:.1} ns/key (checksum {batch_checksum})",
        batch_ns[rounds / 2],
        batch_ns[0]
    );
    Ok(())
}
