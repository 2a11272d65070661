"""Serving many users, against real servers on 127.0.0.1: overload is refused with 503 + Retry-After (JSON, on
`/ask` and the chat API) while accepted requests are answered; questions up to the limit never crash anything;
history limits; top_k given as 41.0; 405 lists every method; `/metrics`; `/health` readiness (counts only with
the key); one JSON access-log line per request; the OpenAPI document defines every schema it references.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port, run_server, stop_process

pytestmark = pytest.mark.slow
PEACEKEEPERS = "Which countries are ready to send peacekeepers?"


@pytest.fixture(scope="module")
def tight(seed_index_dir: Path) -> str:
    """A server with one slot and a queue of one."""
    with run_server(seed_index_dir, env={"QA_API_KEY": "", "QA_MAX_CONCURRENT": "1", "QA_MAX_QUEUE": "1"}) as base:
        yield base


async def burst(base: str, n: int, path: str, body: dict) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        return list(await asyncio.gather(*[c.post(path, json=body) for _ in range(n)]))


def test_overload_is_refused_with_503_and_retry_after(tight: str) -> None:
    rs = asyncio.run(burst(tight, 10, "/ask", {"question": PEACEKEEPERS}))
    ok = [r for r in rs if r.status_code == 200]
    refused = [r for r in rs if r.status_code == 503]
    assert len(ok) + len(refused) == 10 and len(ok) >= 2 and len(refused) >= 5
    for r in refused:
        assert int(r.headers["retry-after"]) >= 1
        assert "busy" in r.json()["detail"]
    assert all(r.json()["items"] for r in ok)
    chat = {"model": "articleqa", "messages": [{"role": "user", "content": PEACEKEEPERS}]}
    rs = asyncio.run(burst(tight, 10, "/v1/chat/completions", chat))
    refused = [r for r in rs if r.status_code == 503]
    assert refused and all(r.json()["error"]["code"] == "overloaded" and r.headers["retry-after"] for r in refused)
    metrics = httpx.get(tight + "/metrics").text
    assert re.search(r'articleqa_refused_total\{reason="queue_full"\} [1-9]', metrics)
    assert re.search(r'articleqa_requests_total\{method="POST",route="/ask",status="503"\} [1-9]', metrics)
    assert "articleqa_queue_depth 0.0" in metrics and "articleqa_model_work_in_flight 0.0" in metrics
    assert 'articleqa_request_seconds_bucket{le="0.5",method="POST",route="/ask"}' in metrics
    assert httpx.post(tight + "/ask", json={"question": PEACEKEEPERS}, timeout=60).status_code == 200  # recovered


def test_long_questions_never_crash(server: str, seed_index_dir: Path) -> None:
    long_q = ("Which of the European countries mentioned in the article, " * 20)[:990] + "?"
    r = httpx.post(server + "/ask", json={"question": long_q, "top_k": 3}, timeout=120)
    assert r.status_code == 200, r.text
    chat = {"model": "articleqa", "messages": [{"role": "user", "content": long_q}]}
    r = httpx.post(server + "/v1/chat/completions", json=chat, timeout=120)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
    with httpx.stream("POST", server + "/v1/chat/completions", json={**chat, "stream": True}, timeout=120) as r:
        lines = [line for line in r.iter_lines() if line]
    assert r.status_code == 200 and lines[-1] == "data: [DONE]"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", long_q, "--index", str(seed_index_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0 and "Traceback" not in out.stderr and out.stdout.startswith("Q: ")


def test_a_question_longer_than_the_reader_reads_is_cut_and_says_so(server: str) -> None:
    cut = "Which countries, " + "zq9xv kw7jh " * 78 + "are ready to send peacekeepers?"
    assert len(cut) <= 1000
    r = httpx.post(server + "/ask", json={"question": cut}, timeout=120)
    assert r.status_code == 200, r.text
    notes = r.json()["notes"]
    assert any(re.fullmatch(r"the question is \d+ word pieces long: the reader read its first \d+", n) for n in notes)
    short = httpx.post(server + "/ask", json={"question": "Who is the Belgian Prime Minister?"}, timeout=120)
    assert short.json()["notes"] == []
    chat = {"model": "articleqa", "messages": [{"role": "user", "content": cut}]}
    r = httpx.post(server + "/v1/chat/completions", json=chat, timeout=120)
    assert "_Note: the question is" in r.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    ("history", "fragment"),
    [
        ([{"role": "user", "content": "Who?"}] * 51, "at most 50"),
        ([{"role": "user", "content": "x" * 30_000}, {"role": "assistant", "content": "y" * 30_000}], "50000"),
        ([{"role": "robot", "content": "x"}], "history.0.role"),
        ([{"role": "user"}], "history.0.content"),
    ],
)
def test_history_limits(server: str, history: list, fragment: str) -> None:
    r = httpx.post(server + "/ask", json={"question": "And Sweden?", "history": history}, timeout=60)
    assert r.status_code == 422 and fragment in r.json()["detail"], r.text


def test_a_long_chat_keeps_its_recent_context(server: str) -> None:
    messages = [{"role": "user", "content": "Who is Steve Witkoff?"}, {"role": "assistant", "content": "An envoy."}]
    messages = messages * 40 + [{"role": "user", "content": PEACEKEEPERS}]
    r = httpx.post(server + "/v1/chat/completions", json={"model": "articleqa", "messages": messages}, timeout=120)
    assert r.status_code == 200 and "Ireland" in r.json()["choices"][0]["message"]["content"]


def test_whole_number_floats_and_allowed_methods(server: str) -> None:
    r = httpx.post(server + "/ask", json={"question": PEACEKEEPERS, "top_k": 41.0}, timeout=60)
    assert r.status_code == 200
    r = httpx.request("PUT", server + "/documents")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST" and r.json()["detail"]
    r = httpx.request("PATCH", server + "/documents/abc")
    assert r.status_code == 405 and r.headers["allow"] == "DELETE, GET"


def test_health_tells_counts_only_to_callers_with_the_key(seed_index_dir: Path) -> None:
    with run_server(seed_index_dir, env={"QA_API_KEY": "sesame"}) as base:
        from qa.version import package_version

        anonymous = httpx.get(base + "/health").json()  # versions only: no counts without the key
        assert anonymous == {"status": "ok", "ready": True, "version": package_version(),
                             "reader_version": "minilm-l6-chunk16 + mpnet-chunk5"}  # fmt: skip
        body = httpx.get(base + "/health", headers={"Authorization": "Bearer sesame"}).json()
        assert body["ready"] and body["documents"] == 1 and body["passages"] >= 3
        assert httpx.get(base + "/metrics").status_code == 401


def test_openapi_defines_every_schema_it_references(server: str) -> None:
    spec = httpx.get(server + "/openapi.json").json()
    text = json.dumps(spec)
    assert "$defs" not in text
    refs = set(re.findall(r"#/components/schemas/([\w.-]+)", text))
    assert refs and refs <= set(spec["components"]["schemas"])
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "500"} <= codes, (method, path)
            if "422" in codes:
                assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
                    "/ErrorBody" if not path.startswith("/v1/") else "/OpenAIError"
                )
    assert spec["components"]["schemas"]["AskRequest"]["properties"]["top_k"]["maximum"] == 50


def test_access_log_is_one_json_line_per_request(seed_index_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index_dir, index)
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(index), "QA_API_KEY": "", "OMP_NUM_THREADS": "1"}
    log = tmp_path / "stderr.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 120
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.time() < deadline and proc.poll() is None
                time.sleep(0.3)
            httpx.post(base + "/ask", json={"question": "Who is Steve Witkoff?"}, timeout=60)
            httpx.get(base + "/documents/nope")
        finally:
            stop_process(proc)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    by_route = {(r["method"], r["route"], r["status"]) for r in records}
    assert ("POST", "/ask", 200) in by_route and ("GET", "/documents/{doc_id}", 404) in by_route
    assert all({"ts", "method", "route", "path", "status", "ms", "client"} <= set(r) for r in records)
