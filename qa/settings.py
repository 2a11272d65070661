"""Every setting of the service, read once from the environment at the edge (`Settings.from_env()`).

Writes (add, replace, delete over HTTP) need a write key; with none configured they are open when `QA_HOST`
is loopback (`127.0.0.0/8`, `::1`, `localhost`) and answer 403 on any other bind (`0.0.0.0`, `::`, ...). Set
`QA_HOST` to the bind address when running the app under a server other than `qa serve`.

| variable | default | meaning |
|---|---|---|
| `QA_INDEX_DIR` | `./.qa-index` | index directory (the embedded SQLite store) |
| `QA_STORE` | unset: `QA_INDEX_DIR` | a folder, or Milvus: `milvus://host:19530`, `http://...`, a milvus-lite `x.db` |
| `QA_MAX_DOCUMENT_CHARS` | `5000000` | longest document text accepted (larger ones are refused with a message) |
| `QA_SEEDS_DIR` | `seeds/` of this checkout | corpus indexed on first use |
| `QA_READER` | `auto` | `cascade`, `span` (the fast reader alone), `sentence`; `auto`: cascade, else span |
| `QA_READER_DIR` | `qa/models/reader` | span reader weights (the fast reader of a cascade) |
| `QA_STRONG_READER_DIR` | `qa/models/strong` | the cascade's strong reader (MPNet; base fetched on first use) |
| `QA_CASCADE_KEEP` | `2` | passages a cascade's strong reader reads per stage (the fast reader's best) |
| `QA_READER_BF16` | unset: on when the CPU has native bf16 | `1`/`0`: bf16 autocast or not (PyTorch backend) |
| `QA_READER_BACKEND` | `auto` | `torch`, `onnx` (int8 ONNX Runtime) or `auto`: ONNX if `backends.json` says it wins |
| `QA_EMBEDDER_BACKEND` | `auto` | the same for the embedder (`backends.json` beside the reader weights) |
| `QA_ONNX_CACHE` | `~/.cache/articleqa/onnx` | int8 ONNX exports, built on first use (a folder per weights hash) |
| `QA_MODELS_CACHE` | `~/.cache/articleqa/models` | encoders fetched on first use; compact readers merged |
| `QA_ONNX_THREADS` | `0`: all cores | ONNX Runtime intra-op threads |
| `QA_HOST`, `QA_PORT` | `127.0.0.1`, `8000` | bind address; `qa serve` sets `QA_HOST` for the app (writes, below) |
| `QA_WORKERS` | `1` | `qa serve` worker processes (each loads the models; the store is shared) |
| `QA_MAX_CONCURRENT` | `1` | questions doing model work at once, per worker (each uses every core) |
| `QA_MAX_QUEUE` | `4` | questions waiting for a slot, per worker; beyond, `503` with `Retry-After` |
| `QA_REQUEST_TIMEOUT` | `30` | seconds a question may wait and work before it is answered `503` |
| `QA_API_KEY` | unset | one key with both scopes, as if in `QA_READ_KEYS` and `QA_WRITE_KEYS` |
| `QA_READ_KEYS` | unset: reads open | comma-separated keys (or `sha256:<64 hex>` of each) to ask, search, chat, read |
| `QA_WRITE_KEYS` | unset | keys (same forms) that may also add, replace, delete; unset: writes open on loopback only |
| `QA_RATE_LIMIT` | `3/second;60/minute` | per client (key, else address) on read routes, `limits` notation; `off` |
| `QA_TRUSTED_PROXIES` | unset | proxy addresses or networks whose `X-Forwarded-For` names the client |
| `QA_AUDIT_LOG` | unset: stderr | file the audit log of writes is appended to (a JSON line per add, delete) |
| `QA_CORS_ORIGINS` | unset | comma-separated browser origins allowed to call the API |
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.onnx_models import DEFAULT_CACHE, check_backend
from index.packaged_models import DEFAULT_MODELS_CACHE
from index.store import DEFAULT_MAX_DOCUMENT_CHARS
from qa.reader_weights import has_weights

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX_DIR = Path(".qa-index")
DEFAULT_SEEDS_DIR = PROJECT_ROOT / "seeds"
DEFAULT_READER_DIR = Path(__file__).resolve().parent / "models" / "reader"
DEFAULT_STRONG_READER_DIR = Path(__file__).resolve().parent / "models" / "strong"
DEFAULT_CASCADE_KEEP = 2  # measured best of 1-2 (bench/bench_cascade.py): 2 reads a second passage when unsure
DEFAULT_RATE_LIMIT = "3/second;60/minute"
_HASHED_KEY = re.compile(r"sha256:[0-9a-fA-F]{64}")


def _flag(value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    value = (env.get(name) or "").strip()
    try:
        n = int(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number (got {value!r})") from None
    if n < 0:
        raise ValueError(f"{name} must not be negative (got {n})")
    return n


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = (env.get(name) or "").strip()
    return Path(value).expanduser() if value else None


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in (env.get(name) or "").split(",") if x.strip())


def _keys(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated key list; an entry that starts `sha256:` must be a whole SHA-256 digest (64 hex)."""
    keys = _list(env, name)
    for i, k in enumerate(keys, 1):
        if k.lower().startswith("sha256:") and not _HASHED_KEY.fullmatch(k):
            raise ValueError(f"{name}: entry {i} starts with 'sha256:' but is not followed by 64 hex digits")
    return keys


