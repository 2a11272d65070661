"""The one error body of the service's own routes (`{"detail": "..."}`) and how the OpenAPI document states it.

Every 4xx and 5xx of `/ask`, `/search`, `/documents`, `/health` and the chat page carries `ErrorBody`;
the OpenAI-compatible routes under `/v1/` use OpenAI's error shape instead (see `openai_compat.OpenAIError`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.responses import JSONResponse

WHAT = {
    400: "malformed request",
    401: "missing or wrong API key (when one is needed)",
    403: "a read key on a write, or writes turned off (a public bind with no write key configured)",
    404: "no such document or file",
    413: "document or request body too large",
    422: "invalid request: the detail says which field and why",
    429: "rate limit exceeded (see the Retry-After header)",
    500: "internal error (logged)",
    503: "busy (see the Retry-After header) or still loading",
}


class ErrorBody(BaseModel):
    """What went wrong, in one sentence a user can act on."""

    detail: str


def error_response(
    path: str,
    status: int,
    message: str,
    code: str,
    type_: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error answered before the routes (by middleware): `{"detail": ...}`, or OpenAI's shape under `/v1/`."""
    if path.startswith("/v1/"):
        body: dict[str, Any] = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    else:
        body = {"detail": message}
    return JSONResponse(status_code=status, content=body, headers=headers)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries of a route for these status codes, each with `ErrorBody`."""
    return {code: {"description": WHAT[code], "model": ErrorBody} for code in codes}


def document_errors(
    schema: dict[str, Any], on_every_route: tuple[int, ...] = (400, 401, 413, 429, 500, 503)
) -> dict[str, Any]:
    """Make the OpenAPI document say what the service does: FastAPI's default 422 (a list of validation errors)
    becomes `ErrorBody`, and statuses any route may answer (from middleware) are listed on every operation."""
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    openai_ref = {"$ref": "#/components/schemas/OpenAIError"}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema()
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, ops in schema.get("paths", {}).items():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            if "422" in responses:
                body = openai_ref if path.startswith("/v1/") else ref
                responses["422"] = {"description": WHAT[422], "content": {"application/json": {"schema": body}}}
            if path.startswith("/v1/"):
                continue  # documented with OpenAI's error shape by their routes
            for code in on_every_route:
                responses.setdefault(
                    str(code), {"description": WHAT[code], "content": {"application/json": {"schema": ref}}}
                )
    return schema
