"""An `AskResponse` as chat text: the answer with numbered citations, then the cited sentences as sources.

Example: ``Ireland [1], Denmark [2]`` ... ``**Sources**`` ``- [1] "Irish Prime Minister ... said ..." — *Title*``.
The text is Markdown that also reads well as plain text.
"""

from __future__ import annotations

from qa.answers import Answer, AskResponse, ListItem

NO_ANSWER = "I could not find an answer to that in the indexed articles."
MAX_OTHER_ANSWERS = 2
STANCE_LABEL = {"affirmed": "", "conditional": "conditionally", "negated": "no"}


class Citations:
    """Numbers the cited sentences in order of first use."""

    def __init__(self) -> None:
        self.cited: list[Answer] = []
        self._keys: dict[tuple[str, int, int], int] = {}

    def cite(self, ans: Answer) -> int:
        key = (ans.document_id, ans.context_start, ans.context_end)
        if key not in self._keys:
            self.cited.append(ans)
            self._keys[key] = len(self.cited)
        return self._keys[key]


def quote(ans: Answer) -> str:
    """The answer's sentence in quotes, the answer span in bold when it is shorter than the sentence."""
    ctx = " ".join(ans.context.split())
    s, e = ans.start - ans.context_start, ans.end - ans.context_start
    if 0 <= s < e <= len(ans.context) and (s, e) != (0, len(ans.context)):
        raw = ans.context
        ctx = " ".join(f"{raw[:s]}**{raw[s:e].strip()}**{raw[e:]}".split())
    return f"“{ctx}”"


def _item(item: ListItem, cites: Citations) -> str:
    refs = "".join(f" [{cites.cite(ev)}]" for ev in item.evidence[:2])
    return f"{item.name}{refs}"


def _list_lines(resp: AskResponse, cites: Citations) -> list[str]:
    lines = []
    affirmed = [i for i in resp.items if i.stance == "affirmed"]
    conditional = [i for i in resp.items if i.stance == "conditional"]
    negated = [i for i in resp.items if i.stance == "negated"]
    if affirmed:
        lines.append(", ".join(_item(i, cites) for i in affirmed))
    if conditional:
        lines.append("Conditionally: " + ", ".join(_item(i, cites) for i in conditional))
    if negated:
        lines.append("No: " + ", ".join(_item(i, cites) for i in negated))
    if resp.excluded:
        parts = [_item(i, cites) + (f" ({i.reason})" if i.reason else "") for i in resp.excluded]
        lines.append("Not included: " + ", ".join(parts))
    return lines


def _single_lines(resp: AskResponse, cites: Citations) -> list[str]:
    best, *others = resp.answers
    lines = [f"**{best.text.strip()}** [{cites.cite(best)}]"]
    shown = [a for a in others if a.text.strip() != best.text.strip()][:MAX_OTHER_ANSWERS]
    if shown:
        lines.append("Other possible answers: " + "; ".join(f"{a.text.strip()} [{cites.cite(a)}]" for a in shown))
    return lines


def render_answer(resp: AskResponse) -> str:
    """The chat message for one response (Markdown; paragraphs separated by blank lines)."""
    blocks: list[str] = []
    if resp.rewritten_question:
        blocks.append(f"_Read as: {resp.rewritten_question}_")
    cites = Citations()
    if resp.kind == "list" and (resp.items or resp.excluded):
        blocks += _list_lines(resp, cites)
    elif resp.answers:
        blocks += _single_lines(resp, cites)
    else:
        blocks.append(NO_ANSWER)
    if cites.cited:
        sources = [f"- [{n}] {quote(a)} — *{a.title or a.document_id}*" for n, a in enumerate(cites.cited, 1)]
        blocks.append("**Sources**")
        blocks.append("\n".join(sources))
    return "\n\n".join(blocks) + "\n"
