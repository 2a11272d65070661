"""Fine-tune the span reader: a start/end (and no-answer) head on a pre-trained encoder, over a mixture of QA sets.

The encoder is all-MiniLM-L6-v2 (`--base minilm`, fine-tuned in full: the fast reader) or all-mpnet-base-v2
(`--base mpnet`, fetched on first use); `--lora-r N` trains a LoRA adapter of rank N and the span head instead
of every weight, which writes the compact form (`qa.reader_weights`: a few MB a version, and a checkpoint of
the trainable weights only, small enough to keep), and `--freeze-layers K` keeps the K lowest layers as they
are (backpropagation then stops above them).

The mixture and its unanswerable examples come from `qa.offline.mixture`. A run may start from earlier weights
(`--init-from`), so training proceeds in chunks, each with its own warm-up and decay. Training fits a CPU
budget: the learning-rate schedule runs on max(step progress, time progress), so a slowed run still decays
to zero and ends on time. Checkpoints are written atomically; a rerun with the same arguments resumes.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.offline.hard_negatives import Embed
from qa.offline.mixture import TRAIN_SOURCES, TrainExample, build_mixture
from qa.reader_weights import READER_META, is_compact, reader_meta
from qa.span_reader import encode_windows

log = logging.getLogger("qa.offline.train")


@dataclass
class TrainConfig:
    """Everything that determines a training run (recorded in the model card)."""

    sources: str = ",".join(TRAIN_SOURCES)  # FILE[*WEIGHT],... (see qa.offline.mixture)
    init_from: str = ""  # weights to continue from ("": the base encoder)
    base: str = "minilm"  # the pre-trained encoder: minilm, mpnet (fetched on first use) or a model folder
    lora_r: int = 0  # 0: fine-tune every weight; N: a LoRA adapter of rank N on every linear layer (compact form)
    lora_alpha: int = 0  # LoRA scale numerator (0: 2 x rank)
    lora_dropout: float = 0.05  # dropout on the adapter's input
    freeze_layers: int = 0  # the embeddings and this many lowest encoder layers stay as they are
    freeze_embeddings: bool = False  # the word and position embeddings stay the base's (as the compact form keeps)
    output: str = "qa/models/reader"  # where the trained reader is written (whole, in one step)
    workdir: str = "runs/reader"  # checkpoints: a rerun with the same settings resumes from here
    max_length: int = 256  # word pieces per window
    stride: int = 128  # word pieces two windows of one text share
    batch_size: int = 16  # windows per step
    lr: float = 1e-4  # peak learning rate
    warmup: float = 0.05  # share of the run spent warming the learning rate up (then linear decay)
    weight_decay: float = 0.01  # AdamW weight decay (not on biases and LayerNorm)
    epochs: float = 1.0  # passes over the mixture (fractions take a seeded share)
    max_questions: int = 0  # 0: all
    neg_cut_sentence: float = 0.2  # share of questions also given their paragraph without the answer's sentence
    neg_same_article: float = 0.08  # share also given another paragraph of their article
    neg_other_article: float = 0.04  # share also given a paragraph of another article
    neg_retrieved: float = 0.0  # share of questions also paired with a nearest paragraph lacking the answer
    neg_perturbed: float = 0.0  # share of questions also changed in one thing, with their own paragraph
    time_budget_min: float = 0.0  # 0: no time cap
    seed: int = 13  # the mixture's draw and the batch order
    threads: int = 0  # 0: torch default
    bf16: bool = True  # bf16 autocast (fast on CPUs with native bf16)
    checkpoint_every_min: float = 8.0  # minutes between checkpoints
    strip_question_mark: float = 0.15  # share of questions trained without their "?" (search-style queries)
    start_step: int = 0  # begin at this batch of the seeded order: a later chunk goes on where one stopped


def encode_examples(tokenizer, examples: list[TrainExample], max_length: int, stride: int) -> dict:
    """Tokenise into overlapping windows and label each with its gold start and end token indices: one of
    each for a single answer, one per item inside the window for a list answer, [0] (no answer) if none;
    `separate` marks the windows whose items are separate answers (`TrainExample.separate`)."""
    input_ids: list[list[int]] = []
    token_type_ids: list[list[int]] = []
    starts: list[list[int]] = []
    ends: list[list[int]] = []
    separate: list[bool] = []
    chunk = 2000
    for lo in range(0, len(examples), chunk):
        batch = examples[lo : lo + chunk]
        win = encode_windows(tokenizer, [e.question for e in batch], [e.context for e in batch], max_length, stride)
        for i, sample in enumerate(win.sample):
            ex = batch[sample]
            offsets = win.offsets[i]
            ctx = [t for t, s in enumerate(win.sequence_ids[i]) if s == 1]
            spans = ex.items
            if not spans and ex.answer_start >= 0:
                spans = ((ex.answer_start, ex.answer_start + len(ex.answer_text)),)
            s_toks: set[int] = set()
            e_toks: set[int] = set()
            for a0, a1 in spans:
                if ctx and offsets[ctx[0]][0] <= a0 and offsets[ctx[-1]][1] >= a1:
                    s_toks.add(next(t for t in ctx if offsets[t][1] > a0))
                    e_toks.add(next(t for t in reversed(ctx) if offsets[t][0] < a1))
            input_ids.append(win.input_ids[i])
            token_type_ids.append(win.token_type_ids[i])
            starts.append(sorted(s_toks) or [0])
            ends.append(sorted(e_toks) or [0])
            separate.append(ex.separate)
    return {
        "input_ids": input_ids, "token_type_ids": token_type_ids, "start": starts, "end": ends, "separate": separate
    }  # fmt: skip


def make_batches(lengths: list[int], batch_size: int, seed: int, epochs: float) -> list[list[int]]:
    """Length-bucketed batches in a seeded order: little padding, and the same order on every resume."""
    rng = random.Random(seed)
    order: list[int] = []
    full = int(math.floor(epochs))
    for _ in range(full):
        idx = list(range(len(lengths)))
        rng.shuffle(idx)
        order += idx
    frac = epochs - full
    if frac > 0:
        idx = list(range(len(lengths)))
        rng.shuffle(idx)
        order += idx[: int(len(idx) * frac)]
    batches: list[list[int]] = []
    group = batch_size * 64
    for lo in range(0, len(order), group):
        chunk = sorted(order[lo : lo + group], key=lambda i: lengths[i])
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(features: dict, idx: list[int], pad_id: int = 0):
    """One batch of windows as padded tensors (ids padded with `pad_id`), with their gold start and end
    positions as boolean masks and which rows hold separate answers (`encode_examples`)."""
    import torch

    from qa.span_reader import pad_windows

    ids, types, mask = pad_windows(
        [features["input_ids"][i] for i in idx], [features["token_type_ids"][i] for i in idx], pad_id
    )
    start = torch.zeros(ids.shape, dtype=torch.bool)
    end = torch.zeros(ids.shape, dtype=torch.bool)
    for row, i in enumerate(idx):
        start[row, features["start"][i]] = True
        end[row, features["end"][i]] = True
    separate = torch.tensor([features["separate"][i] for i in idx], dtype=torch.bool)
    return ids, types, mask, start, end, separate


def span_loss(start_logits, end_logits, types, mask, start, end, separate=None):
    """Negative log-likelihood of the gold starts and ends among the positions a span may take ([CLS], no
    answer, and the context tokens). Several gold positions share the probability: any split of it for the
    parts of one answer beside the whole (their summed probability), an even split for the `separate`
    answers of a list question (the mean of their log-probabilities), so that no item is left unread."""
    import torch

    allowed = (types == 1) & (mask == 1)
    allowed[:, 0] = True
    neg = torch.finfo(torch.float32).min / 2
    even = torch.zeros(types.shape[0], dtype=torch.bool) if separate is None else separate

    def nll(logits, gold):
        logits = logits.float().masked_fill(~allowed, neg)
        log_p = logits - torch.logsumexp(logits, 1, keepdim=True)
        summed = torch.logsumexp(log_p.masked_fill(~gold, neg), 1)
        mean = (log_p * gold).sum(1) / gold.sum(1).clamp(min=1)
        return -torch.where(even, mean, summed).mean()

    return (nll(start_logits, start) + nll(end_logits, end)) / 2


def batch_loss(model, features: dict, idx: list[int], pad_id: int, takes_types: bool, bf16: bool):
    """The span loss of one batch of windows (`collate`), the forward pass under bf16 autocast when `bf16`;
    token types go in only for a model that reads them."""
    import torch

    ids, types, mask, s, e, sep = collate(features, idx, pad_id)
    inputs = {"input_ids": ids, "attention_mask": mask, **({"token_type_ids": types} if takes_types else {})}
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = model(**inputs)
    return span_loss(out.start_logits, out.end_logits, types, mask, s, e, sep)


def lr_factor(progress: float, warmup: float) -> float:
    """The learning-rate multiplier: linear warm-up to 1, then linear decay to 0 at progress 1."""
    if progress < warmup:
        return max(progress / warmup, 1e-3)
    return max(0.0, (1 - progress) / (1 - warmup))


# Settings that may change between a run and its resumption without changing what is learnt from which data.
RESUMABLE_CHANGES = ("time_budget_min", "threads", "checkpoint_every_min", "output")


def _same_run(saved: dict, current: dict) -> bool:
    return {k: v for k, v in saved.items() if k not in RESUMABLE_CHANGES} == {
        k: v for k, v in current.items() if k not in RESUMABLE_CHANGES
    }


def _previous_training(init_from: str) -> list[dict]:
    """The training history of the weights a run starts from (their training.json, chained)."""
    if not init_from:
        return []
    f = Path(init_from) / "training.json"
    if not f.exists():
        return []
    meta = json.loads(f.read_text())
    earlier = meta.pop("previous", [])
    return [*earlier, meta]


def _atomic_torch_save(obj, path: Path) -> None:
    import torch

    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def trainable_state(model) -> dict:
    """The weights training changes (every weight, or the adapter and the span head): what a checkpoint keeps."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _resume(ckpt: Path, cfg: TrainConfig, model, optim) -> tuple[int, float]:
    """Load a checkpoint of the same run into `model` and `optim`; (steps done, seconds spent), else (0, 0)."""
    import torch

    if not ckpt.exists():
        return 0, 0.0
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    if not _same_run(state.get("config", {}), asdict(cfg)):
        log.warning("checkpoint %s has other settings; starting afresh", ckpt)
        return 0, 0.0
    wanted = set(trainable_state(model))
    if not wanted <= set(state["model"]):
        log.warning("checkpoint %s lacks some trained weights; starting afresh", ckpt)
        return 0, 0.0
    model.load_state_dict(state["model"], strict=False)
    optim.load_state_dict(state["optim"])
    log.info("resumed at step %d (%.1f min already spent)", state["step"], state["elapsed"] / 60)
    return state["step"], state["elapsed"]


