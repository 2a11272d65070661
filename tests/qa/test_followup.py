"""Follow-up questions are rewritten into standalone ones from the conversation (no language model)."""

from __future__ import annotations

import pytest

from qa.answers import Answer, AskResponse
from qa.followup import Focus, Turn, answer_statement, entities, resolve_followup, rewrite_followup, text_statement

Q = "Which countries are ready to send peacekeepers to Ukraine?"
LIST_REPLY = (
    "Ireland [1], Denmark [2]\n\n**Sources**\n\n"
    "- [1] “Irish Prime Minister Michaël Martin said his country was also ready to send peacekeepers to Ukraine"
    " for post-war security.” — *Britain and France struggle*\n"
    "- [2] “Denmark is also ready for this, as is Australia.” — *Britain and France struggle*\n"
)
HISTORY = [Turn("user", Q), Turn("assistant", LIST_REPLY)]


@pytest.mark.parametrize(
    ("followup", "standalone"),
    [
        ("And Sweden?", "Is Sweden ready to send peacekeepers to Ukraine?"),
        ("What about Turkey?", "Is Turkey ready to send peacekeepers to Ukraine?"),
        ("how about Denmark and Belgium?", "Are Denmark and Belgium ready to send peacekeepers to Ukraine?"),
        ("Why not Bulgaria?", "Why is Bulgaria not ready to send peacekeepers to Ukraine?"),
        ("And in Romania?", "Is Romania ready to send peacekeepers to Ukraine?"),
        ("Sweden?", "Is Sweden ready to send peacekeepers to Ukraine?"),
        (
            "Who said that?",
            "Who said “Irish Prime Minister Michaël Martin said his country was also ready to send peacekeepers"
            " to Ukraine for post-war security”?",
        ),
    ],
)
def test_followups_after_a_list_question(followup: str, standalone: str) -> None:
    assert rewrite_followup(followup, HISTORY) == standalone


def test_standalone_questions_pass_through() -> None:
    for q in [Q, "Is Bulgaria ready?", "Who is the Swiss commander-in-chief?", "Which countries oppose it?"]:
        assert rewrite_followup(q, HISTORY) == q
    assert rewrite_followup("And Sweden?", []) == "And Sweden?"
    assert rewrite_followup("Why not Bulgaria?", []) == "Why not Bulgaria?"


def test_chain_of_followups_keeps_the_subject() -> None:
    history = HISTORY + [
        Turn("user", "And Sweden?"),
        Turn("assistant", "**Sweden does not rule out such a possibility.** [1]"),
    ]
    assert rewrite_followup("What about Turkey?", history) == "Is Turkey ready to send peacekeepers to Ukraine?"
    assert rewrite_followup("Who said that?", history) == "Who said “Sweden does not rule out such a possibility”?"


@pytest.mark.parametrize(
    ("question", "followup", "standalone"),
    [
        ("Which countries agreed to send troops?", "And Lithuania?", "Did Lithuania agree to send troops?"),
        ("Which countries agreed to send troops?", "Why not Bulgaria?", "Why did Bulgaria not agree to send troops?"),
        ("Which European leaders want to send troops?", "And Sweden?", "Does Sweden want to send troops?"),
        ("Is Denmark ready to send troops?", "And Sweden?", "Is Sweden ready to send troops?"),
        ("Is Denmark ready to send troops?", "Why not Bulgaria?", "Why is Bulgaria not ready to send troops?"),
        ("What did Emmanuel Macron propose?", "And Keir Starmer?", "What did Keir Starmer propose?"),
        ("What did Emmanuel Macron propose?", "What did he say about the Americans?",
         "What did Emmanuel Macron say about the Americans?"),
    ],
)  # fmt: skip
def test_followups_after_other_question_shapes(question: str, followup: str, standalone: str) -> None:
    assert rewrite_followup(followup, [Turn("user", question)]) == standalone


def test_history_turns_from_openai_messages_with_content_parts() -> None:
    from api.openai_compat import ChatMessage, to_turns

    msgs = [ChatMessage(role="user", content=[{"type": "text", "text": Q}])]
    assert rewrite_followup("And Sweden?", to_turns(msgs)) == "Is Sweden ready to send peacekeepers to Ukraine?"


def test_a_structured_answer_is_read_not_its_rendered_text() -> None:
    sentence = "Denmark is also ready for this, as is Australia."
    best = Answer(
        text="Denmark", score=0.9, document_id="d", passage_id="p", start=0, end=7,
        context=sentence, context_start=0, context_end=len(sentence),
    )  # fmt: skip
    resp = AskResponse(question=Q, answers=[best], passages=[])
    history = [Turn("user", Q), Turn("assistant", "rendered in any wording at all", answer=resp)]
    assert answer_statement(history[1]) == sentence
    assert rewrite_followup("Who said that?", history) == f"Who said “{sentence.rstrip('.')}”?"


def test_entities_and_answer_statement() -> None:
    assert entities(Q) == ["Ukraine"]
    assert entities("Belgian Prime Minister Bart de Wever believes") == ["Belgian Prime Minister Bart de Wever"]
    assert text_statement(LIST_REPLY).startswith("Irish Prime Minister Michaël Martin said")
    assert text_statement("_Read as: x_\n\n**Denmark** [1]") == "Denmark"


@pytest.mark.slow
def test_pipeline_answers_a_followup_in_context(seed_pipeline) -> None:
    resp = seed_pipeline.ask("And Sweden?", history=HISTORY)
    assert resp.question == "And Sweden?"
    assert resp.rewritten_question == "Is Sweden ready to send peacekeepers to Ukraine?"
    assert any("Sweden" in p.text for p in resp.passages)
    plain = seed_pipeline.ask(Q, history=HISTORY)
    assert plain.rewritten_question is None


def test_focus_of_a_followup() -> None:
    def focus(question: str, history: list[Turn]) -> Focus | None:
        return resolve_followup(question, history).focus

    assert focus("And Sweden?", HISTORY) == Focus(Q, "Sweden")
    assert focus("What about Turkey?", HISTORY) == Focus(Q, "Turkey")
    assert focus("Why not Bulgaria?", HISTORY) == Focus(Q, "Bulgaria")
    assert focus("Who said that?", HISTORY) is None
    assert focus("And Sweden?", []) is None  # nothing to follow


@pytest.mark.slow
def test_followup_after_a_list_question_answers_from_the_list(seed_pipeline) -> None:
    """ "And X?" after a list question gives X's own item: its stance and evidence, or why it is excluded."""
    sweden = seed_pipeline.ask("And Sweden?", history=HISTORY)
    assert sweden.kind == "list"
    assert [(i.name, i.stance) for i in sweden.items] == [("Sweden", "conditional")]
    assert "Sweden does not rule out" in sweden.items[0].evidence[0].context
    germany = seed_pipeline.ask("What about Germany?", history=HISTORY)
    assert germany.items == []
    assert [(i.name, i.stance) for i in germany.excluded] == [("Germany", "negated")]
    assert germany.answers and "opposed" in germany.answers[0].context
