"""Benchmark of the SQLite store: indexing throughput, incremental add and delete at 10k and 100k passages,
dense search (exact vs IVF) at 100k and 1M vectors, and server start-up time and memory at 100k passages.

    python bench/bench_store.py [--squad ../shared/data/squad-v1.1-dev.json] [--output bench/results.json]

- Throughput: the same SQuAD paragraphs indexed by the store (split, embed, write) vs the raw
  `SentenceTransformer.encode` of the passage texts it produced.
- Incremental cost: stores filled to 10k and 100k passages (real texts, synthetic vectors: embedding 100k
  passages would take most of an hour here), then one real article added (embedding included) and deleted;
  time and bytes the process wrote (/proc/self/io).
- Dense search: clustered synthetic unit vectors (384 dims); p50 latency of one query and recall@10 of the IVF
  index against exact search, at 100k and 1M.
- Server: `qa serve` over the 100k store until /health answers; its resident memory then.
Figures go under the "store" key of bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import rss_mb, save_results  # noqa: E402
from index.documents import Document  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.passages import make_passages  # noqa: E402
from index.sqlite_store import SQLiteStore  # noqa: E402
from index.store import AddResult  # noqa: E402
from index.vectors import VectorIndex, ivf_lists, ivf_probes  # noqa: E402

DIM = 384


def written_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def squad_documents(path: Path) -> list[Document]:
    data = json.loads(path.read_text())
    docs: dict[str, Document] = {}
    for article in data["data"]:
        for para in article["paragraphs"]:
            docs.setdefault(para["context"], Document(text=para["context"], title=article["title"]))
    return list(docs.values())


def throughput(emb: Embedder, docs: list[Document], tmp: Path) -> dict:
    """Indexing by the store vs raw encode of the same passage texts (both warm, same batch size)."""
    emb.embed(["warm up"])
    store = SQLiteStore(tmp / "throughput", emb)
    t0 = time.perf_counter()
    result = store.add(docs)
    store_s = time.perf_counter() - t0
    texts = [p.text for d in docs for p in store.document_passages(d.id)]
    store.close()
    t0 = time.perf_counter()
    emb.model.encode(texts, batch_size=emb.batch_size, normalize_embeddings=True, convert_to_numpy=True)
    raw_s = time.perf_counter() - t0
    return {
        "documents": len(docs),
        "passages": result.passages,
        "store_add_seconds": round(store_s, 1),
        "raw_encode_seconds": round(raw_s, 1),
        "passages_per_second_store": round(result.passages / store_s, 1),
        "passages_per_second_raw_encode": round(len(texts) / raw_s, 1),
        "ratio_store_to_raw": round(raw_s / store_s, 3),
    }


def fill(store: SQLiteStore, emb: Embedder, docs: list[Document], target: int, rng: np.random.Generator) -> int:
    """Fill `store` to `target` passages with the docs' real texts (numbered copies) and random unit vectors."""
    have = store.stats().passages
    copy = 0
    while have < target:
        batch_docs, batch_passages = [], []
        for d in docs:
            doc = Document(text=d.text, title=f"{d.title} #{copy}")
            batch_docs.append(doc)
            batch_passages += make_passages(doc, emb.count_tokens, store.splitter)
            if len(batch_passages) >= 2000 or have + len(batch_passages) >= target:
                break
        vecs = rng.normal(size=(len(batch_passages), DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        store._commit(batch_docs, batch_passages, vecs, AddResult())
        have += len(batch_passages)
        copy += 1
    store.snapshot()
    return have


ARTICLE = Document(
    title="Harbour strike ends",
    text=(
        "ROTTERDAM -- Dockers in Rotterdam ended their strike on Friday after the union FNV accepted a pay rise.\n"
        "The port authority said ships queued at the Maasvlakte terminal would be cleared within four days. "
        "Shipping lines had diverted about forty vessels to Antwerp and Hamburg during the nine-day strike. "
        "Employers had first offered 3 percent; the deal gives 6 percent this year and 4 percent next year.\n"
        "The union said its members voted 78 percent in favour."
    ),
)


def incremental(emb: Embedder, docs: list[Document], tmp: Path, sizes: list[int]) -> dict:
    """Time and bytes written to add one real article (embedded) and to delete it, at each store size."""
    rng = np.random.default_rng(0)
    store = SQLiteStore(tmp / "incremental", emb)
    out = {}
    for size in sizes:
        n = fill(store, emb, docs, size, rng)
        store.sync()  # a server holds FAISS loaded; its update on the next request is timed separately
        adds, dels, add_bytes, del_bytes, syncs = [], [], [], [], []
        for i in range(5):
            doc = Document(text=ARTICLE.text + f" Update {i}.", title=ARTICLE.title)
            w0, t0 = written_bytes(), time.perf_counter()
            store.add([doc])
            adds.append(time.perf_counter() - t0)
            add_bytes.append(written_bytes() - w0)
            t0 = time.perf_counter()
            store.sync()
            syncs.append(time.perf_counter() - t0)
            w0, t0 = written_bytes(), time.perf_counter()
            store.delete([doc.id])
            dels.append(time.perf_counter() - t0)
            del_bytes.append(written_bytes() - w0)
        t0 = time.perf_counter()
        emb.embed([p.text for p in make_passages(ARTICLE, emb.count_tokens, store.splitter)])
        embed_s = time.perf_counter() - t0
        out[str(size)] = {
            "passages": n,
            "add_one_article_ms_median": round(1000 * statistics.median(adds), 1),
            "of_which_embedding_ms": round(1000 * embed_s, 1),
            "add_bytes_written_median": int(statistics.median(add_bytes)),
            "faiss_update_on_next_request_ms_median": round(1000 * statistics.median(syncs), 2),
            "delete_one_article_ms_median": round(1000 * statistics.median(dels), 1),
            "delete_bytes_written_median": int(statistics.median(del_bytes)),
            "store_bytes": sum(f.stat().st_size for f in (tmp / "incremental").iterdir()),
        }
        print(f"incremental at {n}: {out[str(size)]}", flush=True)
    store.close()
    return out


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    x = centres[rng.integers(0, len(centres), n)] + 0.35 * rng.normal(size=(n, DIM)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def dense_search(sizes: list[int], queries: int = 200) -> dict:
    """p50 latency of exact and IVF search and the IVF recall@10 against exact, on clustered vectors."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(2000, DIM)).astype(np.float32)
    out = {}
    for n in sizes:
        vecs = clustered(n, rng, centres)
        ids = np.arange(n, dtype=np.int64)
        qs = clustered(queries, rng, centres)
        exact = VectorIndex.build(DIM, ids, vecs, exact_limit=n)
        t0 = time.perf_counter()
        approx = VectorIndex.build(DIM, ids, vecs, exact_limit=0)
        build_s = time.perf_counter() - t0
        lat_e, lat_a, found = [], [], 0
        for q in qs:
            t = time.perf_counter()
            want = exact.search(q, 10)
            lat_e.append(time.perf_counter() - t)
            t = time.perf_counter()
            got = approx.search(q, 10)
            lat_a.append(time.perf_counter() - t)
            found += len({i for i, _ in want} & {i for i, _ in got})
        out[str(n)] = {
            "exact_p50_ms": round(1000 * statistics.median(lat_e), 2),
            "ivf_p50_ms": round(1000 * statistics.median(lat_a), 2),
            "ivf_recall_at_10": round(found / (10 * queries), 4),
            "ivf_lists": ivf_lists(n),
            "ivf_probes": ivf_probes(ivf_lists(n)),
            "ivf_build_seconds": round(build_s, 1),
        }
        print(f"dense search at {n}: {out[str(n)]}", flush=True)
        del exact, approx, vecs
    return out


def server_start(index: Path) -> dict:
    """`qa serve` over an existing index: seconds until /health answers, and its resident memory then."""
    port = 8791
    env = {**os.environ, "QA_INDEX_DIR": str(index), "QA_API_KEY": ""}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--port", str(port), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        ready = time.perf_counter() - t0
        rss = rss_mb(proc.pid)
        t = time.perf_counter()
        r = httpx.post(f"http://127.0.0.1:{port}/ask", json={"question": "Who won the strike?"}, timeout=120)
        first = time.perf_counter() - t
        r.raise_for_status()
        rss_after = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "ready_seconds": round(ready, 1),
        "rss_mb_ready": round(rss),
        "first_ask_seconds": round(first, 2),
        "rss_mb_after_first_ask": round(rss_after),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--squad", default=str(ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json"))
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--search-sizes", default="100000,1000000")
    ap.add_argument("--parts", default="throughput,incremental,server,search", help="which parts to run")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    emb = Embedder()
    emb.warm_up()
    docs = squad_documents(Path(args.squad))
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-store-"))
    out = Path(args.output)
    results: dict = json.loads(out.read_text()).get("store", {}) if out.exists() else {}  # other parts kept
    if "throughput" in parts:
        results["throughput"] = throughput(emb, docs, tmp)
        print(f"throughput: {results['throughput']}", flush=True)
    if "incremental" in parts:
        sizes = [int(s) for s in args.sizes.split(",")]
        results.setdefault("incremental", {}).update(incremental(emb, docs, tmp, sizes))
        if "server" in parts:
            results["server_start_at_largest"] = {"passages": max(sizes), **server_start(tmp / "incremental")}
            print(f"server: {results['server_start_at_largest']}", flush=True)
    if "search" in parts:
        results.setdefault("dense_search", {}).update(dense_search([int(s) for s in args.search_sizes.split(",")]))
    save_results(args.output, results, "store")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
