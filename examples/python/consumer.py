"""A consumer: follows the directory (or store URL) a producer publishes to, and reads the movies.

    python examples/python/consumer.py /tmp/hollow-movies [--seconds 10]
    python examples/python/consumer.py --store s3://bucket/movies [--seconds 10]

It loads the announced version, then watches for new ones on a background thread; every refresh is
reported by a callback. Records are read by primary key (``movies[1003]``), by a hash index
(``tags.element.value``), or as plain dicts.
"""

from __future__ import annotations

import argparse
import time
from typing import Optional

import hollow


def show(rs: hollow.ReadState) -> None:
    movies = rs.type("Movie")
    print(f"version {rs.version}: {len(movies)} movies")
    first = movies.get(1000)
    if first is not None:
        print(f"  movies[1000] = {first.title} ({first.year}), {first.rating}, by {first.studio.name}")
        print(f"  as a dict: {hollow.to_dict(first)}")
    sci_fi = rs.hash_index("Movie", ["tags.element.value"]).find("sci-fi")
    print(f"  sci-fi: {sorted(m.title for m in sci_fi)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", help="the directory the producer publishes to")
    parser.add_argument("--store", metavar="URL", help="a store URL instead of a directory (see producer.py)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to watch")
    args = parser.parse_args()
    if (args.directory is None) == (args.store is None):
        parser.error("give a directory or --store URL")

    # A URL or a path (which must exist), polled for announcements every 200 ms.
    with hollow.Consumer(args.store or args.directory, primary_key_indexes=["Movie"], poll_interval_ms=200) as consumer:

        @consumer.on_refresh
        def refreshed(from_version: Optional[int], to_version: int) -> None:
            print(f"refreshed {from_version} -> {to_version}")
            show(consumer.read_state)

        @consumer.on_refresh_failed
        def failed(from_version: Optional[int], to_version: int, error: BaseException) -> None:
            print(f"refresh to {to_version} failed: {error}")

        if consumer.refresh() is None:
            print("nothing announced yet")
        consumer.start_watching()
        time.sleep(args.seconds)
    print(f"done at version {consumer.current_version}")


if __name__ == "__main__":
    main()
