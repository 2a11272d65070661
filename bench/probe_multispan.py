"""Probe: would a multi-span head (BIO tags over the reader's encoder, MultiSpanQA's baseline) find list items?

    python bench/probe_multispan.py --model-dir checkpoints/mpnet/chunk3 [--single 1500] [--output F]

The reader's encoder is kept frozen; a linear BIO tagger (3 classes per word piece) is trained on its last hidden
states, over the list questions of `qed-train-multispan.json` (every span of the answer tagged) and `--single`
single-answer questions of `qed-train.json` (one span each; same domain, Natural Questions). Evaluated in reader
mode on `qed-dev-multispan.json` (each question with its gold paragraph): the items are the tagged runs
(B I*), scored as `qa eval` scores list answers (item P/R/F1 by exact match after normalisation). A probe,
not a trained head: a head trained with the encoder would do at least this well, so the figure says whether
the head is worth the training hours. Figures under the "multispan_probe" key of the output.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import save_results  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
O, B, I = 0, 1, 2  # noqa: E741


def encode(tokenizer, questions, max_length: int = 256, stride: int = 128):
    """Windows of (question, paragraph) with a BIO label per word piece (-100 outside the paragraph)."""
    from qa.span_reader import encode_windows

    enc = encode_windows(tokenizer, [q.question for q in questions], [q.context for q in questions], max_length, stride)
    labels = []
    for i in range(len(enc)):
        q = questions[enc.sample[i]]
        seq = enc.sequence_ids[i]
        spans = [(s, s + len(t)) for t, s in zip(q.answers, q.answer_starts)] if q.multi_span else []
        if not q.multi_span and q.answers:
            spans = [(q.answer_starts[0], q.answer_starts[0] + len(q.answers[0]))]
        row = []
        for t, (a, _b) in enumerate(enc.offsets[i]):
            if seq[t] != 1:
                row.append(-100)
                continue
            tag = O
            for s, e in spans:
                if s <= a < e:
                    tag = B if a == s or not row or row[-1] in (O, -100) else I
                    break
            row.append(tag)
        labels.append(row)
    return enc, labels


def hidden_states(model, enc, pad_id: int, batch: int = 16):
    """The encoder's last hidden states of every window (a list of (tokens, hidden) float32 tensors)."""
    import torch

    from index.onnx_models import takes_token_types
    from qa.onnx_reader import pad_arrays

    encoder = getattr(model, model.base_model_prefix)
    types = takes_token_types(model)
    ids, tt = enc.input_ids, enc.token_type_ids
    out = []
    for lo in range(0, len(ids), batch):
        a, t, m = (torch.from_numpy(x) for x in pad_arrays(ids[lo : lo + batch], tt[lo : lo + batch], pad_id))
        kw = {"input_ids": a, "attention_mask": m, **({"token_type_ids": t} if types else {})}
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            h = encoder(**kw).last_hidden_state.float()
        for r in range(h.shape[0]):
            out.append(h[r, : len(ids[lo + r])].clone())
    return out


def runs(tags: list[int], offsets, seq) -> list[tuple[int, int]]:
    """Character spans of the B I* runs in a window's paragraph part."""
    spans, cur = [], None
    for t, tag in enumerate(tags):
        if seq[t] != 1:
            continue
        a, b = offsets[t]
        if tag == B or (tag == I and cur is None):
            if cur:
                spans.append(cur)
            cur = (a, b)
        elif tag == I and cur is not None:
            cur = (cur[0], b)
        else:
            if cur:
                spans.append(cur)
            cur = None
    if cur:
        spans.append(cur)
    return spans


def main() -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.offline.evaluate import item_scores, prf
    from qa.offline.squad import load_squad
    from qa.reader_weights import full_weights
    from qa.span_reader import MODEL_DIR, pad_token_id

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    ap.add_argument("--single", type=int, default=1500, help="single-answer QED train questions added")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()
    torch.manual_seed(0)
    t0 = time.time()
    weights = full_weights(args.model_dir)
    tok = AutoTokenizer.from_pretrained(weights)
    model = AutoModelForQuestionAnswering.from_pretrained(weights, dtype=torch.float32).eval()
    pad = pad_token_id(weights)
    multi = load_squad(DATA / "qed-train-multispan.json")
    single = [q for q in load_squad(DATA / "qed-train.json") if q.answers]
    train_qs = multi + random.Random(0).sample(single, min(args.single, len(single)))
    dev = load_squad(DATA / "qed-dev-multispan.json")
    enc_t, lab_t = encode(tok, train_qs)
    h_t = hidden_states(model, enc_t, pad)
    x = torch.cat(h_t)
    y = torch.tensor([t for row in lab_t for t in row])
    keep = y >= 0
    x, y = x[keep], y[keep]
    head = torch.nn.Linear(x.shape[1], 3)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()  # unweighted, as MultiSpanQA's baseline
    for _ in range(args.epochs):
        perm = torch.randperm(len(y))
        for lo in range(0, len(y), 4096):
            i = perm[lo : lo + 4096]
            opt.zero_grad()
            loss_fn(head(x[i]), y[i]).backward()
            opt.step()
    enc_d, _ = encode(tok, dev)
    h_d = hidden_states(model, enc_d, pad)
    items: dict[int, list[str]] = {}
    with torch.no_grad():
        for w, h in enumerate(h_d):
            tags = head(h).argmax(-1).tolist()
            qi = enc_d["overflow_to_sample_mapping"][w]
            text = dev[qi].context
            for a, b in runs(tags, enc_d["offset_mapping"][w], enc_d.sequence_ids(w)):
                items.setdefault(qi, []).append(text[a:b])
    tp = n_pred = n_gold = 0
    as_list = 0
    for qi, q in enumerate(dev):
        pred = list(dict.fromkeys(items.get(qi, [])))
        as_list += len(pred) > 1
        t, n_p, n_g = item_scores(pred, q.answers)
        tp, n_pred, n_gold = tp + t, n_pred + n_p, n_gold + n_g
    p, r, f = prf(tp, n_pred, n_gold)
    out = {
        "model_dir": str(args.model_dir),
        "train_questions": {"multi_span": len(multi), "single": len(train_qs) - len(multi)},
        "train_tokens": int(len(y)),
        "dev_questions": len(dev),
        "item_precision": round(100 * p, 2),
        "item_recall": round(100 * r, 2),
        "item_f1": round(100 * f, 2),
        "answered_as_list": round(100 * as_list / max(1, len(dev)), 2),
        "seconds": round(time.time() - t0, 1),
        "command": "python bench/probe_multispan.py " + " ".join(sys.argv[1:]),
    }
    print(out)
    save_results(args.output, out, "multispan_probe")


if __name__ == "__main__":
    main()
