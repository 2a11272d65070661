"""OpenAI-compatible chat API: `GET /v1/models` and `POST /v1/chat/completions` (plain and streamed).

The last user message is the question and the turns before it are the conversation (for follow-ups). The
reply's content is `chat_render.render_answer(...)`; the structured `AskResponse` travels alongside in
the extra field `articleqa` (on the response, or on the final chunk of a stream). Errors use OpenAI's
shape: `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from api.auth import principal_of
from api.chat_render import render_answer
from api.chat_tasks import bookkeeping_reply, unwrap_question
from api.filters import Filters
from api.limits import Busy, WorkLimiter
from index.filters import FilterError
from qa.answers import AskResponse
from qa.followup import Turn
from qa.pipeline import MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, QueryError, check_question

MODEL_ID = "articleqa"
CREATED = int(time.time())
TOP_K = 5

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])


class ContentPart(BaseModel):
    """One part of a multi-part message content; only `text` parts are read."""

    model_config = ConfigDict(extra="allow")
    type: StrictStr
    text: StrictStr | None = None


class ChatMessage(BaseModel):
    """One message of the conversation: a role and a string or a list of content parts."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[ContentPart] | None = None


class StreamOptions(BaseModel):
    """`stream_options`: whether a stream ends with a usage chunk."""

    model_config = ConfigDict(extra="allow")
    include_usage: StrictBool = False


class ChatRequest(BaseModel):
    """The fields read; others that OpenAI clients send (temperature, max_tokens, ...) are ignored."""

    model_config = ConfigDict(extra="allow")
    model: StrictStr = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=1000)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    filters: Filters | None = None  # articleqa's extra field: the `filters` of POST /ask


def openai_error(
    status: int, message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> JSONResponse:
    """An error response in OpenAI's format."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(status_code=status, content=body)


class OpenAIErrorDetail(BaseModel):
    """The inside of an OpenAI-style error."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    """An error in OpenAI's shape (every 4xx and 5xx of `/v1/`)."""

    error: OpenAIErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": what, "model": OpenAIError}
    for status, what in (
        (400, "invalid request or rejected question"),
        (401, "missing or wrong API key"),
        (429, "rate limit exceeded (see Retry-After)"),
        (404, "unknown model"),
        (413, "request body too large"),
        (500, "internal error"),
        (503, "busy (see Retry-After) or still loading"),
    )
}


