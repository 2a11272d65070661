"""Article text and metadata from saved news pages (tests/data/pages/): the plain converter (every visible text
block) against the extraction `qa index` uses (index.html.extract_page, trafilatura), on the same passages.

- passage share: passages (the index's own splitter) all of whose sentences are article text (the headline, the
  standfirst or a sentence of the article body in truth.json); a passage mixing a menu with the story counts as not;
- sentence share: the same per sentence; recall: the article's sentences that reach the index;
- metadata: title, date, author(s), site and language found and right, over the pages that state them.

    python bench/bench_extraction.py [--pages tests/data/pages] [--output bench/results.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import save_results
from index.datelines import split_dateline
from index.documents import Document, load_file
from index.embedder import Embedder
from index.html import plain_text
from index.passages import make_passages, split_sentences

ROOT = Path(__file__).resolve().parent.parent


def norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def plain_document(path: Path) -> Document:
    """What `qa index` made of a page before extraction: the plain converter, the dateline cut."""
    page = plain_text(path.read_text(encoding="utf-8"))
    dateline, text = split_dateline(page.text)
    return Document(text=text, title=page.title or path.stem, dateline=dateline)


def shares(doc: Document, truth: dict, count_tokens) -> dict[str, int]:
    article = norm(" ".join([truth["title"], truth.get("standfirst", ""), *truth["body"]]))
    in_article = [norm(doc.text[s:e]) in article for s, e in split_sentences(doc.text)]
    passages = make_passages(doc, count_tokens)
    ok = [all(norm(doc.text[s:e]) in article for s, e in p.sentences) for p in passages]
    text = norm(doc.text)
    body_sents = [norm(t[s:e]) for t in truth["body"] for s, e in split_sentences(t)]
    return {
        "passages": len(passages),
        "article_passages": sum(ok),
        "sentences": len(in_article),
        "article_sentences": sum(in_article),
        "body_sentences": len(body_sents),
        "body_sentences_kept": sum(s in text for s in body_sents),
    }


def metadata(doc: Document, truth: dict) -> dict[str, bool | None]:
    """Per field: True (found and right), False (stated but missed or wrong), None (the page states none)."""
    authors = doc.meta.get("author") or []
    found_authors = {norm(a) for a in (authors if isinstance(authors, list) else [authors])}
    return {
        "title": norm(doc.title) == norm(truth["title"]),
        "date": doc.date == truth["date"] if truth["date"] else None,
        "author": ({norm(a) for a in truth["authors"]} <= found_authors) if truth["authors"] else None,
        "site": (norm(str(doc.meta.get("site", ""))) == norm(truth["site"])) if truth["site"] else None,
        "language": (doc.meta.get("language", "").split("-")[0] == truth["language"]) if truth["language"] else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=Path, default=ROOT / "tests" / "data" / "pages")
    ap.add_argument("--output", type=Path, default=None, help="also save the figures into this JSON file")
    ap.add_argument("--key", default="extraction", help="the key of the figures in --output")
    args = ap.parse_args()
    truth = json.loads((args.pages / "truth.json").read_text(encoding="utf-8"))
    count_tokens = Embedder().count_tokens
    results: dict[str, dict] = {}
    for name, loader in (("plain", plain_document), ("extracted", lambda p: load_file(p)[0])):
        totals: dict[str, int] = {}
        fields: dict[str, list[bool]] = {}
        pages = {}
        for page, t in truth.items():
            doc = loader(args.pages / page)
            s = shares(doc, t, count_tokens)
            m = metadata(doc, t)
            pages[page] = {**s, "metadata": m}
            for k, v in s.items():
                totals[k] = totals.get(k, 0) + v
            for k, ok in m.items():
                if ok is not None:
                    fields.setdefault(k, []).append(ok)
        results[name] = {
            "passage_share": round(totals["article_passages"] / max(1, totals["passages"]), 4),
            "sentence_share": round(totals["article_sentences"] / max(1, totals["sentences"]), 4),
            "body_recall": round(totals["body_sentences_kept"] / max(1, totals["body_sentences"]), 4),
            "metadata_found": {k: f"{sum(v)}/{len(v)}" for k, v in fields.items()},
            **totals,
            "pages": pages,
        }
    for name, r in results.items():
        print(
            f"{name:9}  passages {r['article_passages']}/{r['passages']} article text ({r['passage_share']:.1%}), "
            f"sentences {r['sentence_share']:.1%}, article sentences kept {r['body_recall']:.1%}, "
            f"metadata {r['metadata_found']}"
        )
        for page, p in r["pages"].items():
            bad = ", ".join(k for k, v in p["metadata"].items() if v is False)
            kept = f"{p['body_sentences_kept']}/{p['body_sentences']}"
            missed = f"  missed: {bad}" if bad else ""
            print(f"   {page:28} {p['article_passages']}/{p['passages']} passages, kept {kept}{missed}")
    if args.output:
        lean = {name: {k: v for k, v in r.items() if k != "pages"} for name, r in results.items()}
        command = f"python -m bench.bench_extraction --pages {args.pages.resolve().relative_to(ROOT)}"
        save_results(args.output, {"pages": len(truth), "command": command, **lean}, key=args.key)


if __name__ == "__main__":
    main()
