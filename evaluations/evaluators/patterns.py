"""A workspace's regular expressions (regex evaluators, JSON Schema `pattern`s) are matched in a
helper process, with a time limit.

Python's `re` holds the GIL while it matches, and a pattern that backtracks (`(a+)+$` on
"aaaa…!") can match for hours: on Celery's threads pool (docs/operators.md) that would stop
every thread of the worker, its event loop and its heartbeat, and Celery enforces no time limit
there. So each thread that scores keeps one small helper process (plain Python, `re` and `json`
only) and waits for its answer without holding the GIL; a match past LIMIT_SECONDS kills the
helper (the next match starts another) and raises PatternTimeout, which the evaluator reports
as its error.
"""

import json
import os
import select
import subprocess
import sys
import threading
import time

LIMIT_SECONDS = 5.0

_HELPER = r"""
import json, re, sys
for line in sys.stdin:
    pattern, flags, text, full = json.loads(line)
    try:
        compiled = re.compile(pattern, flags)
        found = compiled.fullmatch(text) if full else compiled.search(text)
        answer = [found.start() if found else None, ""]
    except Exception as error:
        answer = [None, f"{type(error).__name__}: {error}"]
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""


class PatternTimeout(Exception):
    pass


class _Helper:
    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-I", "-S", "-c", _HELPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.buffer = b""

    def ask(self, question: list, limit: float) -> list:
        self.process.stdin.write(json.dumps(question).encode() + b"\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + limit
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                raise OSError("The pattern helper exited.")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


_helpers = threading.local()


def match_start(pattern: str, text: str, *, flags: int = 0, full: bool = False) -> int | None:
    """Where `pattern` matches `text` (anywhere, or the whole of it when `full`), or None.
    Raises PatternTimeout past LIMIT_SECONDS, ValueError for a pattern `re` refuses."""
    helper = getattr(_helpers, "helper", None)
    if helper is None or helper.process.poll() is not None:
        helper = _helpers.helper = _Helper()
    try:
        start, error = helper.ask([pattern, flags, text, full], LIMIT_SECONDS)
    except (OSError, ValueError) as failure:  # TimeoutError is an OSError
        helper.close()
        _helpers.helper = None
        if isinstance(failure, TimeoutError):
            raise PatternTimeout(
                f"/{pattern}/ took longer than {LIMIT_SECONDS:g} s to match this output."
            ) from None
        raise
    if error:
        raise ValueError(error)
    return start
