//! The movie catalog most examples publish: a typed serde record, a catalog that random events change
//! (a movie added, changed or removed), and a fingerprint two processes can compare.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// A movie, written and read through `hollow::ObjectMapper` (type `Movie`, primary key `id`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Movie {
    pub id: i64,
    pub title: String,
    pub year: i32,
    pub genre: String,
    pub votes: i64,
}

pub const GENRES: [&str; 6] = ["drama", "comedy", "sci-fi", "thriller", "animation", "documentary"];
const WORDS: [&str; 12] =
    ["Night", "River", "Last", "Glass", "Summer", "Iron", "Hidden", "Silent", "City", "Garden", "Storm", "Letters"];

/// The mapper every producer of movies uses: `Movie` keyed by `id`.
pub fn mapper() -> hollow::ObjectMapper {
    hollow::ObjectMapper::new().primary_key("Movie", ["id"])
}

/// What an event did to the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Added(i64),
    Changed(i64),
    Removed(i64),
}

/// The catalog as the producer's source of truth holds it.
pub struct Catalog {
    pub movies: BTreeMap<i64, Movie>,
    next_id: i64,
    rng: StdRng,
}

impl Catalog {
    /// A catalog of `initial` movies; `seed` fixes every later event too.
    pub fn new(initial: usize, seed: u64) -> Catalog {
        let mut catalog = Catalog { movies: BTreeMap::new(), next_id: 1, rng: StdRng::seed_from_u64(seed) };
        for _ in 0..initial {
            catalog.add();
        }
        catalog
    }

    fn add(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let title = format!(
            "{} {}",
            WORDS[self.rng.random_range(0..WORDS.len())],
            WORDS[self.rng.random_range(0..WORDS.len())]
        );
        let movie = Movie {
            id,
            title,
            year: self.rng.random_range(1950..2027),
            genre: GENRES[self.rng.random_range(0..GENRES.len())].to_owned(),
            votes: 0,
        };
        self.movies.insert(id, movie);
        id
    }

    /// Half the events add a movie, a third change one (votes, sometimes the title), the rest remove one.
    pub fn random_event(&mut self) -> Event {
        let roll: f64 = self.rng.random();
        if self.movies.is_empty() || roll < 0.5 {
            return Event::Added(self.add());
        }
        let ids = self.movies.len();
        let nth = self.rng.random_range(0..ids);
        let id = *self.movies.keys().nth(nth).expect("nth is below the length");
        if roll < 0.85 {
            let retitle = self.rng.random_bool(0.2);
            let suffix = self.rng.random_range(2..9);
            let movie = self.movies.get_mut(&id).expect("id was just found");
            movie.votes += 1;
            if retitle {
                movie.title = format!("{} {suffix}", movie.title);
            }
            Event::Changed(id)
        } else {
            self.movies.remove(&id);
            Event::Removed(id)
        }
    }

    /// A random id that may or may not be in the catalog (readers look up both).
    pub fn random_id(&mut self) -> i64 {
        self.rng.random_range(1..self.next_id.max(2))
    }

    /// Add every movie to a cycle.
    pub fn add_to(&self, ws: &mut hollow::WriteState<'_>) -> hollow::Result<()> {
        for movie in self.movies.values() {
            ws.add(movie)?;
        }
        Ok(())
    }
}

/// A fingerprint of a set of movies that does not depend on their order.
pub fn fingerprint<'a>(movies: impl IntoIterator<Item = &'a Movie>) -> u64 {
    movies
        .into_iter()
        .map(|m| {
            let mut h = DefaultHasher::new();
            m.hash(&mut h);
            h.finish()
        })
        .fold(0, u64::wrapping_add)
}

/// Every movie of a read state, by id.
pub fn read_all(state: &hollow::ReadState) -> hollow::Result<BTreeMap<i64, Movie>> {
    state.iter::<Movie>()?.map(|m| m.map(|m| (m.id, m))).collect()
}