def _param(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif (
            part in ChatRequest.model_fields
            or part in ChatMessage.model_fields
            or part in ("include_usage",)
            or (out.startswith("filters") and (part in Filters.model_fields or out.endswith("meta")))
        ):
            out += f".{part}" if out else part
        else:
            break  # a union branch tag such as 'str' or 'list[ContentPart]'
    return out


def _validation_error(err: ValidationError) -> JSONResponse:
    e = err.errors()[0]
    param = _param(tuple(e.get("loc", ())))
    if not param:
        return openai_error(400, "the request body must be a JSON object", code="invalid_body")
    if e["type"] == "missing":
        return openai_error(
            400, f"missing required parameter: '{param}'", param=param, code="missing_required_parameter"
        )
    if param == "messages" and e["type"] == "too_short":
        return openai_error(400, "'messages' must contain at least one message", param=param, code="empty_array")
    msg = e["msg"]
    if param.endswith(".content"):
        msg = "must be a string or a list of content parts"
    return openai_error(400, f"invalid value for '{param}': {msg}", param=param, code="invalid_value")


def message_text(msg: ChatMessage) -> str:
    """A message's text (the text parts of a multi-part content, joined)."""
    if isinstance(msg.content, list):
        return "\n".join(p.text for p in msg.content if p.type == "text" and p.text)
    return msg.content or ""


class AnswerMemory:
    """The structured answers behind recent replies, keyed by the reply's text (bounded, oldest dropped).

    OpenAI clients send the conversation back as text; a reply found here gives follow-ups its structured
    answer instead of its rendered Markdown."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[str, AskResponse] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()

    def put(self, text: str, resp: AskResponse) -> None:
        """Remember `resp` as the answer behind the reply `text`, dropping the oldest beyond `size`."""
        with self._lock:
            self._items[self._key(text)] = resp
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, text: str) -> AskResponse | None:
        """The answer behind the reply `text` (compared with whitespace collapsed), or None."""
        with self._lock:
            return self._items.get(self._key(text))


def to_turns(messages: list[ChatMessage], memory: AnswerMemory | None = None) -> list[Turn]:
    """The user and assistant messages as conversation turns (assistant replies with their structured answer
    when this service gave them and still remembers them)."""
    turns = []
    for m in messages:
        text = message_text(m)
        if m.role not in ("user", "assistant") or not text.strip():
            continue
        answer = memory.get(text) if memory is not None and m.role == "assistant" else None
        turns.append(Turn("user" if m.role == "user" else "assistant", text, answer))
    return turns


def chat_question(text: str) -> str:
    """The question of a user message, unwrapped from a frontend's template. A message longer than a question
    may be is usually a pasted text followed by the question: its last sentence that asks something (ends with
    '?'), else its last `MAX_QUESTION_CHARS` characters from a word boundary."""
    q = unwrap_question(text).strip()
    if len(q) <= MAX_QUESTION_CHARS:
        return q
    asks = [s for s in re.split(r"(?<=[.!?])\s+|\n+", q) if s.strip().endswith("?")]
    if asks and len(asks[-1].strip()) <= MAX_QUESTION_CHARS:
        return asks[-1].strip()
    return q  # too long, and no question in it: `check_question` says so


def recent(turns: list[Turn]) -> list[Turn]:
    """The latest turns within the pipeline's history limits: a long chat keeps its most recent context."""
    out: list[Turn] = []
    chars = 0
    for t in reversed(turns[-MAX_HISTORY_TURNS:]):
        chars += len(t.content)
        if chars > MAX_HISTORY_CHARS:
            break
        out.append(t)
    return out[::-1]


def count_tokens(text: str) -> int:
    """Approximate token count: words and punctuation marks."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _pieces(text: str) -> list[str]:
    """The text cut into small runs of words, the way a token stream arrives."""
    return re.findall(r"(?:\S+[ \t]*){1,4}\n*|\s+", text)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {k: v for k, v in _ERRORS.items() if k in codes}


@router.get("/models", responses=_errors(401, 429, 500))
def list_models() -> dict[str, Any]:
    """The one model this service offers."""
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": MODEL_ID}]}


@router.get("/models/{model_id}", response_model=None, responses=_errors(401, 404, 429, 500))
def get_model(model_id: str = Path(examples=[MODEL_ID])) -> dict[str, Any] | JSONResponse:
    """The one model by its id; an OpenAI-style 404 for any other id."""
    if model_id != MODEL_ID:
        return openai_error(404, f"The model '{model_id}' does not exist", param="model", code="model_not_found")
    return {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": MODEL_ID}


class _Completion:
    """One completion's identity and token counts, shared by its plain and streamed forms."""

    def __init__(self, req: ChatRequest, prompt_tokens: int) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = req.model
        self.prompt_tokens = prompt_tokens

    def base(self, obj: str) -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model, "system_fingerprint": None}

    def body(self, content: str, resp: AskResponse | None) -> dict[str, Any]:
        out = self.base("chat.completion")
        out["choices"] = [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ]
        out["usage"] = _usage(self.prompt_tokens, count_tokens(content))
        out["articleqa"] = resp.model_dump() if resp else None
        return out

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        out = self.base("chat.completion.chunk")
        out["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        out.update(extra)
        return f"data: {json.dumps(out, ensure_ascii=False)}\n\n"


async def _stream(
    comp: _Completion, content: str | None, resp: AskResponse | None, include_usage: bool, error: str | None = None
) -> AsyncIterator[str]:
    """The reply as server-sent events: the role, the content in small pieces, a final chunk with the usage and
    the structured answer, then `[DONE]`; an error after the stream has begun is an `error` event, then `[DONE]`."""
    yield comp.chunk({"role": "assistant", "content": ""})
    if error is not None or content is None:
        body = {"message": error or "no reply", "type": "server_error", "param": None, "code": "internal_error"}
        yield f"data: {json.dumps({'error': body})}\n\n"
        yield "data: [DONE]\n\n"
        return
    for piece in _pieces(content):
        yield comp.chunk({"content": piece})
        await asyncio.sleep(0)  # hand each piece to the server before the next one
    usage = _usage(comp.prompt_tokens, count_tokens(content))
    articleqa = resp.model_dump() if resp else None
    yield comp.chunk({}, finish="stop", usage=usage, articleqa=articleqa)
    if include_usage:
        out = comp.base("chat.completion.chunk") | {"choices": [], "usage": usage}
        yield f"data: {json.dumps(out)}\n\n"
    yield "data: [DONE]\n\n"


def chat_schemas() -> dict[str, Any]:
    """The JSON schemas of the chat request and its parts, for the OpenAPI document's components."""
    schema = ChatRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"ChatRequest": schema, **defs}


_SSE = {"type": "object", "properties": {"data": {"type": "string"}}, "required": ["data"]}  # one event
_CHAT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}},
    }
}


