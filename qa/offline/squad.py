"""SQuAD-format data: loading questions with their paragraphs, and the official EM/F1 metrics.

The normalisation and scoring follow the official SQuAD v1.1/v2.0 evaluation scripts exactly, so
figures reported by `qa eval` are comparable with published ones.
"""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field
from pathlib import Path

from qa.text import normalize_answer

__all__ = ["SquadQuestion", "load_squad", "normalize_answer", "exact_match", "f1_score", "best_over_golds"]


@dataclass(frozen=True)
class SquadQuestion:
    """One question with its gold paragraph and gold answers (empty for unanswerable ones)."""

    id: str
    question: str
    context: str
    title: str
    paragraph_index: int
    answers: tuple[str, ...] = field(default_factory=tuple)
    answer_starts: tuple[int, ...] = field(default_factory=tuple)
    multi_span: bool = False  # the answers are the items of ONE list answer, not alternatives

    @property
    def is_impossible(self) -> bool:
        """True for a question without a gold answer (SQuAD v2.0 unanswerable)."""
        return not self.answers

    @property
    def normalized_answers(self) -> list[str]:
        """The gold answers after SQuAD normalisation, empty ones dropped: what a text must not hold to be
        "without the answer" (made negatives, off-topic corpora)."""
        return [g for g in (normalize_answer(a) for a in self.answers) if g]


def load_squad(path: str | Path) -> list[SquadQuestion]:
    """Read a SQuAD v1.1 or v2.0 JSON file into a flat list of questions.

    `paragraph_index` numbers the file's paragraphs in order, so callers can group questions by paragraph.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a SQuAD JSON file: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError(f"{path} is not a SQuAD JSON file: expected an object with a 'data' list")
    out: list[SquadQuestion] = []
    pidx = 0
    for article in data["data"]:
        title = str(article.get("title", ""))
        for para in article.get("paragraphs", []):
            context = para["context"]
            for qa in para.get("qas", []):
                answers = [a for a in qa.get("answers", []) if a.get("text")]
                if qa.get("is_impossible"):
                    answers = []
                out.append(
                    SquadQuestion(
                        id=str(qa["id"]),
                        question=qa["question"],
                        context=context,
                        title=title,
                        paragraph_index=pidx,
                        answers=tuple(a["text"] for a in answers),
                        answer_starts=tuple(int(a["answer_start"]) for a in answers),
                        multi_span=bool(qa.get("multi_span")),
                    )
                )
            pidx += 1
    return out


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when the two answers are equal after SQuAD normalisation, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    """Token-overlap F1 as in the official v2.0 script (an empty gold matches only an empty prediction)."""
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = collections.Counter(pred_tokens) & collections.Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(prediction: str, golds: tuple[str, ...] | list[str]) -> tuple[float, float]:
    """(EM, F1) of a prediction against the best-matching gold answer; no gold means 'no answer'."""
    if not golds:
        golds = [""]
    return (
        max(exact_match(prediction, g) for g in golds),
        max(f1_score(prediction, g) for g in golds),
    )
