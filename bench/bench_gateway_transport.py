"""The provider client's HTTP transport: the openai SDK on aiohttp vs on httpx, 64 in flight.

Both run the same AsyncOpenAI calls (non-streamed and streamed) against the local demo model
server in its own process, for a few seconds each; reported: calls per second and the client
process's CPU per call (what the gateway's web worker pays). The gateway uses the faster one
(gateway/completion/clients.py).
"""

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import openai

ROOT = Path(__file__).resolve().parent.parent
IN_FLIGHT = 64
SECONDS = 4.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _drive(client: openai.AsyncOpenAI, stream: bool) -> tuple[int, float, float]:
    done = 0
    deadline = time.monotonic() + SECONDS
    messages = [{"role": "user", "content": "How fast is this?"}]

    async def worker():
        nonlocal done
        while time.monotonic() < deadline:
            if stream:
                response = await client.chat.completions.create(
                    model="local-demo", messages=messages, stream=True
                )
                async for _chunk in response:
                    pass
            else:
                await client.chat.completions.create(model="local-demo", messages=messages)
            done += 1

    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return done, time.monotonic() - wall, time.process_time() - cpu


def _measure(base_url: str, transport: str, stream: bool) -> tuple[float, float]:
    async def go():
        if transport == "aiohttp":
            http_client = openai.DefaultAioHttpClient()
        else:
            limits = httpx2.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
            http_client = openai.DefaultAsyncHttpxClient(limits=limits)
        client = openai.AsyncOpenAI(
            base_url=base_url, api_key="x", max_retries=0, http_client=http_client
        )
        try:
            return await _drive(client, stream)
        finally:
            await client.close()

    done, wall, cpu = asyncio.run(go())
    return done / wall, cpu / max(done, 1) * 1000


def run() -> list[str]:
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one INFO line per request
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "demo_model_server", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(100):
            try:
                if httpx2.get(base_url.replace("/v1", "/health"), timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.1)
        lines = []
        for stream in (False, True):
            results = {t: _measure(base_url, t, stream) for t in ("aiohttp", "httpx")}
            (a_rate, a_cpu), (h_rate, h_cpu) = results["aiohttp"], results["httpx"]
            mode = "streamed" if stream else "whole"
            lines.append(
                f"{mode:8} aiohttp {a_rate:7.0f} calls/s {a_cpu:5.2f} ms CPU/call | "
                f"httpx {h_rate:7.0f} calls/s {h_cpu:5.2f} ms CPU/call | "
                f"aiohttp/httpx rate {a_rate / max(h_rate, 1e-9):.2f}x"
            )
        return lines
    finally:
        server.terminate()
        server.wait(timeout=10)