async def _read_request(request: Request) -> ChatRequest | JSONResponse:
    """The request body as a `ChatRequest`, or the OpenAI-style error to answer instead."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return openai_error(400, "the request body is not valid JSON", code="invalid_json")
    try:
        req = ChatRequest.model_validate(body)
    except ValidationError as err:
        return _validation_error(err)
    if req.model != MODEL_ID:
        msg = f"The model '{req.model}' does not exist; this service offers '{MODEL_ID}'"
        return openai_error(404, msg, param="model", code="model_not_found")
    return req


@router.post(
    "/chat/completions",
    openapi_extra=_CHAT_BODY,
    response_model=None,
    responses={
        200: {
            "description": "a chat completion; with `stream`, server-sent events (`data:` chunks, then `[DONE]`)",
            "content": {"application/json": {"schema": {"type": "object"}}, "text/event-stream": {"schema": _SSE}},
        },
        **_ERRORS,
    },
)
async def chat_completions(request: Request) -> Response:
    """Answer the last user message (`"stream": true` for server-sent events)."""
    req = await _read_request(request)
    if isinstance(req, JSONResponse):
        return req
    texts = [message_text(m) for m in req.messages]
    comp = _Completion(req, sum(count_tokens(t) for t in texts))
    include_usage = bool(req.stream_options and req.stream_options.include_usage)
    users = [i for i, m in enumerate(req.messages) if m.role == "user"]
    prompt = texts[users[-1]] if users else "\n".join(texts)
    reply = bookkeeping_reply(prompt)
    if reply is not None:
        if req.stream:
            return _sse(_stream(comp, reply, None, include_usage))
        return JSONResponse(comp.body(reply, None))
    question = chat_question(texts[users[-1]]) if users else ""
    try:
        check_question(question)
    except QueryError as err:  # a chat replies to whatever it is sent: say what to ask instead
        reply = "Ask me a question about the indexed articles." if not question.strip() else f"Your {err}."
        if req.stream:
            return _sse(_stream(comp, reply, None, include_usage))
        return JSONResponse(comp.body(reply, None))
    last = users[-1]
    memory: AnswerMemory = request.app.state.answer_memory
    history = recent(to_turns(req.messages[:last], memory))
    pipe = request.app.state.pipeline
    try:
        f = req.filters.to_filter() if req.filters else None
    except FilterError as err:
        return openai_error(400, str(err), param="filters")
    return await _answer(request, comp, req, lambda: pipe.ask(question, top_k=TOP_K, history=history, filters=f), last)


async def _answer(
    request: Request, comp: _Completion, req: ChatRequest, answer: Callable[[], AskResponse], last: int
) -> Response:
    """Answer under the work limiter; the reply as JSON or as a stream, errors in OpenAI's shape. A stream is
    refused with 503 before its first byte when the service is full; it then starts at once and the answer's
    pieces follow when it is ready (a failure after the start is an error event, then `[DONE]`)."""
    include_usage = bool(req.stream_options and req.stream_options.include_usage)
    limiter: WorkLimiter = request.app.state.limiter
    memory: AnswerMemory = request.app.state.answer_memory
    client = principal_of(request.scope).identity
    if req.stream:
        if limiter.full():
            return _overloaded(request, Busy("the service is busy; retry shortly", limiter.retry_after(), "queue_full"))
        return _sse(_stream_answer(comp, lambda: limiter.run(answer, client), memory, include_usage))
    try:
        resp = await limiter.run(answer, client)
        content = render_answer(resp)
    except QueryError as err:
        return openai_error(400, f"the question was rejected: {err}", param=f"messages[{last}].content")
    except Busy as busy:
        return _overloaded(request, busy)
    except Exception as err:  # logged
        logging.getLogger("articleqa").exception("chat completion failed")
        return openai_error(500, f"the question could not be answered: {type(err).__name__}", "server_error")
    memory.put(content, resp)
    return JSONResponse(comp.body(content, resp))


def _overloaded(request: Request, busy: Busy) -> JSONResponse:
    request.app.state.metrics.refused.labels(busy.reason).inc()
    out = openai_error(503, busy.detail, type_="server_error", code="overloaded")
    out.headers["Retry-After"] = str(busy.retry_after)
    return out


async def _stream_answer(
    comp: _Completion,
    answer: Callable[[], Awaitable[AskResponse]],
    memory: AnswerMemory,
    include_usage: bool,
) -> AsyncIterator[str]:
    """The role chunk at once, then the answer's stream (or an error event) when the answer (`answer()`: the
    question under the work limiter) is ready."""
    yield comp.chunk({"role": "assistant", "content": ""})
    try:
        resp = await answer()
        content = render_answer(resp)
    except Exception as err:  # Busy, a rejected question or a failure: in-band, as OpenAI does
        if not isinstance(err, QueryError | Busy):
            logging.getLogger("articleqa").exception("chat completion failed")
        events = _stream(comp, None, None, include_usage, error=f"the question could not be answered: {err}")
    else:
        memory.put(content, resp)
        events = _stream(comp, content, resp, include_usage)
    first = True
    async for event in events:
        if not first:  # the role chunk went out already
            yield event
        first = False


def _sse(events: AsyncIterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