def _rate_limit(env: Mapping[str, str]) -> str:
    """`QA_RATE_LIMIT` checked against the `limits` notation ('' when off)."""
    from limits import parse_many

    value = (env.get("QA_RATE_LIMIT") or DEFAULT_RATE_LIMIT).strip()
    if value.lower() in ("off", "none", "0"):
        return ""
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(f"QA_RATE_LIMIT must read like '5/second' or '3/second;100/minute' (got {value!r})") from None
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    out = _list(env, name)
    for x in out:
        try:
            ipaddress.ip_network(x, strict=False)
        except ValueError:
            raise ValueError(f"{name}: {x!r} is not an IP address or network") from None
    return out


def is_loopback(host: str) -> bool:
    """True for `localhost`, `127.0.0.0/8` and `::1`; every other address (`0.0.0.0`, `::`, a name) is public."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """What the service runs with; build with `Settings.from_env()` and override with `with_()`."""

    index_dir: Path = DEFAULT_INDEX_DIR
    store: str = ""
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS
    seeds_dir: Path = DEFAULT_SEEDS_DIR
    reader: str = "auto"
    reader_dir: Path = DEFAULT_READER_DIR
    strong_reader_dir: Path = DEFAULT_STRONG_READER_DIR
    cascade_keep: int = DEFAULT_CASCADE_KEEP
    reader_bf16: bool | None = None
    reader_backend: str = "auto"
    embedder_backend: str = "auto"
    onnx_cache: Path = DEFAULT_CACHE
    models_cache: Path = DEFAULT_MODELS_CACHE
    onnx_threads: int = 0
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_concurrent: int = 1
    max_queue: int = 4
    request_timeout: float = 30.0
    api_key: str = ""
    read_keys: tuple[str, ...] = field(default_factory=tuple)
    write_keys: tuple[str, ...] = field(default_factory=tuple)
    rate_limit: str = DEFAULT_RATE_LIMIT
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)
    audit_log: Path | None = None
    cors_origins: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the `QA_*` environment variables give (see the module's table)."""
        env = os.environ if environ is None else environ
        port_n = _whole(env, "QA_PORT", 8000)
        return cls(
            index_dir=Path(env.get("QA_INDEX_DIR") or DEFAULT_INDEX_DIR),
            store=(env.get("QA_STORE") or "").strip(),
            max_document_chars=_whole(env, "QA_MAX_DOCUMENT_CHARS", DEFAULT_MAX_DOCUMENT_CHARS),
            seeds_dir=Path(env.get("QA_SEEDS_DIR") or DEFAULT_SEEDS_DIR),
            reader=(env.get("QA_READER") or "auto").strip(),
            reader_dir=Path(env.get("QA_READER_DIR") or DEFAULT_READER_DIR),
            strong_reader_dir=_path(env, "QA_STRONG_READER_DIR") or DEFAULT_STRONG_READER_DIR,
            cascade_keep=max(1, _whole(env, "QA_CASCADE_KEEP", DEFAULT_CASCADE_KEEP)),
            reader_bf16=_flag(env.get("QA_READER_BF16")),
            reader_backend=check_backend(env.get("QA_READER_BACKEND") or "auto", "QA_READER_BACKEND"),
            embedder_backend=check_backend(env.get("QA_EMBEDDER_BACKEND") or "auto", "QA_EMBEDDER_BACKEND"),
            onnx_cache=Path(env.get("QA_ONNX_CACHE") or DEFAULT_CACHE).expanduser(),
            models_cache=Path(env.get("QA_MODELS_CACHE") or DEFAULT_MODELS_CACHE).expanduser(),
            onnx_threads=_whole(env, "QA_ONNX_THREADS", 0),
            host=env.get("QA_HOST") or "127.0.0.1",
            port=port_n,
            workers=max(1, _whole(env, "QA_WORKERS", 1)),
            max_concurrent=max(1, _whole(env, "QA_MAX_CONCURRENT", 1)),
            max_queue=_whole(env, "QA_MAX_QUEUE", 4),
            request_timeout=float(max(1, _whole(env, "QA_REQUEST_TIMEOUT", 30))),
            api_key=(env.get("QA_API_KEY") or "").strip(),
            read_keys=_keys(env, "QA_READ_KEYS"),
            write_keys=_keys(env, "QA_WRITE_KEYS"),
            rate_limit=_rate_limit(env),
            trusted_proxies=_networks(env, "QA_TRUSTED_PROXIES"),
            audit_log=_path(env, "QA_AUDIT_LOG"),
            cors_origins=tuple(
                o.strip().rstrip("/") for o in (env.get("QA_CORS_ORIGINS") or "").split(",") if o.strip()
            ),
        )

    @property
    def reader_dirs(self) -> tuple[Path, ...]:
        """The weights of the readers these settings ask for: the fast and the strong one for the cascade (which
        `auto` is when the strong weights ship; `auto` falls back to the fast one when their base cannot be
        fetched, which only the loaded pipeline knows: `QAPipeline.reader_dirs`)."""
        if self.reader == "cascade" or (self.reader == "auto" and has_weights(self.strong_reader_dir)):
            return (self.reader_dir, self.strong_reader_dir)
        return (self.reader_dir,)

    @property
    def location(self) -> str | Path:
        """Where the index lives: `store` when set, else `index_dir`."""
        return self.store or self.index_dir

    @property
    def loopback_only(self) -> bool:
        """Whether the service is bound to loopback only (then writes need no key when none is configured)."""
        return is_loopback(self.host)

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (`None` values are ignored, so unset CLI flags keep the default)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None and v != ""})  # type: ignore[arg-type]
