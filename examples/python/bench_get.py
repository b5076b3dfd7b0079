"""Benchmark: ``rs.type("Movie").get(id).title`` on a 1M-record dataset.

The dataset has the shape of the ``movies-1m`` reference scenario: ``Movie @PrimaryKey(id)`` with
distinct random 40-bit ids, a referenced ``String`` title, a year, a rating and 0-5 tags from a
200-word vocabulary. It is produced in memory, loaded by a consumer, and every lookup picks a random
existing id.

Each call is timed on its own with ``time.perf_counter_ns``; the cost of the timer itself (measured
around an empty statement) is subtracted, so p50/p99 are the lookup's own latency.

    python examples/python/bench_get.py [--records N] [--lookups N] [--seed N]
"""

from __future__ import annotations

import argparse
import array
import gc
import random
import statistics
import time
from typing import Any, Callable, Dict, List

import hollow

SCHEMA = """
Movie @PrimaryKey(id) { long id; String title; int year; double rating; ListOfString tags; }
String { string value; }
ListOfString List<String>;
"""


def make_movies(n: int, seed: int) -> List[Dict[str, Any]]:
    rng = random.Random(seed)
    vocabulary = [f"tag{i:03d}" for i in range(200)]
    words = ["the", "last", "night", "river", "city", "dark", "blue", "return", "of", "house", "war", "love"]
    ids = rng.sample(range(1 << 40), n)
    return [
        {
            "id": movie_id,
            "title": f"{rng.choice(words).title()} {rng.choice(words)} {i}",
            "year": rng.randrange(1920, 2026),
            "rating": round(rng.uniform(1.0, 10.0), 1),
            "tags": rng.sample(vocabulary, rng.randrange(0, 6)),
        }
        for i, movie_id in enumerate(ids)
    ]


def percentiles(samples: List[int]) -> Dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def time_each(call: Callable[[int], object], keys: List[int]) -> List[int]:
    clock = time.perf_counter_ns
    out = []
    for k in keys:
        t0 = clock()
        call(k)
        out.append(clock() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t = time.perf_counter()
    movies = make_movies(args.records, args.seed)
    print(f"generated {len(movies):,} movies in {time.perf_counter() - t:.1f} s")

    store = hollow.InMemoryBlobStore()
    producer = hollow.Producer(store, schema=SCHEMA, first_version=1)
    t = time.perf_counter()
    version = producer.run_cycle(lambda ws: ws.add_all(movies, type="Movie"))
    print(f"produced version {version} in {time.perf_counter() - t:.1f} s")

    consumer = hollow.Consumer(store)
    t = time.perf_counter()
    consumer.refresh()
    print(f"consumer loaded it in {time.perf_counter() - t:.2f} s")
    rs = consumer.read_state

    rng = random.Random(args.seed + 1)
    keys: List[int] = [m["id"] for m in rng.choices(movies, k=args.lookups)]
    expected = {m["id"]: m["title"] for m in movies[:1000]}
    assert all(rs.type("Movie").get(k).title == title for k, title in expected.items())
    del movies
    gc.collect()

    movie_type = rs.type("Movie")
    movie_type.get(keys[0])  # builds the primary-key index
    benchmarks: Dict[str, Callable[[int], object]] = {
        'rs.type("Movie").get(id).title': lambda k: rs.type("Movie").get(k).title,
        'movie_type.get(id).title': lambda k: movie_type.get(k).title,
        'movie_type.get_field(id, "title")': lambda k: movie_type.get_field(k, "title"),
    }
    overhead = percentiles(time_each(lambda k: None, keys))["p50"]
    print(f"\n{args.lookups:,} lookups each; timer + lambda overhead {overhead:.0f} ns subtracted")
    for name, call in benchmarks.items():
        time_each(call, keys[:10_000])  # warm up
        gc.disable()
        samples = time_each(call, keys)
        gc.enable()
        p = {k: v - overhead for k, v in percentiles(samples).items()}
        print(f"  {name:36s} p50 {p['p50']:6.0f} ns   p90 {p['p90']:6.0f} ns   p99 {p['p99']:6.0f} ns")

    # Batched: every key in one call, as a list and as an int64 buffer (what a NumPy array offers).
    buffer = array.array("q", keys)
    batches: Dict[str, Callable[[], object]] = {
        "movie_type.get_many(list)": lambda: movie_type.get_many(keys),
        "movie_type.get_many(int64 buffer)": lambda: movie_type.get_many(buffer),
        'get_many + column("title")': lambda: movie_type.column("title", movie_type.get_many(buffer)),
    }
    print(f"\nbatched, {args.lookups:,} keys per call (best of 5)")
    for name, batch in batches.items():
        best = min(timed(batch) for _ in range(5))
        print(f"  {name:36s} {args.lookups / best / 1e6:6.2f} M keys/s   {best / args.lookups * 1e9:6.0f} ns/key")
    titles = movie_type.column("title", movie_type.get_many(buffer))
    assert titles == [movie_type.get(k).title for k in keys]


def timed(call: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
