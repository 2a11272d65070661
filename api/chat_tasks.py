"""Chat frontends' bookkeeping requests (titles, tags, follow-up suggestions) and their short replies.

Open WebUI sends prompts that start with ``### Task:`` and ask for JSON (``{ "title": ... }``,
``{ "tags": [...] }``, ``{ "follow_ups": [...] }``, ``{ "queries": [...] }``); LibreChat asks for a
"concise, 5-word-or-less title". These are not questions about the articles: they get a valid reply in
the format asked for, without touching the index. Open WebUI's retrieval template wraps a real question
in ``<user_query>``; `unwrap_question` takes it out.
"""

from __future__ import annotations

import json
import re

from index.text import FUNCTION_WORDS, STOP_WORDS
from qa.followup import entities

_TASK = re.compile(r"^\s*#{2,3}\s*Task\s*:", re.I | re.M)
_JSON_KEY = re.compile(r"JSON format\s*:?\s*\**\s*(?:\{\s*)?[\"“](\w+)[\"”]", re.I)
_USER_QUERY = re.compile(r"<user_query>\s*(.*?)\s*</user_query>", re.S | re.I)
_HISTORY = re.compile(r"<chat_history>\s*(.*?)\s*(?:</chat_history>|$)", re.S | re.I)
_TITLE_ASK = re.compile(r"\b(?:title for the conversation|title for (?:this|the) chat|5-word-or-less title)\b", re.I)
_EMOJI_ASK = re.compile(r"\bfitting emoji\b|\breply with (?:a|one) (?:single )?emoji\b", re.I)
# Words that make no title: the stop words of keyword search, and a chat's polite filler.
_STOP = STOP_WORDS | FUNCTION_WORDS | {"please", "tell", "ready"}


def unwrap_question(text: str) -> str:
    """The user's own question inside a frontend's retrieval template, else the text itself."""
    m = _USER_QUERY.search(text)
    return m.group(1).strip() if m and _TASK.search(text) else text


def _user_lines(text: str) -> list[str]:
    m = _HISTORY.search(text)
    body = m.group(1) if m else text
    found = re.findall(r"^\s*(?:\|\|>)?(?:USER|User|Human|user)\s*:\s*(.+)$", body, re.M)
    return [f.strip().strip('"') for f in found if f.strip().strip('"')]


def _assistant_text(text: str) -> str:
    m = _HISTORY.search(text)
    body = m.group(1) if m else text
    parts = re.split(r"^\s*(?:\|\|>)?(?:ASSISTANT|Assistant|AI|assistant|Response)\s*:", body, flags=re.M)
    return parts[-1] if len(parts) > 1 else ""


def title_for(question: str, words: int = 5) -> str:
    """A short title from a question's content words ('Countries Send Peacekeepers Ukraine')."""
    kept = [w for w in re.findall(r"[\w’'\-]+", question) if w.lower() not in _STOP]
    title = " ".join(w[:1].upper() + w[1:] for w in kept[:words])
    return title or "News Question"


def suggestions(question: str, answer: str) -> list[str]:
    """Follow-ups worth offering after an answer: names it mentions that the question did not."""
    asked = {e.lower() for e in entities(question)}
    fresh = [e for e in entities(answer) if e.lower() not in asked and len(e.split()) == 1]
    out = [f"What about {e}?" for e in fresh[:2]]
    out.append("Who said that?")
    return out


def bookkeeping_reply(text: str) -> str | None:
    """The reply to a frontend's bookkeeping prompt, or None when `text` is a real question."""
    if _USER_QUERY.search(text) and _TASK.search(text):
        return None
    users = _user_lines(text)
    first = users[0] if users else ""
    last = users[-1] if users else ""
    if _TASK.search(text):
        m = _JSON_KEY.search(text)
        key = m.group(1).lower() if m else ""
        if key == "title":
            return json.dumps({"title": title_for(first)})
        if key == "tags":
            return json.dumps({"tags": ["News"] + entities(" ".join(users))[:2]})
        if key == "follow_ups":
            return json.dumps({"follow_ups": suggestions(last, _assistant_text(text))})
        if key in ("queries", "query"):
            return json.dumps({"queries": []})
        if key:
            return json.dumps({key: ""})
        if _EMOJI_ASK.search(text):
            return "🙂"
        return ""
    if _TITLE_ASK.search(text):
        return title_for(first or re.sub(r"(?s).*\b(?:title|conversation)\b[^\n]*\n", "", text))
    if _EMOJI_ASK.search(text):
        return "🙂"
    return None
