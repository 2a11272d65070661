"""Training speed of the reader's configurations, measured in one run as ratios (windows per second).

Each configuration (full fine-tuning, LoRA on every layer, LoRA above frozen lower layers, full above frozen
lower layers) trains on the same real windows (SQuAD train questions, max length 256, batch 16, bf16 autocast);
the configurations take turns round by round, so a load that comes and goes slows each alike.

    python bench/bench_train_speed.py --base mpnet --rounds 3 --steps 4 --output bench/train-speed.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from qa.offline.mixture import build_mixture
from qa.offline.train import TrainConfig, base_encoder, batch_loss, build_model, encode_examples

CONFIGS = {
    "full": {},
    "lora16": {"lora_r": 16},
    "lora16-freeze4": {"lora_r": 16, "freeze_layers": 4},
    "full-freeze6": {"freeze_layers": 6},
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--base", default="mpnet")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=4, help="steps per configuration per round")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--output", default="")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import AutoTokenizer

    base, name = base_encoder(TrainConfig(base=args.base))
    tok = AutoTokenizer.from_pretrained(base)
    examples, _ = build_mixture(["squad11-train.json"], 0, 0, 0, 7, 0, 200)
    feats = encode_examples(tok, examples, 256, 128)
    full = [i for i, x in enumerate(feats["input_ids"]) if len(x) >= 200][: 16 * args.steps]
    batches = [full[j : j + 16] for j in range(0, len(full), 16)]
    pad = int(tok.pad_token_id or 0)
    runs = {}
    for c in args.configs.split(","):
        model, types = build_model(TrainConfig(base=args.base, **CONFIGS[c]), base)
        model.train()
        trainable = [q for q in model.parameters() if q.requires_grad]
        runs[c] = (model, types, torch.optim.AdamW(trainable, lr=1e-5), trainable)
    seconds = {c: 0.0 for c in runs}
    windows = {c: 0 for c in runs}
    for r in range(args.rounds + 1):  # round 0 warms up
        for c, (model, types, optim, _) in runs.items():
            t0 = time.perf_counter()
            for b in batches:
                batch_loss(model, feats, b, pad, types, True).backward()
                optim.step()
                optim.zero_grad(set_to_none=True)
            if r:
                seconds[c] += time.perf_counter() - t0
                windows[c] += sum(len(b) for b in batches)
    figures = {
        c: {
            "windows_per_s": round(windows[c] / seconds[c], 3),
            "trainable": sum(q.numel() for q in runs[c][3]),
            "vs_full": round((windows[c] / seconds[c]) / (windows["full"] / seconds["full"]), 3)
            if "full" in runs
            else None,
        }
        for c in runs
    }
    result = {"base": name, "window_tokens": 256, "batch": 16, "rounds": args.rounds, "figures": figures}
    print(json.dumps(result, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
