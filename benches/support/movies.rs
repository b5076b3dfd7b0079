//! The benchmark dataset, shared by `benches/read_path.rs` and the latency examples (each includes
//! this file with `#[path]`; it is not part of the library).
//!
//! Shaped like Java Hollow's benchmark dataset: `n` movies, each with a distinct random 40-bit id
//! (the primary key), a title held in a referenced `String` record, a year, a rating, and 0 to 5 tags
//! drawn from a 200-word vocabulary (a `List<String>`, so tags and tag lists are deduplicated by the
//! producer as in real Hollow data).
//!
//! Everything is derived from a seed with SplitMix64, so a run is reproducible: the same seed gives
//! the same records, the same ordinals and the same blobs (randomized tags are seeded too).

#![allow(dead_code)] // Each including target uses a different part.

use hollow::schema::dsl::parse_schemas;
use hollow::write::{ListRecord, ObjectRecord, WriteStateEngine};

/// The dataset's schemas, in registration order (referenced types first).
pub const SCHEMA: &str = "String { string value; } \
    ListOfString List<String>; \
    Movie @PrimaryKey(id) { long id; String title; int year; double rating; ListOfString tags; }";

/// Field positions in `Movie`, as declared in [`SCHEMA`].
pub const MOVIE_ID: usize = 0;
/// `Movie.title`: a reference to a `String` record.
pub const MOVIE_TITLE: usize = 1;
/// `Movie.year`.
pub const MOVIE_YEAR: usize = 2;
/// `String.value`.
pub const STRING_VALUE: usize = 0;

