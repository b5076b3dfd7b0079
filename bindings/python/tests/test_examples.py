"""The Python examples, run as a user would (a separate interpreter, a short schedule)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_demo_tours_a_catalog_and_agrees_with_it(tmp_path: Path) -> None:
    blobs = tmp_path / "blobs"
    run = subprocess.run(
        [sys.executable, str(REPO / "examples/python/demo.py"), str(blobs), "--events", "150",
         "--duration", "1", "--cycles", "4", "--seed", "7"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    cycles = re.findall(r"^cycle +(\d+): +(\d+) events, version (\d+), (\d+) movies", run.stdout, re.M)
    assert [int(c[0]) for c in cycles] == [1, 2, 3, 4], run.stdout
    assert sum(int(c[1]) for c in cycles) == 150
    versions = [int(c[2]) for c in cycles]
    assert versions == sorted(set(versions)), "every cycle announced a newer version"
    assert "150 events over 4 cycles; 4000 lookups" in run.stdout
    assert "consumer and diffs agree with the catalog: yes" in run.stdout
    # The blobs are Hollow's filesystem layout, announced at the last cycle's version.
    assert (blobs / "announced.version").read_text().strip() == str(versions[-1])
    assert (blobs / f"snapshot-{versions[0]}").is_file()
    assert len(list(blobs.glob("delta-*"))) == 3
