"""Average the weights of readers fine-tuned from one another (a "model soup"): chunk N+1 starts from chunk N's
weights, and the mean of the two often generalises better than either (chunks 4 and 5: held-out served F1 up
on every source, see the model card).

    python -m qa.offline.average OUT DIR [DIR ...]

OUT gets the mean of the DIRs' `model.safetensors` (in fp32, stored fp16 like a trained reader), the first DIR's
config and tokenizer, and a `training.json` that records the members; calibrate it before use
(`python -m qa.offline.calibrate --model-dir OUT`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

COPIED = ("config.json", "tokenizer.json", "tokenizer_config.json")


def average(out: Path, members: list[Path]) -> Path:
    """Write the mean of `members`' weights to `out` (atomically: a temporary folder renamed into place)."""
    import torch
    from safetensors.torch import load_file, save_file

    if len(members) < 2:
        raise ValueError("average needs at least two readers")
    states = [load_file(str(m / "model.safetensors")) for m in members]
    keys = set(states[0])
    if any(set(s) != keys for s in states[1:]):
        raise ValueError("the readers have different weights (not the same architecture)")
    mean = {k: torch.stack([s[k].float() for s in states]).mean(dim=0).to(torch.float16) for k in sorted(keys)}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    save_file(mean, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    for name in COPIED:
        if (members[0] / name).exists():
            shutil.copy2(members[0] / name, tmp / name)
    metas = [json.loads((m / "training.json").read_text()) if (m / "training.json").exists() else {} for m in members]
    last = metas[-1]
    meta = {
        "weights": f"mean of {len(members)} readers' weights (fp32 mean, stored fp16): {[str(m) for m in members]}",
        **last,
        "averaged_with": metas[:-1],
    }
    (tmp / "training.json").write_text(json.dumps(meta, indent=2))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> None:
    """`python -m qa.offline.average OUT DIR [DIR ...]`."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("members", type=Path, nargs="+")
    args = p.parse_args(argv)
    print(average(args.out, args.members))


if __name__ == "__main__":
    main()
