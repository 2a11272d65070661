"""Passages: whole sentences only, one-sentence overlap, the token limit, and exact document offsets.

The seed article is cut with the real tokenizer of the embedding model; synthetic texts use a word count
as the token count so that the window arithmetic can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.documents import Document, load_documents
from index.passages import Passage, SplitterSettings, make_passages, split_sentences

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def words(text: str) -> int:
    return len(text.split())


def check_passages(
    doc: Document, passages: list[Passage], count: Callable[[str], int], settings: SplitterSettings
) -> None:
    """Every invariant the index and the readers rely on."""
    sents = split_sentences(doc.text)
    assert passages, "a document with text yields passages"
    covered: list[tuple[int, int]] = []
    for p in passages:
        assert p.document_id == doc.id
        assert doc.text[p.start : p.end] == p.text
        assert p.sentences, "a passage holds at least one sentence"
        assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
        # no sentence cut in half: a passage is a contiguous run of the document's own sentences
        i = sents.index(tuple(p.sentences[0]))
        assert [tuple(s) for s in p.sentences] == sents[i : i + len(p.sentences)]
        if len(p.sentences) > 1:  # only a single over-long sentence may exceed the limit
            assert count(p.text) <= settings.max_tokens
        covered += [tuple(s) for s in p.sentences]
    assert sorted(set(covered)) == sents, "every sentence is in some passage"
    for a, b in zip(passages, passages[1:]):
        shared = [s for s in a.sentences if s in b.sentences]
        assert len(shared) <= settings.overlap_sentences
        assert b.end > a.end, "each passage brings at least one new sentence"
        if shared:
            assert shared == a.sentences[-len(shared) :] == b.sentences[: len(shared)]
    assert len({p.id for p in passages}) == len(passages)


def test_seed_article_with_the_model_tokenizer(embedder) -> None:
    [doc] = load_documents([SEEDS])
    settings = SplitterSettings()
    passages = make_passages(doc, embedder.count_tokens, settings)
    check_passages(doc, passages, embedder.count_tokens, settings)
    assert len(passages) >= 3
    # the default windows overlap by exactly one sentence on this article
    for a, b in zip(passages, passages[1:]):
        assert a.sentences[-1] == b.sentences[0]
    # the model reads at most 256 word pieces; passages stay within the configured 180
    assert max(embedder.count_tokens(p.text) for p in passages) <= settings.max_tokens
    ireland = [p for p in passages if "Irish Prime Minister" in p.text]
    assert ireland and all("Irish Prime Minister Michaël Martin said his country" in p.text for p in ireland)


def test_seed_sentences_are_exact_and_headlines_stand_alone() -> None:
    [doc] = load_documents([SEEDS])
    sents = [doc.text[s:e] for s, e in split_sentences(doc.text)]
    assert "Peacekeeping troops in Ukraine" in sents  # a headline without a full stop
    assert "«Babel'»" in sents
    assert (
        "Irish Prime Minister Michaël Martin said his country was also ready to send peacekeepers to Ukraine "
        "for post-war security." in sents
    )
    assert "This is reported by The Wall Street Journal (WSJ)." in sents
    for s in sents:
        assert s == s.strip() and "\n" not in s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. envoy met Mr. Smith in Washington D.C. on Monday. He left at 5 p.m. yesterday.",
            ["The U.S. envoy met Mr. Smith in Washington D.C. on Monday.", "He left at 5 p.m. yesterday."],
        ),
        (
            '"I want the Americans to be on our side. But we must be prepared," said Emmanuel Macron. Then he left.',
            [
                '"I want the Americans to be on our side. But we must be prepared," said Emmanuel Macron.',
                "Then he left.",
            ],
        ),
        (
            "He said: “We are ready.” She said: “We are not.”",
            ["He said: “We are ready.”", "She said: “We are not.”"],
        ),
        (
            "BREAKING: Talks collapse\nPeacekeeping troops in Ukraine\n  Indented line.  \n\n\nLast line",
            ["BREAKING: Talks collapse", "Peacekeeping troops in Ukraine", "Indented line.", "Last line"],
        ),
        (
            "Michaël Martin said «yes». Zürich agreed — 100 %! Is it 3.5 percent? Yes… maybe.",
            ["Michaël Martin said «yes».", "Zürich agreed — 100 %!", "Is it 3.5 percent?", "Yes… maybe."],
        ),
        ("日本語の文。次の文。 Then English.", ["日本語の文。", "次の文。", "Then English."]),
        (
            "   leading spaces. And\ttabs here.\u00a0Non-breaking.",
            ["leading spaces.", "And\ttabs here.", "Non-breaking."],
        ),
    ],
)
def test_sentence_offsets_are_exact(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == expected
    assert all(s < e for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_windows_overlap_by_one_sentence() -> None:
    text = " ".join(f"Sentence number {n} has five words." for n in range(1, 11))  # 6 words each
    doc = Document(text=text, title="t")
    settings = SplitterSettings(max_tokens=18, overlap_sentences=1)
    ps = make_passages(doc, words, settings)
    check_passages(doc, ps, words, settings)
    assert [len(p.sentences) for p in ps] == [3, 3, 3, 3, 2]
    for a, b in zip(ps, ps[1:]):
        assert a.sentences[-1] == b.sentences[0]


def test_no_passage_repeats_only_the_previous_one() -> None:
    # 5, 5, 8, 8 words with a limit of 12: after [s1 s2], a window starting at the overlap s2 cannot take s3,
    # so it would hold nothing new; the splitter starts the next window at s3 instead.
    text = "One two three four five. Six seven eight nine ten. " + "A b c d e f g h. " + "I j k l m n o p."
    doc = Document(text=text.strip(), title="t")
    settings = SplitterSettings(max_tokens=12, overlap_sentences=1)
    ps = make_passages(doc, words, settings)
    check_passages(doc, ps, words, settings)
    assert [p.text for p in ps] == [
        "One two three four five. Six seven eight nine ten.",
        "A b c d e f g h.",
        "I j k l m n o p.",
    ]


def test_an_overlong_sentence_is_kept_whole() -> None:
    long = "This " + " ".join(["very"] * 40) + " long sentence ends here."
    text = f"Short one. {long} Short two. Short three."
    doc = Document(text=text, title="t")
    settings = SplitterSettings(max_tokens=10, overlap_sentences=1)
    ps = make_passages(doc, words, settings)
    check_passages(doc, ps, words, settings)
    assert long in [p.text for p in ps]
    assert all(words(p.text) <= 10 for p in ps if p.text != long)


def test_real_tokenizer_limit_on_a_long_synthetic_text(embedder) -> None:
    paras = []
    for n in range(40):
        paras.append(
            f"Paragraph {n}: the U.S. and E.U. officials met in Brussels on Tuesday, said Dr. Müller. "
            f"“We are ready,” said Ms. O’Brien. Talks resume on March {n % 28 + 1}."
        )
    doc = Document(text="\n".join(paras), title="long")
    settings = SplitterSettings(max_tokens=64, overlap_sentences=1)
    ps = make_passages(doc, embedder.count_tokens, settings)
    check_passages(doc, ps, embedder.count_tokens, settings)
    assert len(ps) > 10


def test_empty_and_whitespace_documents_have_no_passages() -> None:
    assert make_passages(Document(text="", title="x"), words) == []
    assert make_passages(Document(text=" \n\t\n ", title="x"), words) == []


def test_passage_dict_round_trip() -> None:
    doc = Document(text="One. Two. Three.", title="t")
    [p] = make_passages(doc, words)
    assert Passage.from_dict(p.to_dict()) == p
