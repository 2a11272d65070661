"""The chat page (`GET /`), the embeddable widget (`GET /widget.js`) and their static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent / "static"
MEDIA = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


def _file(name: str) -> FileResponse:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in MEDIA:
        raise HTTPException(status_code=404, detail=f"no static file {name!r}")
    return FileResponse(path, media_type=MEDIA[path.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/")
def chat_page() -> FileResponse:
    """The web chat."""
    return _file("index.html")


@router.get("/widget.js")
def widget() -> FileResponse:
    """`<script src=".../widget.js">` adds a chat button and panel to any page."""
    return _file("widget.js")


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    """A file of `api/static` (404 for a missing or hidden file, a subpath, or a type not in `MEDIA`)."""
    return _file(name)
