"""Benchmark: PyTorch vs ONNX Runtime int8 for the span reader and the embedder, and the cold start of `qa ask`.

Reader: forced (and served) EM/F1 in reader mode on SQuAD dev through `qa.offline.evaluate.eval_reader`, and
the median milliseconds of one `predict` over 5 passages. Embedder: cosine between the two backends' vectors of
1,000 SQuAD dev passages (min / mean), milliseconds per question embedding and passages per second. Cold start:
median wall time of `qa ask "Who is the Belgian Prime Minister?" --index DIR` in a fresh process per backend.

Writes the figures under the `backends` key of bench/results.json (the other keys are left as they are) and the
backend record `auto` goes by (default: `backends.json` beside the reader weights), keyed by the weights' hash.

    python bench/bench_backends.py [--limit N] [--threads N] [--runs 5] [--no-record] [--model-dir DIR --key K]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SQUAD_DEV = ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json"
QUESTION = "Who is the Belgian Prime Minister?"
BACKENDS = ("torch", "onnx")


def median_ms(xs: list[float]) -> float:
    return round(1000 * statistics.median(xs), 2)


def interleaved(fns: dict[str, object], trials: list, warm: int = 2) -> dict[str, float]:
    """Median ms per call of each function over `trials` arguments, the backends taking turns per trial (so
    load from other processes falls on both alike)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        for arg in trials[:warm]:
            fn(arg)  # type: ignore[operator]
    for arg in trials:
        for k, fn in fns.items():
            t = time.perf_counter()
            fn(arg)  # type: ignore[operator]
            times[k].append(time.perf_counter() - t)
    return {k: median_ms(v) for k, v in times.items()}


def bench_reader(
    questions, cache: Path, threads: int, trials: int, accuracy: dict | None = None, model_dir: Path | None = None
) -> dict:
    """The figures of the reader at `model_dir` (default: the shipped one); with `accuracy` (an earlier run's
    figures for the same weights and questions) only the speed is measured again."""
    from qa.offline.evaluate import eval_reader
    from qa.span_reader import SpanReader

    readers = {b: SpanReader(model_dir, backend=b, onnx_cache=cache, threads=threads) for b in BACKENDS}
    out: dict = {}
    for b, r in readers.items():
        t = time.perf_counter()
        r.warm_up()
        load = time.perf_counter() - t
        if accuracy:
            keep = ("exact", "f1", "served_exact", "served_f1", "eval_seconds")
            out[b] = {**{k: accuracy[b][k] for k in keep}, "load_seconds": round(load, 2)}
            continue
        t = time.perf_counter()
        fig = eval_reader(questions, r)
        out[b] = {
            "exact": fig["exact"],
            "f1": fig["f1"],
            "served_exact": fig["served"]["exact"],
            "served_f1": fig["served"]["f1"],
            "eval_seconds": round(time.perf_counter() - t, 1),
            "load_seconds": round(load, 2),
        }
        print(f"reader {b}: {out[b]}", file=sys.stderr, flush=True)
    contexts = list(dict.fromkeys(q.context for q in questions))
    sets = []
    for i in range(trials):
        q = questions[(i * 7) % len(questions)]
        others = [c for c in contexts if c != q.context]
        sets.append([(q.question, c) for c in [q.context, *[others[(i + k) % len(others)] for k in range(4)]]])
    speed = interleaved({b: (lambda pairs, r=r: r.predict(pairs)) for b, r in readers.items()}, sets)
    for b in BACKENDS:
        out[b]["ms_per_predict"] = speed[b]
    out["predict"] = f"5 passages (the gold paragraph and 4 others of SQuAD dev), {trials} trials, median"
    out["weights"] = _key(readers["onnx"].model_dir)  # of the merged weights, as `auto` looks them up
    out["onnx_file_mb"] = round(readers["onnx"]._onnx.path.stat().st_size / 2**20, 1)  # type: ignore[union-attr]
    return out


def _key(model_dir: Path) -> str:
    """The record's key of a reader's weights: of the full folder (compact weights merged first)."""
    from index.onnx_models import weights_key
    from qa.reader_weights import full_weights

    return weights_key(full_weights(model_dir))


def bench_embedder(questions, cache: Path, threads: int, n_passages: int, trials: int) -> dict:
    import numpy as np

    from index.embedder import Embedder

    embs = {b: Embedder(backend=b, onnx_cache=cache, threads=threads) for b in BACKENDS}
    for e in embs.values():
        e.warm_up()
    passages = list(dict.fromkeys(q.context for q in questions))
    if len(passages) < n_passages:
        from qa.offline.squad import load_squad

        passages = list(dict.fromkeys(q.context for q in load_squad(SQUAD_DEV)))
    passages = passages[:n_passages]
    vecs, rate = {}, {}
    for b, e in embs.items():
        t = time.perf_counter()
        vecs[b] = e.embed(passages)
        rate[b] = round(len(passages) / (time.perf_counter() - t), 1)
    cos = (vecs["torch"] * vecs["onnx"]).sum(axis=1)
    qs = [[q.question] for q in questions[:trials]]
    speed = interleaved({b: (lambda q, e=e: e.embed(q)) for b, e in embs.items()}, qs)
    return {
        "passages": len(passages),
        "cosine_min": round(float(np.min(cos)), 4),
        "cosine_mean": round(float(np.mean(cos)), 4),
        **{b: {"ms_per_question": speed[b], "passages_per_second": rate[b]} for b in BACKENDS},
        "weights": _key(embs["onnx"].model_path),
    }


