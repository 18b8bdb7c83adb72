"""The benchmarks' fake OpenAI-compatible provider: aiohttp, one process, fixed delays.

`python -m bench.fake_provider --port P --delay 0.02`: POST /v1/chat/completions answers after
`--delay` seconds; with "stream": true the first chunk comes after the delay and the rest follow
every `--pace` seconds: `--chunks` of them, or the request's `max_tokens` (one word a chunk, as a
model that stops at its limit), so B3 can ask for long streams. GET /health and GET /v1/models
answer at once. A stream's chunks are encoded once per process (by model and word), not once
per chunk: at a thousand streams this process must stay cheap next to the gateway it feeds.

The demo model server (gateway/fake_llm, Python threads) tops out at a few hundred calls a
second on this machine, so at the rates B1-B3 reach it would be the bottleneck for both sides;
this one serves thousands of concurrent calls on one event loop, and the same instance serves
the direct calls, PromptOps and LiteLLM in one run.
"""

import argparse
import asyncio
import json
import time

from aiohttp import web

ANSWER = "This is the fake provider's answer, word by word, for the benchmarks."
WORDS = ANSWER.split()


def _usage() -> dict:
    return {"prompt_tokens": 40, "completion_tokens": 16, "total_tokens": 56}


def _completion(model: str) -> dict:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(),
    }


def _chunk(model: str, delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def make_app(delay: float, chunks: int, pace: float) -> web.Application:
    encoded: dict[tuple, bytes] = {}

    def chunk(model: str, i: int) -> bytes:
        """The i-th chunk's bytes (its word is i modulo the answer's words), made once."""
        key = (model, i % len(WORDS), i == 0)
        found = encoded.get(key)
        if found is None:
            delta = {"content": WORDS[key[1]] + " "}
            if i == 0:
                delta["role"] = "assistant"
            found = encoded[key] = _chunk(model, delta)
        return found

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = body.get("model", "local-demo")
        await asyncio.sleep(delay)
        if not body.get("stream"):
            return web.json_response(_completion(model))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        length = body.get("max_tokens") or chunks
        loop = asyncio.get_running_loop()
        began = loop.time()
        for i in range(length):
            if i:  # on a fixed schedule: a late chunk doesn't push back the ones after it
                await asyncio.sleep(began + i * pace - loop.time())
            await response.write(chunk(model, i))
        usage = _usage() if (body.get("stream_options") or {}).get("include_usage") else None
        await response.write(_chunk(model, {}, "stop", usage) + b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "local-demo"}]})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/health", health)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--pace", type=float, default=0.1)
    args = parser.parse_args()
    app = make_app(args.delay, args.chunks, args.pace)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None, backlog=4096)


if __name__ == "__main__":
    main()
