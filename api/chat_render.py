"""An `AskResponse` as chat text: the answer with numbered citations, then the cited sentences as sources.

Example: ``Ireland [1], Denmark [2]`` ... ``**Sources**`` ``- [1] "Irish Prime Minister ... said ..." — *Title*``.
The text is Markdown that also reads well as plain text.
"""

from __future__ import annotations

from qa.answers import Answer, AskResponse
from qa.citations import CitedItem, CitedResponse, cite, provenance

NO_ANSWER = "I could not find an answer to that in the indexed articles."
MAX_OTHER_ANSWERS = 2


def quote(ans: Answer) -> str:
    """The answer's sentence in quotes, the answer span in bold when it is shorter than the sentence."""
    ctx = " ".join(ans.context.split())
    s, e = ans.start - ans.context_start, ans.end - ans.context_start
    if 0 <= s < e <= len(ans.context) and (s, e) != (0, len(ans.context)):
        raw = ans.context
        ctx = " ".join(f"{raw[:s]}**{raw[s:e].strip()}**{raw[e:]}".split())
    return f"“{ctx}”"


def _items(cited: list[CitedItem]) -> str:
    return ", ".join(c.item.name + "".join(f" [{n}]" for n in c.refs) for c in cited)


def _list_lines(cited: CitedResponse) -> list[str]:
    lines = []
    for stance, label in (("affirmed", ""), ("conditional", "Conditionally: "), ("negated", "No: ")):
        group = [c for c in cited.items if c.item.stance == stance]
        if group:
            lines.append(label + _items(group))
    if cited.excluded:
        parts = [_items([c]) + (f" ({c.item.reason})" if c.item.reason else "") for c in cited.excluded]
        lines.append("Not included: " + ", ".join(parts))
    return lines


def _single_lines(cited: CitedResponse) -> list[str]:
    best, *others = cited.answers
    lines = [f"**{best.answer.text.strip()}** [{best.ref}]"]
    if others:
        lines.append("Other possible answers: " + "; ".join(f"{c.answer.text.strip()} [{c.ref}]" for c in others))
    return lines


def render_answer(resp: AskResponse) -> str:
    """The chat message for one response (Markdown; paragraphs separated by blank lines)."""
    cited = cite(resp, max_other_answers=MAX_OTHER_ANSWERS)
    blocks: list[str] = []
    if cited.read_as:
        blocks.append(f"_Read as: {cited.read_as}_")
    blocks += [f"_Note: {note}_" for note in cited.notes]
    if cited.is_list:
        blocks += _list_lines(cited)
    elif cited.answers:
        blocks += _single_lines(cited)
    else:
        blocks.append(NO_ANSWER)
    if cited.sources:
        sources = [
            f"- [{n}] {quote(a)} — *{a.title or a.document_id}*" + (f" ({provenance(a)})" if provenance(a) else "")
            for n, a in enumerate(cited.sources, 1)
        ]
        blocks.append("**Sources**")
        blocks.append("\n".join(sources))
    return "\n\n".join(blocks) + "\n"
