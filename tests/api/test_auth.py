"""`QA_API_KEY`: a Bearer key on every endpoint but /health (and the static chat page); CORS origins."""

from __future__ import annotations

import httpx
import openai
import pytest

from api.auth import bearer_token, key_matches

KEY = "s3cret-key-for-tests"
Q = "Which countries are ready to send peacekeepers to Ukraine?"
ORIGIN = "http://127.0.0.1:9"  # an allowed origin (nothing needs to listen there)


def test_key_helpers() -> None:
    assert bearer_token("Bearer abc") == "abc" and bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") == "" and bearer_token("") == ""
    assert key_matches(KEY, KEY) and not key_matches(KEY + "x", KEY) and not key_matches("", KEY)
    assert key_matches("ключ", "ключ")  # non-ASCII keys compare as bytes


@pytest.fixture(scope="module")
def keyed(server_factory):
    with server_factory({"QA_API_KEY": KEY, "QA_CORS_ORIGINS": ORIGIN}) as base:
        yield base


@pytest.mark.slow
def test_key_is_required_everywhere_but_health(keyed: str) -> None:
    ask = {"question": Q}
    chat = {"model": "articleqa", "messages": [{"role": "user", "content": Q}]}
    calls = [
        ("POST", "/ask", ask), ("GET", "/search?q=peacekeepers", None), ("GET", "/documents", None),
        ("GET", "/v1/models", None), ("POST", "/v1/chat/completions", chat), ("GET", "/openapi.json", None),
    ]  # fmt: skip
    for method, path, body in calls:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": KEY},
            {"Authorization": f"Basic {KEY}"},
        ):
            r = httpx.request(method, keyed + path, json=body, headers=headers, timeout=60)
            assert r.status_code == 401, (path, headers, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            err = r.json()
            if path.startswith("/v1/"):
                assert err["error"]["code"] == "invalid_api_key" and err["error"]["message"]
            else:
                assert "API key" in err["detail"]
    ok = {"Authorization": f"Bearer {KEY}"}
    assert httpx.post(keyed + "/ask", json=ask, headers=ok, timeout=120).status_code == 200
    assert httpx.get(keyed + "/documents", headers=ok).status_code == 200
    assert httpx.get(keyed + "/v1/models", headers=ok).json()["data"][0]["id"] == "articleqa"
    assert httpx.get(keyed + "/health").json()["status"] == "ok"  # open
    assert httpx.get(keyed + "/").status_code == 200  # the chat page holds no data; it asks for the key


@pytest.mark.slow
def test_openai_client_with_and_without_the_key(keyed: str) -> None:
    wrong = openai.OpenAI(base_url=keyed + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="invalid API key"):
        wrong.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": Q}])
    right = openai.OpenAI(base_url=keyed + "/v1", api_key=KEY, max_retries=0, timeout=120)
    comp = right.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": Q}])
    assert "Ireland" in comp.choices[0].message.content


@pytest.mark.slow
def test_cors_allows_configured_origins_only(keyed: str, server: str) -> None:
    pre = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip
    r = httpx.options(keyed + "/v1/chat/completions", headers=pre)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = httpx.options(keyed + "/v1/chat/completions", headers={**pre, "Origin": "http://evil.example"})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
    r = httpx.get(keyed + "/v1/models", headers={"Origin": ORIGIN})  # a 401 still carries CORS headers
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == ORIGIN
    r = httpx.get(server + "/v1/models", headers={"Origin": ORIGIN})  # no QA_CORS_ORIGINS: same origin only
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
