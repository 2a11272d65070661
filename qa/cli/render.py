"""The `qa` command's text output: an answer first, then numbered sources and the passages read."""

from __future__ import annotations

import textwrap

from qa.answers import AskResponse


def format_response(resp: AskResponse) -> str:
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
