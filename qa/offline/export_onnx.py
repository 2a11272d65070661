"""Build the int8 ONNX exports of the span reader and the embedder ahead of time (say, in an image build).

The service builds them itself on first use (`index.onnx_models`, which the question path may import: this
module only fills the same cache from the command line):

    python -m qa.offline.export_onnx [--cache DIR] [--reader-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index.embedder import encoder_path
from index.onnx_models import cache_root, onnx_model, weights_key
from qa.settings import Settings


def export_all(reader_dir: Path, cache: Path) -> dict[str, Path]:
    """The cached int8 exports of the reader in `reader_dir` and of the packaged embedder (built if missing)."""
    return {
        "reader": onnx_model("reader", reader_dir, cache, weights_key(reader_dir)),
        "embedder": onnx_model("embedder", encoder_path(), cache),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: build both exports and print where they are."""
    settings = Settings.from_env()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=settings.onnx_cache, help="default: $QA_ONNX_CACHE or ~/.cache")
    ap.add_argument("--reader-dir", type=Path, default=settings.reader_dir)
    args = ap.parse_args(argv)
    for kind, path in export_all(args.reader_dir, cache_root(args.cache)).items():
        print(f"{kind}: {path} ({path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
