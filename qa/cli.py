"""The `qa` command line: index, ask, search, info, serve, eval, train-reader.

Errors a user can cause print one line on stderr (`qa: error: ...`) and exit non-zero; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class CliError(Exception):
    """An error to report in one line with exit status 1."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE line on stderr (`qa: error: ...`), like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"qa: error: {message} (see: {self.prog} --help)\n")


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index",
        metavar="DIR",
        default=None,
        help="index directory (default: $QA_INDEX_DIR or ./.qa-index)",
    )


def _quiet_libraries() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("transformers", "sentence_transformers", "bm25s", "httpx", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as tlog

        tlog.set_verbosity_error()
        tlog.disable_progress_bar()
    except ImportError:
        pass


def cmd_index(args: argparse.Namespace) -> int:
    from index.documents import load_documents
    from index.embedder import Embedder
    from index.store import IndexStore, default_index_dir
    from qa.pipeline import default_seeds_dir

    directory = Path(args.index) if args.index else default_index_dir()
    paths = args.paths or [default_seeds_dir()]
    docs = load_documents(paths)  # every file is read before anything is written
    if not docs:
        raise CliError(f"no documents found in {', '.join(map(str, paths))}")
    IndexStore.check_target(directory)  # refuse a non-index --index before embedding anything
    embedder = Embedder()
    existed = IndexStore.exists(directory) and not args.rebuild
    store = IndexStore.load(directory, embedder) if existed else IndexStore(embedder)
    before = len(store.passages)
    added = store.add(docs, progress=not args.quiet)
    if added or not existed:  # nothing new: leave the index on disk untouched
        store.save(directory)
    print(
        f"indexed {added} new document(s) ({len(docs) - added} already present), "
        f"{len(store.passages) - before} new passage(s); index at {directory}: "
        f"{len(store.documents)} documents, {len(store.passages)} passages"
    )
    return 0


def _pipeline(args: argparse.Namespace):
    from qa.pipeline import QAPipeline

    return QAPipeline(index_dir=args.index, reader=getattr(args, "reader", "") or "")


def format_response(resp) -> str:
    """Readable text: the answer first, then numbered sources."""
    lines = [f"Q: {resp.question}"]
    if getattr(resp, "rewritten_question", None):
        lines.append(f"   (read as: {resp.rewritten_question})")
    lines.append("")
    sources: list[str] = []

    def cite(doc_id: str, title: str) -> int:
        key = f"{title} [{doc_id}]"
        if key not in sources:
            sources.append(key)
        return sources.index(key) + 1

    if resp.kind == "list" and resp.items:
        lines.append("Answer (list):")
        for item in resp.items:
            ev = item.evidence[0]
            n = cite(ev.document_id, ev.title)
            lines.append(f'  • {item.name} — {item.stance} — "{ev.context}" [{n}]')
        if resp.excluded:
            lines.append("")
            lines.append("Not included:")
            for item in resp.excluded:
                ev = item.evidence[0]
                n = cite(ev.document_id, ev.title)
                why = f" ({item.reason})" if item.reason else ""
                lines.append(f'  • {item.name} — {item.stance}{why} — "{ev.context}" [{n}]')
    elif resp.answers:
        best = resp.answers[0]
        n = cite(best.document_id, best.title)
        lines.append(f"Answer: {best.text}   (score {best.score:.2f}) [{n}]")
        if best.context != best.text:
            lines += textwrap.wrap(f'"{best.context}"', 100, initial_indent="  ", subsequent_indent="  ")
        if len(resp.answers) > 1:
            lines.append("")
            lines.append("Other answers:")
            for i, a in enumerate(resp.answers[1:], 2):
                n = cite(a.document_id, a.title)
                lines.append(f"  {i}. {a.text}   (score {a.score:.2f}) [{n}]")
                if a.context != a.text:
                    lines += textwrap.wrap(f'"{a.context}"', 100, initial_indent="     ", subsequent_indent="     ")
    else:
        lines.append("No answer found in the indexed articles.")
    lines.append("")
    lines.append("Sources:")
    for i, s in enumerate(sources, 1):
        lines.append(f"  [{i}] {s}")
    if resp.passages:
        lines.append("")
        lines.append("Passages:")
        for i, p in enumerate(resp.passages, 1):
            snippet = p.text if len(p.text) <= 160 else p.text[:157] + "..."
            lines.append(f"  {i}. {p.title} (chars {p.start}-{p.end}, score {p.score:.4f})")
            lines += textwrap.wrap(snippet, 100, initial_indent="     ", subsequent_indent="     ")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from index.store import IndexStore
    from qa.pipeline import check_question, check_top_k

    check_question(args.question)  # bad input fails before any index is built or model loaded
    check_top_k(args.top_k)
    pipe = _pipeline(args)

    if not IndexStore.exists(pipe.index_dir) and not args.json:
        IndexStore.check_target(pipe.index_dir)
        print(f"No index at {pipe.index_dir}: building it from {pipe.seeds[0]} ...", file=sys.stderr)
    resp = pipe.ask(args.question, top_k=args.top_k)
    if args.json:
        print(resp.model_dump_json(indent=2))
    else:
        print(format_response(resp))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    pipe = _pipeline(args)
    hits = pipe.search(args.query, top_k=args.k)
    if args.json:
        print(json.dumps([h.model_dump() for h in hits], indent=2, ensure_ascii=False))
    else:
        for i, h in enumerate(hits, 1):
            print(f"{i}. {h.title} (chars {h.start}-{h.end}, score {h.score:.4f})")
            print(textwrap.fill(h.text, 100, initial_indent="   ", subsequent_indent="   "))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from index.embedder import Embedder
    from index.store import IndexStore, default_index_dir

    directory = Path(args.index) if args.index else default_index_dir()
    store = IndexStore.load(directory, Embedder())
    m = store.manifest
    info = {
        "index": str(directory.resolve()),
        "documents": len(store.documents),
        "passages": len(store.passages),
        "embedding_model": m.embedding_model,
        "dimension": m.dimension,
        "splitter": m.splitter,
        "format_version": m.format_version,
        "size_bytes": store.disk_size(directory),
    }
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for k, v in info.items():
            print(f"{k:16} {v}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    if args.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("QA_API_KEY"):
        print(
            f"qa: warning: serving on {args.host} without QA_API_KEY: anyone who can reach it can use it",
            file=sys.stderr,
        )
    pipe = _pipeline(args)
    print(f"loading index and models from {pipe.index_dir} ...", file=sys.stderr)
    pipe.warm_up(progress=True)
    app = create_app(pipe)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.lists:
        from qa.list_eval import run_list_eval_cli

        if len(args.file) != 1:
            raise ValueError("--lists takes one FILE")
        args.lists = args.file[0]
        return run_list_eval_cli(args)
    from qa.evaluate import run_eval_cli

    return run_eval_cli(args)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qa", description="Question answering over news articles.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("index", help="add documents (files or folders) to the index")
    s.add_argument("paths", nargs="*", help="files or folders (default: the seeds/ corpus)")
    s.add_argument("--rebuild", action="store_true", help="start a new index instead of adding")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    _index_arg(s)
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("ask", help="answer a question")
    s.add_argument("question")
    s.add_argument("--top-k", type=int, default=5, help="passages to read and answers to show (1-50)")
    s.add_argument("--json", action="store_true", help="print the HTTP /ask JSON")
    s.add_argument("--reader", choices=["auto", "span", "sentence"], default="")
    _index_arg(s)
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("search", help="retrieve passages only")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    _index_arg(s)
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("info", help="what the index holds")
    s.add_argument("--json", action="store_true")
    _index_arg(s)
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("serve", help="run the HTTP service")
    s.add_argument("--host", default=os.environ.get("QA_HOST", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("QA_PORT", "8000")))
    s.add_argument("--reader", choices=["auto", "span", "sentence"], default="")
    s.add_argument("--quiet", action="store_true")
    _index_arg(s)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("eval", help="evaluate on a SQuAD-format file (or list questions, with --lists)")
    s.add_argument("file", nargs="+", help="SQuAD v1.1/v2.0 JSON files, or with --lists a list-question gold file")
    s.add_argument("--lists", action="store_true", help="FILE holds list questions with gold items")
    s.add_argument("--open", action="store_true", help="index the file's paragraphs and retrieve")
    s.add_argument("--corpus", metavar="FILE", help="open mode: also index every paragraph of this SQuAD file")
    s.add_argument(
        "--off-topic", metavar="CORPUS",
        help="ask FILE's questions over CORPUS (a SQuAD file or articles) that lacks their answers",
    )  # fmt: skip
    s.add_argument("--limit", type=int, default=0, help="evaluate the first N questions only")
    s.add_argument("--sample", type=int, default=0, help="evaluate a seeded random sample of N questions")
    s.add_argument("--output", help="write the figures as JSON to this file")
    s.add_argument("--reader", choices=["auto", "span", "sentence"], default="")
    s.add_argument("--top-k", type=int, default=5)
    s.add_argument("--index", metavar="DIR", help="open mode: keep (and reuse) the file's index here")
    s.set_defaults(func=cmd_eval)

    sub.add_parser("train-reader", help="train the span reader (options: qa train-reader --help)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train-reader"]:  # all its options belong to the trainer (qa/train.py)
        from qa.train import main as train_main

        train_main(argv[1:])
        return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _quiet_libraries()
    from index.documents import DocumentError
    from index.store import IndexStoreError
    from qa.pipeline import QueryError

    try:
        return args.func(args)
    except (CliError, DocumentError, IndexStoreError, QueryError, ValueError) as err:
        print(f"qa: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"qa: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
