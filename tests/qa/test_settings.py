"""The security settings: key lists (plain or `sha256:` digests), the rate limit's notation, trusted proxies, and
what counts as a loopback bind."""

from __future__ import annotations

import pytest

from qa.settings import DEFAULT_RATE_LIMIT, Settings, is_loopback

HEX = "ab" * 32


def test_key_lists_limits_and_proxies() -> None:
    s = Settings.from_env(
        {"QA_READ_KEYS": " r1, sha256:" + HEX + ",, ", "QA_WRITE_KEYS": "w1", "QA_RATE_LIMIT": "5/second",
         "QA_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "QA_AUDIT_LOG": "/tmp/audit.jsonl"}
    )  # fmt: skip
    assert s.read_keys == ("r1", "sha256:" + HEX) and s.write_keys == ("w1",)
    assert s.rate_limit == "5/second" and s.trusted_proxies == ("10.0.0.0/8", "::1")
    assert str(s.audit_log) == "/tmp/audit.jsonl"
    d = Settings.from_env({})
    assert d.read_keys == d.write_keys == () and d.rate_limit == DEFAULT_RATE_LIMIT and d.audit_log is None
    assert Settings.from_env({"QA_RATE_LIMIT": "off"}).rate_limit == ""


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"QA_WRITE_KEYS": "ok,sha256:abc"}, "QA_WRITE_KEYS: entry 2 starts with 'sha256:' but is not followed by 64"),
        ({"QA_READ_KEYS": "sha256:" + "g" * 64}, "QA_READ_KEYS: entry 1"),
        ({"QA_RATE_LIMIT": "lots"}, "QA_RATE_LIMIT must read like '5/second'"),
        ({"QA_RATE_LIMIT": "5 per fortnight"}, "QA_RATE_LIMIT"),
        ({"QA_TRUSTED_PROXIES": "proxy.internal"}, "QA_TRUSTED_PROXIES: 'proxy.internal' is not an IP"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValueError) as err:
        Settings.from_env(env)
    assert fragment in str(err.value)
    assert HEX not in str(err.value) and "ok," not in str(err.value)  # no key is repeated back


def test_loopback_binds() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.org", "localhost.example.org", ""):
        assert not is_loopback(host), host
    assert Settings(host="127.0.0.1").loopback_only and not Settings(host="0.0.0.0").loopback_only
