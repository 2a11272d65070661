"""Who may do what: read keys (ask, search, chat, read documents) and write keys (also add, replace, delete).

Keys come from `QA_READ_KEYS`, `QA_WRITE_KEYS` (a write key may also read) and `QA_API_KEY` (both scopes), each
a key or `sha256:<hex>` of one; only their SHA-256 digests are kept, and a presented key is hashed and compared
with every digest in constant time. A key is known by its id (`key-` and the first 8 hex digits of its digest),
never by itself: ids go to the access and audit logs, keys nowhere.

Reads (GET, and the questions of `POST /ask` and `/v1/chat/completions`) are open when no read key is
configured; every other POST, PUT, PATCH or DELETE is a write, open only when no write key is configured and the
service is bound to loopback (`QA_HOST`): on a public bind it answers 403 with how to enable writes. A key that
is not configured is 401 where a key is needed and ignored where none is. `/health`, the chat page and its
static files need no key (they hold no data); CORS preflights carry no credentials and pass through.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

Access = Literal["read", "write"]  # what a key may do
PUBLIC_PATHS = frozenset({"/health", "/", "/widget.js", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_POSTS = frozenset({"/ask", "/v1/chat/completions"})  # questions, sent by POST: reads


def bearer_token(header: str) -> str:
    """The token of an `Authorization: Bearer TOKEN` header value ('' for any other scheme)."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def digest(key: str) -> bytes:
    """The SHA-256 of a key as configured: a plain key is hashed, `sha256:<hex>` is the digest itself."""
    if key.lower().startswith("sha256:"):
        return bytes.fromhex(key[7:])
    return hashlib.sha256(key.encode("utf-8")).digest()


def key_id(key_digest: bytes) -> str:
    """A key's public name: `key-` and its digest's first 8 hex digits (what `sha256sum` of the key begins with)."""
    return "key-" + key_digest.hex()[:8]


@dataclass(frozen=True)
class Principal:
    """Who made a request: the key's id (None without a valid key), its scopes, and the client's address."""

    key_id: str | None
    scopes: frozenset[str]
    client: str

    @property
    def identity(self) -> str:
        """What rate limits count by: the key when one was used, else the client's address."""
        return self.key_id or f"addr:{self.client}"


class Keyring:
    """The configured keys' digests and scopes; `lookup` finds a presented key in constant time."""

    def __init__(self, read_keys: Sequence[str] = (), write_keys: Sequence[str] = (), api_key: str = "") -> None:
        scopes: dict[bytes, set[str]] = {}
        for k in read_keys:
            scopes.setdefault(digest(k), set()).add("read")
        for k in [*write_keys, *([api_key] if api_key else [])]:
            scopes.setdefault(digest(k), set()).update(("read", "write"))
        self._keys = [(d, frozenset(s)) for d, s in scopes.items()]
        self._required = {"read": bool(read_keys or api_key), "write": bool(write_keys or api_key)}

    def required(self, scope: Access) -> bool:
        """Whether requests needing `scope` must present a key: reads when a read key (or `QA_API_KEY`) is
        configured, writes when a write key (or `QA_API_KEY`) is. Write keys alone leave reads open."""
        return self._required[scope]

    def lookup(self, token: str) -> tuple[str, frozenset[str]] | None:
        """The id and scopes of a presented key, or None; every digest is compared, whether or not one matched."""
        if not token:
            return None
        given = hashlib.sha256(token.encode("utf-8")).digest()
        found = None
        for d, s in self._keys:
            if hmac.compare_digest(given, d):
                found = (key_id(d), s)
        return found


def client_address(scope: Scope, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The client's address: the peer, or when the peer is a trusted proxy the right-most address of
    `X-Forwarded-For` that is not itself a trusted proxy (as nginx's real_ip_recursive does)."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted or not _in(peer, trusted):
        return peer
    values = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"x-forwarded-for"]
    hops = [h.strip() for h in ",".join(values).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop if _is_ip(hop) else peer
    return hops[0] if hops and _is_ip(hops[0]) else peer


def _in(addr: str, nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def _is_ip(addr: str) -> bool:
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        return False
    return True


def needed_scope(method: str, path: str) -> Access | None:
    """The scope a request needs: None for the public paths; `read` for GET and HEAD and for the questions sent
    by POST (`READ_POSTS`); `write` for every other POST, PUT, PATCH and DELETE (so a new route that changes
    something is guarded from the start)."""
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    if method in WRITE_METHODS and not (method == "POST" and path in READ_POSTS):
        return "write"
    return "read"


def _error(path: str, status: int, message: str, code: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(path, status, message, code, headers=headers)


WRITES_OFF = (
    "writes are turned off: this service is bound to a public address and no write key is configured; "
    "set QA_WRITE_KEYS (or QA_API_KEY) and send 'Authorization: Bearer <key>', or use qa index / qa delete "
    "on the server"
)


class AccessControl:
    """Pure ASGI middleware: finds who is asking (`scope["state"]["principal"]`) and refuses what they may not
    do: 401 for a missing or unknown key where one is needed, 403 for a read key on a write or for writes on a
    public bind with no write key configured."""

    def __init__(self, app: ASGIApp, keyring: Keyring, loopback_only: bool, trusted_proxies: Iterable[str]) -> None:
        self.app = app
        self.keyring = keyring
        self.loopback_only = loopback_only
        self.trusted = [ipaddress.ip_network(n, strict=False) for n in trusted_proxies]

    def _refusal(
        self, scope_needed: Access, token: str, found: tuple[str, frozenset[str]] | None, path: str
    ) -> JSONResponse | None:
        """The response refusing this request, or None when it may go on."""
        if scope_needed == "write" and not self.keyring.required("write") and not self.loopback_only:
            return _error(path, 403, WRITES_OFF, "writes_disabled")
        if not self.keyring.required(scope_needed):
            return None  # open: any key, or none
        if found is None:
            if token:
                return _error(path, 401, "invalid API key", "invalid_api_key")
            return _error(path, 401, "missing API key: send 'Authorization: Bearer <key>'", "invalid_api_key")
        if scope_needed not in found[1]:
            message = "this key may only read: adding, replacing and deleting documents needs a write key"
            return _error(path, 403, message, "insufficient_scope")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Record the principal; pass the request on or answer the refusal."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        found = self.keyring.lookup(token)
        principal = Principal(found[0] if found else None, found[1] if found else frozenset(),
                              client_address(scope, self.trusted))  # fmt: skip
        scope.setdefault("state", {})["principal"] = principal
        needed = needed_scope(scope["method"], scope["path"])
        if needed is not None and scope["method"] != "OPTIONS":
            refusal = self._refusal(needed, token, found, scope["path"])
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def principal_of(scope: Scope) -> Principal:
    """The principal `AccessControl` recorded for a request (an anonymous one when it did not run)."""
    found = scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else Principal(None, frozenset(), "unknown")
