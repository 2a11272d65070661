"""The `qa` command's text output: the answer first, then the numbered source sentences and the passages read.

Built from the same `CitedResponse` as the chat's Markdown (qa/citations.py), so both number sources alike.
"""

from __future__ import annotations

import textwrap

from qa.answers import AskResponse, PassageHit
from qa.citations import CitedItem, CitedResponse, cite, provenance

NO_ANSWER = "No answer found in the indexed articles."


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, 100, initial_indent=indent, subsequent_indent=indent)


def _item_line(c: CitedItem, with_reason: bool) -> str:
    ev = c.item.evidence[0]
    why = f" ({c.item.reason})" if with_reason and c.item.reason else ""
    refs = "".join(f"[{n}]" for n in c.refs)
    return f'  • {c.item.name} — {c.item.stance}{why} — "{ev.context}" {refs}'


def _answer_lines(cited: CitedResponse) -> list[str]:
    if cited.is_list:
        lines = ["Answer (list):", *(_item_line(c, False) for c in cited.items)]
        if cited.excluded:
            lines += ["", "Not included:", *(_item_line(c, True) for c in cited.excluded)]
        return lines
    if not cited.answers:
        return [NO_ANSWER]
    best, *others = cited.answers
    a = best.answer
    lines = [f"Answer: {a.text}   (score {a.score:.2f}) [{best.ref}]"]
    if a.context != a.text:
        lines += _wrap(f'"{a.context}"', "  ")
    if others:
        lines += ["", "Other answers:"]
        for i, c in enumerate(others, 2):
            lines.append(f"  {i}. {c.answer.text}   (score {c.answer.score:.2f}) [{c.ref}]")
            if c.answer.context != c.answer.text:
                lines += _wrap(f'"{c.answer.context}"', "     ")
    return lines


def _passage_lines(passages: list[PassageHit]) -> list[str]:
    lines = ["", "Passages:"]
    for i, p in enumerate(passages, 1):
        snippet = p.text if len(p.text) <= 160 else p.text[:157] + "..."
        where = ", ".join(x for x in (p.source, p.date, f"p. {p.page}" if p.page else "") if x)
        lines.append(f"  {i}. {p.title}{f' ({where})' if where else ''} (chars {p.start}-{p.end}, score {p.score:.4f})")
        lines += _wrap(snippet, "     ")
    return lines


def format_response(resp: AskResponse) -> str:
    """Readable text: the question, the answer (or list), the numbered sources, then the passages read."""
    cited = cite(resp, refs_per_item=1)  # the text quotes one sentence per item: cite that one
    lines = [f"Q: {resp.question}"]
    if cited.read_as:
        lines.append(f"   (read as: {cited.read_as})")
    lines += [f"   (note: {note})" for note in cited.notes]
    lines += ["", *_answer_lines(cited), "", "Sources:"]
    for n, src in enumerate(cited.sources, 1):
        where = provenance(src)
        lines.append(
            f"  [{n}] {src.title or src.document_id}{f' ({where})' if where else ''} [{src.document_id}], "
            f"chars {src.context_start}-{src.context_end}"
        )
    if resp.passages:
        lines += _passage_lines(resp.passages)
    return "\n".join(lines)