COLD = {
    "torch": {"QA_READER_BACKEND": "torch", "QA_EMBEDDER_BACKEND": "torch"},
    "onnx": {"QA_READER_BACKEND": "onnx", "QA_EMBEDDER_BACKEND": "onnx"},
}


def cold_start(cache: Path, runs: int) -> dict:
    """Median wall seconds of a fresh `qa ask` process over an existing seed index, per backend."""
    env = {**os.environ, "QA_ONNX_CACHE": str(cache)}
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        index = Path(tmp) / "index"
        subprocess.run(
            [sys.executable, "-m", "qa.cli", "index", "--index", str(index), "--quiet"],
            cwd=ROOT,
            env={**env, **COLD["torch"]},
            check=True,
            capture_output=True,
        )
        cmd = [sys.executable, "-m", "qa.cli", "ask", QUESTION, "--index", str(index)]
        out: dict = {}
        for name, extra in COLD.items():
            times = []
            for i in range(runs + 1):  # the first run warms the page cache (and builds a missing export)
                t = time.perf_counter()
                r = subprocess.run(cmd, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True)
                dt = time.perf_counter() - t
                if r.returncode != 0 or "Bart de Wever" not in r.stdout:
                    raise RuntimeError(f"{name}: qa ask failed: {r.stderr[-1500:]}")
                if i:
                    times.append(dt)
            out[name] = {"median_seconds": round(statistics.median(times), 2), "runs": runs}
            print(f"cold start {name}: {out[name]}", file=sys.stderr, flush=True)
    return out


def write_json(path: Path, update) -> None:
    """Read-modify-write `path` atomically (other benchmarks own other keys)."""
    data = json.loads(path.read_text()) if path.exists() else {}
    update(data)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--squad", type=Path, default=SQUAD_DEV)
    ap.add_argument("--limit", type=int, default=0, help="first N questions only (0: all)")
    ap.add_argument("--threads", type=int, default=0, help="threads for both backends (0: all cores)")
    ap.add_argument("--passages", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=30, help="timed predict / question-embedding calls")
    ap.add_argument("--runs", type=int, default=5, help="cold-start runs per backend")
    ap.add_argument("--cache", type=Path, default=None, help="ONNX cache (default: $QA_ONNX_CACHE or ~/.cache)")
    ap.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    ap.add_argument("--record", type=Path, default=None, help="backend record (default: beside the weights)")
    ap.add_argument("--no-record", action="store_true", help="do not write the backend record")
    ap.add_argument("--model-dir", type=Path, default=None, help="the reader's weights (default: the shipped ones)")
    ap.add_argument("--key", default="backends", help="the key of --output the figures go under")
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument(
        "--speed-only",
        action="store_true",
        help="keep the EM/F1 of the last run in --output (same weights and questions); measure speed again",
    )
    args = ap.parse_args()

    from index.onnx_models import cache_root, cpu_count, onnx_wins
    from qa.offline.squad import load_squad
    from qa.span_reader import BACKENDS_RECORD, MODEL_DIR

    reader_dir = args.model_dir or MODEL_DIR
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
        os.environ["QA_ONNX_THREADS"] = str(args.threads)
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    cache = cache_root(args.cache or os.environ.get("QA_ONNX_CACHE"))
    questions = load_squad(args.squad)
    if args.limit:
        questions = questions[: args.limit]

    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    accuracy, accuracy_measured = None, now
    if args.speed_only:
        last = json.loads(args.output.read_text()).get(args.key, {}) if args.output.exists() else {}
        same = last.get("questions") == len(questions) and last.get("file") == args.squad.name
        if not same or last.get("reader", {}).get("weights") != _key(reader_dir):
            raise SystemExit("--speed-only: no earlier figures for these weights and questions in " + str(args.output))
        accuracy = last["reader"]
        accuracy_measured = last.get("accuracy_measured") or last.get("measured", "")
        print(f"accuracy kept from the run of {last.get('measured')}", file=sys.stderr)
    reader = bench_reader(questions, cache, args.threads, args.trials, accuracy, reader_dir)
    embedder = bench_embedder(questions, cache, args.threads, args.passages, args.trials)
    cold = {} if args.skip_cold else cold_start(cache, args.runs)
    figures = {
        "measured": now,
        "accuracy_measured": accuracy_measured,
        "machine": {"cpus": cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "threads": args.threads or cpu_count(),
        "questions": len(questions),
        "file": args.squad.name,
        "reader": reader,
        "embedder": embedder,
        "cold_start": cold,
    }
    record = {k: figures[k] for k in ("measured", "accuracy_measured", "machine", "threads", "questions", "file")}
    record["reader"] = {k: reader[k] for k in ("weights", "torch", "onnx")}
    record["embedder"] = {k: embedder[k] for k in ("weights", "cosine_min", "cosine_mean", "torch", "onnx")}
    for kind in ("reader", "embedder"):
        wins = onnx_wins(kind, record, record[kind]["weights"])  # type: ignore[arg-type]
        figures[kind]["auto_picks"] = record[kind]["auto_picks"] = "onnx" if wins else "torch"
    write_json(args.output, lambda d: d.__setitem__(args.key, figures))
    if not args.no_record:
        path = args.record or reader_dir / BACKENDS_RECORD
        write_json(path, lambda d: (d.clear(), d.update(record)))
        print(f"backend record: {path}", file=sys.stderr)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
