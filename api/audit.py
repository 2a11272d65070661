"""The audit log of writes: one JSON line per add, replace or delete made over HTTP (who, from where, which
ids, when), appended to `QA_AUDIT_LOG` or, without it, written to the `articleqa.audit` logger (stderr).

Who is the key's id (`auth.key_id`), never the key. The documents added also keep, in their metadata under
`PROVENANCE`, when and by which key they were added.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.auth import Principal

AUDIT_LOG = logging.getLogger("articleqa.audit")
PROVENANCE = "articleqa"  # the metadata key the service writes (and a poster cannot set)


def utc_now() -> str:
    """The time now as ISO 8601 UTC with milliseconds (`2026-12-07T01:02:03.456Z`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def provenance(principal: Principal, when: str) -> dict[str, Any]:
    """What a document's metadata records of how it came: when, by which key (None: no key) and over HTTP."""
    return {"added_at": when, "added_by": principal.key_id, "via": "api"}


class AuditLog:
    """Appends audit records as JSON lines to a file (shared safely by the threads of one process; each line is
    one `write` in append mode, so several workers may share the file), or logs them when `path` is None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)  # a wrong path fails at start-up, not at the first write

    def record(
        self, event: str, principal: Principal, ids: list[str], route: str, when: str | None = None, **extra: Any
    ) -> None:
        """Record that `principal` did `event` (`add` or `delete`) to the documents `ids` (`extra`: more fields,
        such as the ids an add replaced)."""
        line = json.dumps(
            {
                "ts": when or utc_now(),
                "event": event,
                "ids": ids,
                "key": principal.key_id,
                "client": principal.client,
                "route": route,
                **extra,
            },
            ensure_ascii=False,
        )
        if self.path is None:
            AUDIT_LOG.warning(line)  # WARNING: shown even when `qa serve --quiet` silences the access log
            return
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
