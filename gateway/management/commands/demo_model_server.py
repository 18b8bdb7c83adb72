"""Run the "Local demo model": the fake OpenAI/Anthropic server, in the foreground."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gateway.fake_llm import FakeLLMServer


class Command(BaseCommand):
    help = (
        "Serve the local demo model (a deterministic echo speaking the OpenAI and Anthropic "
        "APIs, not an LLM) until Ctrl-C / SIGTERM."
    )
    # It needs neither URLs nor the database, so it starts even while those are broken.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1)."
        )
        parser.add_argument("--port", type=int, default=8001, help="Port (default 8001, 0 = any).")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            stop.set()

        # Both signals end the wait below, so shutdown always runs through server.stop().
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        server = FakeLLMServer(host=options["host"], port=options["port"]).start()
        self.stdout.write(
            f"Local demo model (deterministic echo, not an LLM) listening on {server.base_url} "
            f"(OpenAI base URL {server.openai_base_url}); Ctrl-C to stop."
        )
        self.stdout.flush()
        try:
            # A timeout keeps the main thread responsive to signals on every platform.
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
        self.stdout.write("Local demo model stopped.")
