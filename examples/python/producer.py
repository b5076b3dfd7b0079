"""A producer: publishes a small movie catalog to a directory (or any store URL), one version per cycle.

    python examples/python/producer.py /tmp/hollow-movies [--cycles 5] [--interval 1.0]
    python examples/python/producer.py --store s3://bucket/movies [--cycles 5]

Each cycle changes a few ratings and adds a movie; the directory holds snapshots, deltas and reverse
deltas in Java Hollow's layout, so a Java consumer could follow it as well. Run
``examples/python/consumer.py`` on the same directory to watch the versions arrive. ``--store`` takes a
URL instead: ``s3://bucket/prefix``, ``gs://...``, ``az://...`` (credentials and endpoint from the standard
environment variables, ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``...; options in the query string, e.g.
``?layout=filesystem``) or ``file:///path``.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from typing import List

import hollow


@dataclasses.dataclass(frozen=True)
class Studio:
    __hollow_primary_key__ = ("name",)
    name: hollow.InlineStr
    country: str


@dataclasses.dataclass
class Movie:
    __hollow_primary_key__ = ("id",)
    id: int
    title: str
    year: hollow.Int32
    rating: float
    tags: List[str]
    studio: Studio


STUDIOS = [Studio("Brandywine", "US"), Studio("Toho", "JP"), Studio("Gaumont", "FR")]
TITLES = ["Alien", "Godzilla", "Amélie", "Heat", "Ran", "Playtime", "Aliens", "Léon"]
TAGS = ["classic", "sci-fi", "drama", "comedy", "action", "noir"]


def catalog(cycle: int, rng: random.Random) -> List[Movie]:
    movies = []
    for i in range(len(TITLES) + cycle):
        title = TITLES[i % len(TITLES)] + ("" if i < len(TITLES) else f" {i // len(TITLES) + 1}")
        movies.append(
            Movie(
                id=1000 + i,
                title=title,
                year=1970 + (i * 7) % 50,
                rating=round(rng.uniform(6.0, 9.5), 1),
                tags=rng.sample(TAGS, 2),
                studio=STUDIOS[i % len(STUDIOS)],
            )
        )
    return movies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", help="a directory to publish to (created if missing)")
    parser.add_argument("--store", metavar="URL", help="a store URL instead of a directory")
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between cycles")
    args = parser.parse_args()
    if (args.directory is None) == (args.store is None):
        parser.error("give a directory or --store URL")

    # A URL or a path: the producer opens the store (and creates a missing directory).
    producer = hollow.Producer(args.store or args.directory, types=[Movie])
    print(producer.schema_text(), end="\n\n")
    rng = random.Random(42)
    for cycle in range(args.cycles):
        movies = catalog(cycle, rng)
        version = producer.run_cycle(lambda ws: ws.add_all(movies))
        print(f"cycle {cycle}: announced version {version} ({len(movies)} movies)")
        if cycle + 1 < args.cycles:
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