def _write_model(model, tokenizer, meta: dict, out_dir: Path, compact: dict | None = None) -> Path:
    """Write the weights (fp16 in full, or the `compact` form's adapter and span head with its `reader.json`),
    tokenizer and `training.json` beside `out_dir`, then swap them in."""
    import shutil

    tmp_dir = out_dir.with_name(out_dir.name + ".tmp")
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    model.eval()
    if compact is None:
        model.half().save_pretrained(tmp_dir, safe_serialization=True)
    else:
        model.save_pretrained(tmp_dir, safe_serialization=True)
        (tmp_dir / "README.md").unlink(missing_ok=True)  # peft's empty model-card template
        (tmp_dir / READER_META).write_text(json.dumps(compact, indent=2) + "\n")
    tokenizer.save_pretrained(tmp_dir)
    (tmp_dir / "training.json").write_text(json.dumps(meta, indent=2))
    if out_dir.exists():
        old = out_dir.with_name(out_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(out_dir, old)
        os.replace(tmp_dir, out_dir)
        shutil.rmtree(old)
    else:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_dir, out_dir)
    return out_dir


def _embedder(threads: int) -> Embed:
    """The service's embedder (int8 ONNX) as a plain `texts -> vectors` function (for retrieved negatives)."""
    from index.embedder import Embedder

    embedder = Embedder(backend="onnx", threads=threads)
    return lambda texts: embedder.embed(texts, progress=False)