/// Size of the tag vocabulary.
pub const VOCABULARY: usize = 200;

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast, well-mixed generator; plenty for test data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`), by multiply-shift (bias below 2^-32 for the sizes used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A value in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One movie.
#[derive(Debug, Clone, PartialEq)]
pub struct Movie {
    /// Primary key: distinct, random, 40 bits.
    pub id: i64,
    /// Title, mostly distinct.
    pub title: String,
    /// Release year.
    pub year: i32,
    /// Rating, 0.0 to 10.0.
    pub rating: f64,
    /// Indexes into the vocabulary, 0 to 5 of them.
    pub tags: Vec<u16>,
}

/// The movies of one version, and the generator that changes them.
#[derive(Debug, Clone)]
pub struct Movies {
    /// The movies, in the order they are added to the producer.
    pub movies: Vec<Movie>,
    /// The tag vocabulary.
    pub vocabulary: Vec<String>,
    ids: std::collections::HashSet<i64>,
    rng: SplitMix64,
    next_title: u64,
}

/// A pronounceable word of 2 to 4 syllables.
fn word(rng: &mut SplitMix64) -> String {
    const ONSETS: [&str; 16] = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st"];
    const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ai"];
    let syllables = 2 + rng.below(3);
    (0..syllables).map(|_| format!("{}{}", ONSETS[rng.below(16) as usize], VOWELS[rng.below(6) as usize])).collect()
}

impl Movies {
    /// `n` movies generated from `seed`.
    pub fn generate(n: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut vocabulary = Vec::with_capacity(VOCABULARY);
        let mut seen = std::collections::HashSet::new();
        while vocabulary.len() < VOCABULARY {
            let w = word(&mut rng);
            if seen.insert(w.clone()) {
                vocabulary.push(w);
            }
        }
        let mut movies =
            Movies { movies: Vec::with_capacity(n), vocabulary, ids: Default::default(), rng, next_title: 0 };
        for _ in 0..n {
            let m = movies.new_movie();
            movies.movies.push(m);
        }
        movies
    }

    fn new_id(&mut self) -> i64 {
        loop {
            let id = (self.rng.next_u64() >> 24) as i64; // 40 bits
            if self.ids.insert(id) {
                return id;
            }
        }
    }

    fn new_title(&mut self) -> String {
        let a = self.rng.below(VOCABULARY as u64) as usize;
        let b = self.rng.below(VOCABULARY as u64) as usize;
        self.next_title += 1;
        format!("The {} {} {}", self.vocabulary[a], self.vocabulary[b], self.next_title)
    }

    fn new_tags(&mut self) -> Vec<u16> {
        let n = self.rng.below(6);
        (0..n).map(|_| self.rng.below(VOCABULARY as u64) as u16).collect()
    }

    fn new_movie(&mut self) -> Movie {
        Movie {
            id: self.new_id(),
            title: self.new_title(),
            year: 1920 + self.rng.below(105) as i32,
            rating: (self.rng.below(101) as f64) / 10.0,
            tags: self.new_tags(),
        }
    }

    /// The next version: `fraction` of the movies change. Half of the changes edit a movie in place
    /// (same id; new rating, and every other one a new title and tags), half replace a movie by a new
    /// one with a new id.
    pub fn mutate(&mut self, fraction: f64) {
        let changes = ((self.movies.len() as f64) * fraction).round() as usize;
        for c in 0..changes {
            let at = self.rng.below(self.movies.len() as u64) as usize;
            if c % 2 == 0 {
                let rating = (self.rng.below(101) as f64) / 10.0;
                let retitle = c % 4 == 0;
                let (title, tags) =
                    if retitle { (Some(self.new_title()), Some(self.new_tags())) } else { (None, None) };
                let m = &mut self.movies[at];
                m.rating = if m.rating == rating { 10.0 - rating } else { rating };
                if let (Some(t), Some(g)) = (title, tags) {
                    m.title = t;
                    m.tags = g;
                }
            } else {
                let replacement = self.new_movie();
                let old = std::mem::replace(&mut self.movies[at], replacement);
                self.ids.remove(&old.id);
            }
        }
    }

    /// The ids of the current movies, in order.
    pub fn ids(&self) -> Vec<i64> {
        self.movies.iter().map(|m| m.id).collect()
    }

    /// Add every movie (with its title, tags and tag list) to a cycle of `engine`.
    pub fn add_to(&self, engine: &mut WriteStateEngine) -> hollow::Result<()> {
        let mut string = ObjectRecord::new();
        let mut vocabulary = Vec::with_capacity(self.vocabulary.len());
        for w in &self.vocabulary {
            vocabulary.push(engine.add("String", &*string.clear().set_string("value", w))?);
        }
        let mut list = ListRecord::new();
        let mut movie = ObjectRecord::new();
        for m in &self.movies {
            let title = engine.add("String", &*string.clear().set_string("value", &m.title))?;
            list.clear();
            for &t in &m.tags {
                list.add_element(vocabulary[t as usize]);
            }
            let tags = engine.add("ListOfString", &list)?;
            movie
                .clear()
                .set_long("id", m.id)
                .set_reference("title", title)
                .set_int("year", m.year)
                .set_double("rating", m.rating)
                .set_reference("tags", tags);
            engine.add("Movie", &movie)?;
        }
        Ok(())
    }
}

/// A write engine with the dataset's schemas registered and seeded tags.
pub fn new_engine(seed: u64) -> WriteStateEngine {
    let mut engine = WriteStateEngine::new();
    for schema in parse_schemas(SCHEMA).expect("the benchmark schema parses") {
        engine.add_schema(schema).expect("schemas register once");
    }
    engine.seed_randomized_tags(seed);
    engine
}

/// A snapshot of the first version and the deltas of the next `deltas` versions, each changing
/// `fraction` of the movies.
pub struct Chain {
    /// The snapshot of version 0.
    pub snapshot: Vec<u8>,
    /// `deltas[i]` leads from version `i` to version `i + 1`.
    pub deltas: Vec<Vec<u8>>,
    /// The ids of each version: `ids[0]` for the snapshot, `ids[i + 1]` after `deltas[i]`.
    pub ids: Vec<Vec<i64>>,
}

/// Produce a chain of `deltas` deltas over `n` movies.
pub fn chain(n: usize, deltas: usize, fraction: f64, seed: u64) -> hollow::Result<Chain> {
    let mut movies = Movies::generate(n, seed);
    let mut engine = new_engine(seed);
    movies.add_to(&mut engine)?;
    let mut snapshot = Vec::new();
    engine.write_snapshot(&mut snapshot)?;
    let mut chain = Chain { snapshot, deltas: Vec::with_capacity(deltas), ids: vec![movies.ids()] };
    for _ in 0..deltas {
        engine.prepare_for_next_cycle();
        movies.mutate(fraction);
        movies.add_to(&mut engine)?;
        let mut delta = Vec::new();
        engine.write_delta(&mut delta)?;
        chain.deltas.push(delta);
        chain.ids.push(movies.ids());
    }
    Ok(chain)
}

/// [`chain`], kept in a file next to the build's output (`target/<profile>/hollow-bench-data/`) so
/// that later runs skip the producer: the 20-delta chain over 1M movies takes minutes to produce.
/// Blobs are a pure function of the arguments and [`CACHE_FORMAT`]; bump it when the generator
/// changes. Ids are recomputed from the generator, which is cheap.
pub fn chain_cached(n: usize, deltas: usize, fraction: f64, seed: u64) -> hollow::Result<Chain> {
    let ppm = (fraction * 1e6).round() as u64;
    let path = std::env::current_exe().ok().and_then(|exe| {
        let profile_dir = exe.parent()?.parent()?;
        Some(
            profile_dir
                .join("hollow-bench-data")
                .join(format!("movies-v{CACHE_FORMAT}-{n}-{deltas}-{ppm}ppm-{seed}.blobs")),
        )
    });
    if let Some(blobs) = path.as_deref().and_then(read_blobs) {
        if blobs.len() == deltas + 1 {
            let mut movies = Movies::generate(n, seed);
            let mut ids = vec![movies.ids()];
            for _ in 0..deltas {
                movies.mutate(fraction);
                ids.push(movies.ids());
            }
            let mut blobs = blobs.into_iter();
            let snapshot = blobs.next().expect("a snapshot");
            return Ok(Chain { snapshot, deltas: blobs.collect(), ids });
        }
    }
    let chain = chain(n, deltas, fraction, seed)?;
    if let Some(path) = path {
        // A cache that cannot be written only costs the next run the time to produce it again.
        let _ = write_blobs(&path, std::iter::once(&chain.snapshot).chain(&chain.deltas));
    }
    Ok(chain)
}

/// Version of the cached blob files; part of their name.
pub const CACHE_FORMAT: u32 = 1;

fn read_blobs(path: &std::path::Path) -> Option<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path).ok()?;
    let mut at = 0;
    let mut blobs = Vec::new();
    while at < bytes.len() {
        let len = u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?) as usize;
        at += 8;
        blobs.push(bytes.get(at..at.checked_add(len)?)?.to_vec());
        at += len;
    }
    Some(blobs)
}

fn write_blobs<'a>(path: &std::path::Path, blobs: impl Iterator<Item = &'a Vec<u8>>) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().expect("a directory"))?;
    let mut out = Vec::new();
    for b in blobs {
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, out)?;
    std::fs::rename(tmp, path)
}

/// `count` ids drawn at random (with repetition) from `ids`, so lookups jump around the dataset.
pub fn shuffled_keys(ids: &[i64], count: usize, seed: u64) -> Vec<i64> {
    let mut rng = SplitMix64::new(seed ^ 0x5eed);
    (0..count).map(|_| ids[rng.below(ids.len() as u64) as usize]).collect()
}
