"""What the benchmark scripts share: percentiles, a process's resident memory, and writing their figures into
bench/results.json under their own key (read, update, write: other benchmarks keep theirs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile of xs (nearest rank; NaN for no values)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def save_results(path: str | Path, results: dict[str, Any], key: str | None = None) -> None:
    """Write `results` into the JSON file at `path`: under `key`, or merged at the top level."""
    out = Path(path)
    merged = json.loads(out.read_text()) if out.exists() else {}
    if key is None:
        merged.update(results)
    else:
        merged[key] = results
    out.write_text(json.dumps(merged, indent=2))
