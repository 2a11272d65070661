"""Turn a fully fine-tuned reader on a fetched encoder into the compact form: a low-rank adapter of its change.

Full fine-tuning learns faster per step than a LoRA adapter (measured: model card), but its weights are
220 MB a version in fp16. What it changed in each linear layer is close to low rank, so the change is stored
as its truncated SVD, `W_ft - W_base ~ B @ A` (rank `--rank`), in the LoRA adapter format `qa.reader_weights`
merges (scale 1); biases, LayerNorms, MPNet's relative attention bias and the span head are stored whole, and
the embeddings stay the base's (their change is small and would cost 46 MB). Lossy: measure the result.

    python -m qa.offline.compact runs/full/model runs/full/compact --rank 64
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from qa.reader_weights import READER_META

WHOLE = ["qa_outputs", "LayerNorm", "relative_attention_bias"]  # small modules kept whole in the adapter


def compact(full_dir: Path, base_name: str, out: Path, rank: int) -> Path:
    """Write the compact form of the full reader in `full_dir` (fine-tuned from encoder `base_name`) to `out`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    from transformers.utils import logging as tlog

    from index.encoders import encoder_folder
    from qa.offline.train import linear_targets

    tlog.set_verbosity_error()
    base_dir = encoder_folder(base_name)
    tuned = AutoModelForQuestionAnswering.from_pretrained(full_dir, dtype=torch.float32)
    base = AutoModelForQuestionAnswering.from_pretrained(base_dir, dtype=torch.float32)
    conf = LoraConfig(
        r=rank, lora_alpha=rank, target_modules=linear_targets(base), modules_to_save=WHOLE, bias="all",
        init_lora_weights=False,
    )  # fmt: skip
    model = get_peft_model(base, conf)
    tuned_params = dict(tuned.named_parameters())
    with torch.no_grad():
        for name, module in model.named_modules():
            if not hasattr(module, "lora_A") or "default" not in module.lora_A:
                continue
            key = name.removeprefix("base_model.model.")
            delta = tuned_params[f"{key}.weight"] - module.base_layer.weight
            u, s, vt = torch.linalg.svd(delta, full_matrices=False)
            root = s[:rank].sqrt()
            module.lora_B["default"].weight.copy_(u[:, :rank] * root)
            module.lora_A["default"].weight.copy_(root[:, None] * vt[:rank])
        for name, p in model.named_parameters():
            key = name.removeprefix("base_model.model.").replace(".modules_to_save.default", "")
            key = key.replace(".base_layer", "")
            if "lora_" not in name and p.requires_grad and key in tuned_params:
                p.copy_(tuned_params[key])
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    (tmp / "README.md").unlink(missing_ok=True)
    weights = tmp / "adapter_model.safetensors"
    save_file({k: v.half().contiguous() for k, v in load_file(str(weights)).items()}, str(weights))
    meta = {"form": "lora", "base": base_name, "rank": rank, "from": "svd of full fine-tuning"}
    (tmp / READER_META).write_text(json.dumps(meta, indent=2) + "\n")
    AutoTokenizer.from_pretrained(full_dir).save_pretrained(tmp)
    for extra in ("training.json",):
        if (full_dir / extra).is_file():
            shutil.copyfile(full_dir / extra, tmp / extra)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> None:
    """`python -m qa.offline.compact FULL OUT [--rank N] [--base mpnet]`."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("full", type=Path, help="a fully fine-tuned reader folder (model.safetensors)")
    p.add_argument("out", type=Path, help="where the compact reader is written")
    p.add_argument("--rank", type=int, default=64, help="rank of each linear layer's change")
    p.add_argument("--base", default="mpnet", help="the encoder it was fine-tuned from")
    args = p.parse_args(argv)
    out = compact(args.full, args.base, args.out, args.rank)
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"{out}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
