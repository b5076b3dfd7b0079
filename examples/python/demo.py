"""The hollow-rs tour in Python, shorter: a movie catalog changed by events that arrive on a normal
schedule, published in cycles, followed by a consumer; each cycle's diff is checked against what the
events did, and lookups by primary key are timed.

    python examples/python/demo.py [DIRECTORY] [--events 300] [--duration 3] [--cycles 10]

The events are spread over ``--duration`` seconds by a normal distribution centred in the window; the
producer runs a cycle every ``duration / cycles`` seconds. Exits 1 when the consumer or a diff disagrees
with the catalog. (The 5 µs p99 target of the Rust examples is not one for Python: a call from Python
costs about a microsecond by itself.)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from typing import Dict, List, Tuple

import hollow

SCHEMA = "Movie @PrimaryKey(id) { long id; string title; int year; long votes; }"
WORDS = ["Night", "River", "Glass", "Summer", "Iron", "Hidden", "Silent", "Storm"]

Movie = Dict[str, object]


class Catalog:
    """The producer's source of truth: movies by id, changed by random events."""

    def __init__(self, initial: int, rng: random.Random) -> None:
        self.rng = rng
        self.movies: Dict[int, Movie] = {}
        self.next_id = 1
        for _ in range(initial):
            self.add()

    def add(self) -> None:
        title = f"{self.rng.choice(WORDS)} {self.rng.choice(WORDS)}"
        self.movies[self.next_id] = {"id": self.next_id, "title": title, "year": self.rng.randrange(1950, 2027), "votes": 0}
        self.next_id += 1

    def event(self) -> None:
        """Half the events add a movie, a third change one (votes), the rest remove one."""
        roll = self.rng.random()
        if roll < 0.5 or not self.movies:
            self.add()
            return
        movie_id = self.rng.choice(list(self.movies))
        if roll < 0.85:
            self.movies[movie_id] = dict(self.movies[movie_id], votes=int(self.movies[movie_id]["votes"]) + 1)  # type: ignore[call-overload]
        else:
            del self.movies[movie_id]


def change(before: Dict[int, Movie], after: Dict[int, Movie]) -> Tuple[int, int, int]:
    """(added, removed, modified) from one catalog to the next, as the diff should count them."""
    added = sum(1 for k in after if k not in before)
    removed = sum(1 for k in before if k not in after)
    modified = sum(1 for k, m in after.items() if k in before and before[k] != m)
    return added, removed, modified


def percentile(sorted_ns: List[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", help="the blob directory (default: a temp directory)")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds the events are spread over")
    parser.add_argument("--sigma", type=float, default=0.15, help="standard deviation, as a fraction of the window")
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    directory = args.directory or tempfile.mkdtemp(prefix="hollow-demo-")

    rng = random.Random(args.seed)
    window = args.duration
    schedule = sorted(min(window, max(0.0, rng.gauss(window / 2, args.sigma * window))) for _ in range(args.events))
    catalog = Catalog(200, rng)
    producer = hollow.Producer(directory, schema=SCHEMA)
    consumer = hollow.Consumer(directory, primary_key_indexes=["Movie"])

    disagreements = 0
    latencies: List[int] = []
    previous = None
    played = 0
    start = time.monotonic()
    for cycle in range(1, args.cycles + 1):
        # Play the events due before this cycle, in real time.
        cycle_at = window * cycle / args.cycles
        before = dict(catalog.movies)
        batch = 0
        while played < len(schedule) and (schedule[played] <= cycle_at or cycle == args.cycles):
            time.sleep(max(0.0, schedule[played] - (time.monotonic() - start)))
            catalog.event()
            played += 1
            batch += 1
        time.sleep(max(0.0, cycle_at - (time.monotonic() - start)))

        movies = list(catalog.movies.values())
        version = producer.run_cycle(lambda ws: [ws.add(m, type="Movie") for m in movies])
        consumer.refresh()
        state = consumer.read_state
        view = state.type("Movie")
        line = f"cycle {cycle:2}: {batch:3} events, version {version}, {len(view)} movies"
        disagreements += len(view) != len(catalog.movies)
        if previous is not None:
            counts = {t.name: (t.added, t.removed, t.modified) for t in previous.diff(state).types}
            got = counts.get("Movie", (0, 0, 0))
            line += " (+{} -{} ~{})".format(*got)
            disagreements += got != change(before, catalog.movies)
        print(line, flush=True)

        # Lookups by primary key, each timed; the answer checked against the catalog.
        for _ in range(1000):
            movie_id = rng.randrange(1, catalog.next_id)
            started = time.perf_counter_ns()
            title = view.get_field(movie_id, "title")
            latencies.append(time.perf_counter_ns() - started)
            expected = catalog.movies.get(movie_id)
            disagreements += title != (expected["title"] if expected else None)
        previous = state

    latencies.sort()
    print(
        f"{played} events over {args.cycles} cycles; {len(latencies)} lookups: "
        f"p50 {percentile(latencies, 0.5):.2f} us, p99 {percentile(latencies, 0.99):.2f} us"
    )
    print(f"consumer and diffs agree with the catalog: {'yes' if disagreements == 0 else 'NO'}")
    print(f"blobs in {directory}")
    return 0 if disagreements == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
