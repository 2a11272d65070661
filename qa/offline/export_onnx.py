"""Build the int8 ONNX exports of the span readers and the embedder ahead of time (say, in an image build).

The service builds them itself on first use (`index.onnx_models`, which the question path may import: this
module only fills the same cache from the command line). A compact reader (the cascade's MPNet reader) is
merged into full weights first, fetching its base if need be:

    python -m qa.offline.export_onnx [--cache DIR] [--reader-dir DIR ...]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from index.embedder import encoder_path
from index.onnx_models import cache_root, onnx_model, weights_key
from qa.reader_weights import full_weights, has_weights
from qa.settings import Settings


def export_all(reader_dirs: Sequence[Path], cache: Path, models_cache: Path | None = None) -> dict[str, Path]:
    """The cached int8 exports of the readers in `reader_dirs` (those holding weights) and of the packaged
    embedder, built if missing."""
    out = {}
    for reader_dir in reader_dirs:
        if has_weights(reader_dir):
            weights = full_weights(reader_dir, models_cache)
            out[f"reader {reader_dir}"] = onnx_model("reader", weights, cache, weights_key(weights))
    out["embedder"] = onnx_model("embedder", encoder_path(), cache)
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point: build the exports and print where they are."""
    settings = Settings.from_env()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=settings.onnx_cache, help="default: $QA_ONNX_CACHE or ~/.cache")
    ap.add_argument(
        "--reader-dir",
        type=Path,
        nargs="+",
        default=[settings.reader_dir, settings.strong_reader_dir],
        help="default: the fast and the strong reader",
    )
    args = ap.parse_args(argv)
    for what, path in export_all(args.reader_dir, cache_root(args.cache), settings.models_cache).items():
        print(f"{what}: {path} ({path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