def base_encoder(cfg: TrainConfig) -> tuple[Path, str]:
    """(folder, name) of the encoder training builds on: `cfg.base`, or the base of a compact `init_from`."""
    from index.encoders import encoder_folder

    meta = reader_meta(Path(cfg.init_from)) if cfg.init_from else {}
    name = str(meta.get("base") or cfg.base)
    return encoder_folder(name, progress=log.info), name


def linear_targets(model) -> list[str]:
    """The names (last part) of the encoder's linear layers, which LoRA adapts (not the span head)."""
    import torch

    names = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    return sorted(names - {"qa_outputs"})


def freeze_lower(model, layers: int) -> None:
    """Keep the embeddings, any bias shared by all layers, and the `layers` lowest encoder layers as they are."""
    lower = tuple(f"layer.{i}." for i in range(layers))
    for n, p in model.named_parameters():
        if "embeddings" in n or "relative_attention_bias" in n or any(x in n for x in lower):
            p.requires_grad_(False)


def build_model(cfg: TrainConfig, base: Path):
    """(model, whether it reads token types): full weights from `init_from` or the base, or the base with a
    LoRA adapter (new, or a compact `init_from`'s to go on with), the lowest `freeze_layers` layers frozen."""
    import torch
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as tlog

    from index.onnx_models import takes_token_types

    init = Path(cfg.init_from) if cfg.init_from else None
    compact_init = init is not None and is_compact(init)
    if compact_init and not cfg.lora_r:
        raise ValueError(f"{init} holds a LoRA adapter: go on training it with --lora-r")
    verbosity = tlog.get_verbosity()
    tlog.set_verbosity_error()  # a new span head on the base encoder is expected
    try:
        model = AutoModelForQuestionAnswering.from_pretrained(
            base if init is None or compact_init else init, dtype=torch.float32
        )
    finally:
        tlog.set_verbosity(verbosity)
    types = takes_token_types(model)
    if not cfg.lora_r:
        if cfg.freeze_layers:
            freeze_lower(model, cfg.freeze_layers)
        if cfg.freeze_embeddings:
            for n, p in model.named_parameters():
                if ".embeddings." in n:
                    p.requires_grad_(False)
        return model, types
    from peft import LoraConfig, PeftModel, get_peft_model

    if compact_init:
        return PeftModel.from_pretrained(model, str(init), is_trainable=True), types
    n_layers = int(model.config.num_hidden_layers)
    conf = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=int(cfg.lora_alpha or 2 * cfg.lora_r),
        lora_dropout=cfg.lora_dropout,
        target_modules=linear_targets(model),
        modules_to_save=["qa_outputs"],
        layers_to_transform=list(range(cfg.freeze_layers, n_layers)) if cfg.freeze_layers else None,
        layers_pattern="layer" if cfg.freeze_layers else None,
    )
    return get_peft_model(model, conf), types


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) training and write the fp16 reader to `cfg.output`; returns that folder."""
    import torch
    from transformers import AutoTokenizer

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    workdir = Path(cfg.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    base, base_name = base_encoder(cfg)
    tokenizer = AutoTokenizer.from_pretrained(base)

    examples, source_stats = build_mixture(
        [x for x in cfg.sources.split(",") if x.strip()],
        cfg.neg_cut_sentence,
        cfg.neg_same_article,
        cfg.neg_other_article,
        cfg.seed,
        cfg.strip_question_mark,
        cfg.max_questions,
        cfg.neg_retrieved,
        _embedder(cfg.threads) if cfg.neg_retrieved > 0 else None,
        cfg.neg_perturbed,
    )
    t0 = time.time()
    feats = encode_examples(tokenizer, examples, cfg.max_length, cfg.stride)
    lengths = [len(x) for x in feats["input_ids"]]
    batches = make_batches(lengths, cfg.batch_size, cfg.seed, cfg.epochs)
    n_neg = sum(e.answer_start < 0 for e in examples)
    log.info(
        "sources %s; %d examples (%d negatives), %d windows, mean length %.0f, %d steps; tokenised in %.0fs",
        json.dumps(source_stats), len(examples), n_neg, len(lengths),
        sum(lengths) / len(lengths), len(batches), time.time() - t0,
    )  # fmt: skip

    model, takes_types = build_model(cfg, base)
    pad_id = int(tokenizer.pad_token_id or 0)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    log.info("%s: training %d of %d weights", base_name, sum(p.numel() for _, p in trainable),
             sum(p.numel() for p in model.parameters()))  # fmt: skip
    no_decay = ("bias", "LayerNorm.weight")
    params = [
        {"params": [p for n, p in trainable if not n.endswith(no_decay)], "weight_decay": cfg.weight_decay},
        {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optim = torch.optim.AdamW(params, lr=cfg.lr)
    ckpt = workdir / "checkpoint.pt"
    step, elapsed_before = _resume(ckpt, cfg, model, optim)
    first = min(cfg.start_step, len(batches))
    step = max(step, first)

    model.train()
    budget = cfg.time_budget_min * 60
    start_time = time.time()
    last_ckpt = time.time()
    windows = 0
    loss_avg = None
    total = len(batches)
    progress = (step - first) / max(1, total - first)

    def elapsed() -> float:
        return elapsed_before + time.time() - start_time

    while step < total:
        progress = (step - first) / max(1, total - first)
        if budget:
            progress = max(progress, elapsed() / budget)
        if progress >= 1:
            log.info("time budget reached at step %d of %d", step, total)
            break
        for g in optim.param_groups:
            g["lr"] = cfg.lr * lr_factor(progress, cfg.warmup)
        loss = batch_loss(model, feats, batches[step], pad_id, takes_types, cfg.bf16)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in trainable], 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)
        step += 1
        windows += len(batches[step - 1])
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 50 == 0:
            run = time.time() - start_time
            log.info(
                "step %d/%d  loss %.3f  lr %.2e  %.1f windows/s  elapsed %.1f min  progress %.3f",
                step, total, loss_avg, optim.param_groups[0]["lr"], windows / run,
                elapsed() / 60, progress,
            )  # fmt: skip
        if time.time() - last_ckpt > cfg.checkpoint_every_min * 60:
            _atomic_torch_save(
                {"model": trainable_state(model), "optim": optim.state_dict(), "step": step,
                 "elapsed": elapsed(), "config": asdict(cfg)},
                ckpt,
            )  # fmt: skip
            last_ckpt = time.time()
            log.info("checkpoint written at step %d", step)

    meta = {
        "config": asdict(cfg),
        "steps_done": step,
        "steps_planned": total,
        "sources": source_stats,
        "train_examples": len(examples),
        "negative_examples": n_neg,
        "train_windows": len(lengths),
        "windows_seen": sum(len(b) for b in batches[first:step]),
        "batches_done": [first, step],
        "training_minutes": round(elapsed() / 60, 1),
        "previous": _previous_training(cfg.init_from),
    }
    compact = {"form": "lora", "base": base_name, "rank": cfg.lora_r} if cfg.lora_r else None
    out_dir = _write_model(model, tokenizer, meta, Path(cfg.output), compact)
    log.info("reader written to %s after %.1f min", out_dir, elapsed() / 60)
    return out_dir


def _field_notes() -> dict[str, str]:
    """Each `TrainConfig` field's comment in its source: the help text of its flag."""
    import inspect
    import re

    notes = {}
    for line in inspect.getsource(TrainConfig).splitlines():
        m = re.match(r"\s+(\w+): [^=]+=[^#]*#\s*(.+)", line)
        if m:
            notes[m.group(1)] = m.group(2).strip()
    return notes


def build_parser():
    """`qa train-reader`'s parser: every `TrainConfig` field is an option, its comment the help."""
    import argparse

    p = argparse.ArgumentParser(prog="qa train-reader", description=__doc__)
    notes = _field_notes()
    for f, v in asdict(TrainConfig()).items():
        flag = "--" + f.replace("_", "-")
        if isinstance(v, bool):
            p.add_argument(flag, type=lambda s: s.lower() in ("1", "true", "yes"), default=v, help=notes.get(f))
        else:
            p.add_argument(flag, type=type(v), default=v, help=notes.get(f))
    p.add_argument("--no-calibrate", action="store_true", help="skip calibration on the held-out articles")
    return p


def main(argv: list[str] | None = None) -> None:
    """`qa train-reader [--OPTION VALUE ...]`: every `TrainConfig` field is an option."""
    args = vars(build_parser().parse_args(argv))
    calibrate_after = not args.pop("no_calibrate")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = TrainConfig(**args)
    out = train(cfg)
    if calibrate_after:
        from qa.offline.calibrate import calibrate

        calibrate(out)


if __name__ == "__main__":
    main()
