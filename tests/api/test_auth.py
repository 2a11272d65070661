"""`QA_API_KEY` (a key with both scopes): a Bearer key on every endpoint but /health (and the static chat page);
the key helpers (hashed keys, scopes, the client's address behind trusted proxies); CORS origins."""

from __future__ import annotations

import hashlib

import httpx
import openai
import pytest

from api.auth import Keyring, bearer_token, client_address, key_id, needed_scope
from tests.conftest import FAST_READER

KEY = "s3cret-key-for-tests"
Q = "Which countries are ready to send peacekeepers to Ukraine?"
ORIGIN = "http://127.0.0.1:9"  # an allowed origin (nothing needs to listen there)


def test_key_helpers() -> None:
    assert bearer_token("Bearer abc") == "abc" and bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") == "" and bearer_token("") == ""
    hashed = "sha256:" + hashlib.sha256(b"hashed-reader").hexdigest().upper()  # either case of hex
    ring = Keyring(read_keys=["plain-reader", hashed], write_keys=["writer"], api_key="ключ")
    rid = "key-" + hashlib.sha256(b"plain-reader").hexdigest()[:8]
    assert ring.lookup("plain-reader") == (rid, frozenset({"read"}))
    assert ring.lookup("hashed-reader") == (key_id(hashlib.sha256(b"hashed-reader").digest()), frozenset({"read"}))
    assert ring.lookup("writer")[1] == {"read", "write"} and ring.lookup("ключ")[1] == {"read", "write"}
    for wrong in ("", "plain-reader ", "Plain-reader", hashed, hashed[7:], "writer\x00", KEY):
        assert ring.lookup(wrong) is None, wrong  # the digest itself is no key
    assert ring.required("read") and ring.required("write")
    only_writes = Keyring(write_keys=["w"])
    assert not only_writes.required("read") and only_writes.required("write")  # no read key: reads open
    assert only_writes.lookup("w")[1] == {"read", "write"}  # and a write key may read where reads need a key
    assert Keyring(api_key="k").required("read") and Keyring(api_key="k").required("write")
    assert not Keyring(read_keys=["r"]).required("write") and not Keyring().required("read")


def test_what_each_route_needs() -> None:
    assert needed_scope("POST", "/documents") == needed_scope("DELETE", "/documents/abc") == "write"
    assert needed_scope("PUT", "/documents/") == needed_scope("PATCH", "/documents/x/y") == "write"
    assert needed_scope("GET", "/documents") == needed_scope("GET", "/documents/abc") == "read"
    assert needed_scope("POST", "/ask") == needed_scope("POST", "/v1/chat/completions") == "read"
    assert needed_scope("GET", "/health") is needed_scope("GET", "/static/chat.js") is None
    # any other change is a write, whatever its path: a route added later is guarded from the start
    assert (
        needed_scope("POST", "/v1/files") == needed_scope("DELETE", "/ask") == needed_scope("POST", "/ask/") == "write"
    )
    assert needed_scope("HEAD", "/documents") == "read"


def test_the_client_address_behind_trusted_proxies_only() -> None:
    import ipaddress

    def scope(peer: str, *xff: str) -> dict:
        return {"client": (peer, 5000), "headers": [(b"x-forwarded-for", v.encode()) for v in xff]}

    proxies = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]
    assert client_address(scope("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"  # not a proxy: ignored
    assert client_address(scope("203.0.113.9", "1.2.3.4"), []) == "203.0.113.9"
    assert client_address(scope("10.1.1.1", "1.2.3.4"), proxies) == "1.2.3.4"
    # a client may put anything at the left: the right-most address no trusted proxy added is the client
    assert client_address(scope("10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2"), proxies) == "1.2.3.4"
    assert client_address(scope("10.1.1.1", "6.6.6.6", "1.2.3.4"), proxies) == "1.2.3.4"  # two headers
    assert client_address(scope("10.1.1.1", "not-an-ip"), proxies) == "10.1.1.1"
    assert client_address(scope("10.1.1.1"), proxies) == "10.1.1.1"


@pytest.fixture(scope="module")
def keyed(server_factory):
    with server_factory({**FAST_READER, "QA_API_KEY": KEY, "QA_CORS_ORIGINS": ORIGIN}) as base:
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
