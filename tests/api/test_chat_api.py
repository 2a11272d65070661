"""The OpenAI-compatible chat API, driven over HTTP with the official `openai` client and raw requests."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from api.chat_render import NO_ANSWER, render_answer
from api.chat_tasks import bookkeeping_reply, unwrap_question
from qa.answers import Answer, AskResponse, ListItem

Q = "Which countries are ready to send peacekeepers to Ukraine?"
SENTENCE = "Irish Prime Minister Michaël Martin said his country was also ready to send peacekeepers to Ukraine."
OWUI_TASK = (
    "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n"
    '### Output:\nJSON format: { "title": "your concise title here" }\n'
    f"### Chat History:\n<chat_history>\nUSER: {Q}\nASSISTANT: Ireland [1], Denmark [2]\n</chat_history>"
)
LIBRECHAT_TITLE = (
    "Please generate a concise, 5-word-or-less title for the conversation, using its same language, with no "
    f'punctuation.\n\n||>User:\n"{Q}"\n||>Response:\n"Ireland [1]"\n\n||>Title:'
)


def _answer(text: str, start: int) -> Answer:
    return Answer(
        text=text, score=0.9, document_id="d1", passage_id="d1:0", start=100 + start, end=100 + start + len(text),
        context=SENTENCE, context_start=100, context_end=100 + len(SENTENCE), title="Peacekeepers",
    )  # fmt: skip


# --- rendering and bookkeeping (no server) ---


def test_render_list_answer_cites_sentences() -> None:
    ev = _answer("his country", SENTENCE.index("his country"))
    resp = AskResponse(
        question=Q, kind="list", answers=[], passages=[],
        items=[ListItem(name="Ireland", stance="affirmed", score=0.9, evidence=[ev]),
               ListItem(name="Sweden", stance="conditional", score=0.5, evidence=[ev])],
        excluded=[ListItem(name="Bulgaria", stance="negated", score=0.4, evidence=[ev], reason="will not")],
    )  # fmt: skip
    text = render_answer(resp)
    assert text.startswith("Ireland [1]\n\nConditionally: Sweden [1]\n\nNot included: Bulgaria [1] (will not)")
    assert "**Sources**" in text
    assert "- [1] “Irish Prime Minister Michaël Martin said **his country** was also ready" in text


def test_render_single_and_none() -> None:
    resp = AskResponse(
        question="Who?",
        answers=[_answer("Michaël Martin", SENTENCE.index("Michaël"))],
        passages=[],
        rewritten_question="X?",
    )
    text = render_answer(resp)
    assert text.startswith("_Read as: X?_\n\n**Michaël Martin** [1]")
    assert "**Michaël Martin** said his country" in text
    assert render_answer(AskResponse(question="?", kind="none", answers=[], passages=[])) == NO_ANSWER + "\n"


def test_bookkeeping_prompts_get_short_replies() -> None:
    assert json.loads(bookkeeping_reply(OWUI_TASK)) == {"title": "Countries Send Peacekeepers Ukraine"}
    tags = OWUI_TASK.replace('"title": "your concise title here"', '"tags": ["tag1", "tag2"]')
    assert json.loads(bookkeeping_reply(tags))["tags"][0] == "News"
    follow = OWUI_TASK.replace('"title": "your concise title here"', '"follow_ups": ["Question 1?"]')
    assert "What about Denmark?" in json.loads(bookkeeping_reply(follow))["follow_ups"]
    queries = OWUI_TASK.replace('"title": "your concise title here"', '"queries": ["query1"]')
    assert json.loads(bookkeeping_reply(queries)) == {"queries": []}
    assert bookkeeping_reply(LIBRECHAT_TITLE) == "Countries Send Peacekeepers Ukraine"
    assert bookkeeping_reply(Q) is None
    rag = f"### Task:\nRespond to the user query using the context.\n<context>x</context>\n<user_query>{Q}</user_query>"
    assert bookkeeping_reply(rag) is None and unwrap_question(rag) == Q


# --- the real server ---


@pytest.fixture(scope="module")
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


@pytest.mark.slow
def test_models_lists_articleqa(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["articleqa"]
    assert client.models.retrieve("articleqa").id == "articleqa"


@pytest.mark.slow
def test_plain_completion_names_ireland_with_sources(client: openai.OpenAI) -> None:
    comp = client.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": Q}])
    text = comp.choices[0].message.content
    assert comp.object == "chat.completion" and comp.choices[0].finish_reason == "stop"
    assert "Ireland" in text and "[1]" in text and "**Sources**" in text
    assert "- [1] “" in text  # the cited sentence is quoted
    structured = AskResponse.model_validate(comp.articleqa)  # the /ask object travels alongside
    assert structured.question == Q and structured.kind in ("single", "list")
    assert comp.usage.prompt_tokens > 5 and comp.usage.completion_tokens > 10
    assert comp.usage.total_tokens == comp.usage.prompt_tokens + comp.usage.completion_tokens


@pytest.mark.slow
def test_streamed_completion_names_ireland(client: openai.OpenAI, server: str) -> None:
    chunks = list(
        client.chat.completions.create(
            model="articleqa", messages=[{"role": "user", "content": Q}], stream=True,
            stream_options={"include_usage": True},
        )
    )  # fmt: skip
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Ireland" in text and "**Sources**" in text
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3  # really streamed in pieces
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(final) == 1 and AskResponse.model_validate(final[0].articleqa).question == Q
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 10

    body = {"model": "articleqa", "stream": True, "messages": [{"role": "user", "content": Q}]}
    with httpx.stream("POST", server + "/v1/chat/completions", json=body, timeout=120) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[0][6:])["choices"][0]["delta"]["role"] == "assistant"


@pytest.mark.slow
def test_followup_turn_is_rewritten(client: openai.OpenAI, server: str) -> None:
    first = client.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": Q}])
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": Q},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "And Sweden?"},
    ]
    comp = client.chat.completions.create(model="articleqa", messages=messages)
    standalone = "Is Sweden ready to send peacekeepers to Ukraine?"
    assert comp.articleqa["question"] == "And Sweden?"
    assert comp.articleqa["rewritten_question"] == standalone
    assert comp.choices[0].message.content.startswith(f"_Read as: {standalone}_")
    assert any("Sweden" in p["text"] for p in comp.articleqa["passages"])

    who = client.chat.completions.create(
        model="articleqa",
        messages=messages[:3] + [{"role": "user", "content": [{"type": "text", "text": "Who said that?"}]}],
    )
    assert who.articleqa["rewritten_question"].startswith("Who said “")

    r = httpx.post(server + "/ask", json={"question": "What about Turkey?", "history": messages[1:3]}, timeout=120)
    assert r.status_code == 200
    assert r.json()["rewritten_question"] == "Is Turkey ready to send peacekeepers to Ukraine?"


@pytest.mark.slow
def test_frontend_bookkeeping_requests_get_valid_replies(client: openai.OpenAI) -> None:
    comp = client.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": OWUI_TASK}])
    assert json.loads(comp.choices[0].message.content)["title"]
    assert comp.articleqa is None and comp.usage.total_tokens > 0
    # LibreChat sends its title request as a lone system message
    stream = client.chat.completions.create(
        model="articleqa", messages=[{"role": "system", "content": LIBRECHAT_TITLE}], stream=True
    )
    title = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert title == "Countries Send Peacekeepers Ukraine"


BAD_REQUESTS = [
    ({"model": "articleqa"}, "messages", "missing_required_parameter"),
    ({"model": "articleqa", "messages": []}, "messages", "empty_array"),
    ({"model": "articleqa", "messages": "Which countries?"}, "messages", "invalid_value"),
    ({"model": "articleqa", "messages": [{"role": "user", "content": 42}]}, "messages[0].content", "invalid_value"),
    ({"model": "articleqa", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role", "invalid_value"),
    ({"model": "articleqa", "messages": [{"content": "x"}]}, "messages[0].role", "missing_required_parameter"),
    ({"messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream", "invalid_value"),
    ({"model": 7, "messages": [{"role": "user", "content": "x"}]}, "model", "invalid_value"),
    ({"model": "articleqa", "messages": [{"role": "user", "content": "x"}] * 1001}, "messages", "invalid_value"),
    ([{"role": "user", "content": "x"}], None, "invalid_body"),
]  # fmt: skip


@pytest.mark.slow
def test_bad_chat_requests_get_openai_errors(server: str, client: openai.OpenAI) -> None:
    for body, param, code in BAD_REQUESTS:
        r = httpx.post(server + "/v1/chat/completions", json=body, timeout=30)
        assert r.status_code == 400, (body, r.text)
        err = r.json()["error"]
        assert set(err) == {"message", "type", "param", "code"} and err["type"] == "invalid_request_error"
        assert err["message"] and (err["param"], err["code"]) == (param, code), (body, err)
    r = httpx.post(server + "/v1/chat/completions", content=b"{not json", timeout=30)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = httpx.post(
        server + "/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": Q}]}
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError, match="at least one message"):
        client.chat.completions.create(model="articleqa", messages=[])


@pytest.mark.slow
def test_a_chat_replies_to_whatever_it_is_sent(server: str, client: openai.OpenAI) -> None:
    """No question (only a system prompt, a blank message) gets a reply asking for one; a message longer than
    a question may be is answered from its last 1,000 characters (a pasted text ends with its question)."""
    for messages in (
        [{"role": "system", "content": "Be brief."}],
        [{"role": "assistant", "content": "Hi"}],
        [{"role": "user", "content": "   "}],
    ):
        r = httpx.post(server + "/v1/chat/completions", json={"model": "articleqa", "messages": messages}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "Ask me a question about the indexed articles."
    pasted = "Some notes. " * 200 + "Who is the Belgian Prime Minister?"
    stream = client.chat.completions.create(
        model="articleqa", messages=[{"role": "user", "content": pasted}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "Bart de Wever" in text
