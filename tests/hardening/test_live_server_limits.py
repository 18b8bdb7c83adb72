"""Issue 7's done criterion on a real server: the production web command (granian, one worker),
hostile templates and snippet fan-out sent over HTTP. Each is refused with a 4xx, the server's
memory grows by less than 150 MB, and /healthz keeps answering meanwhile.

Memory is read from /proc: VmHWM (the peak resident size) of the server's processes after the
attack, against their resident size before it. Before the fixes each of these requests took
the server process to 200 MB .. 2.8 GB."""

import os
import threading
from pathlib import Path

import httpx
import pytest

from tests.config.test_web_server import _manage, _start, _stop

MB = 1024 * 1024
HOSTILE_RENDERS = [
    ("jinja2", "{{ '{x:{w}}'.format_map({'x': 'a', 'w': 900000000}) }}", {}),
    ("jinja2", "{{ '{0:{1[0]}}'.format('a', [900000000]) }}", {}),
    ("jinja2", "{{ ('\\t' * 100000).expandtabs(9000) }}", {}),
    ("jinja2", "{{ ('a' * 100000).translate({97: 'b' * 9000}) }}", {}),
    ("jinja2", "{{ ('a\\n' * 100000)|indent(9000) }}", {}),
    ("jinja2", "{{ ['x'] | map('center', 900000000) | join }}", {}),
    ("jinja2", "{{ '%(a)s' % {'a': 'x' * 1000} * 1000000 }}", {}),
    ("mustache", "{{doc}}" * 1000, {"doc": "y" * 100_000}),
]

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


def _server_pids(process) -> list[int]:
    """The server and its worker processes (one process group: start_new_session)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == process.pid:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "PROMPTOPS_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "PROMPTOPS_PLAIN_STATIC": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "setup_demo")
    _, secret = _manage(
        env, "create_api_key", "--workspace", "demo", "--name", "attacker", "--role", "admin"
    ).split()
    base, process = _start(env, workers=1)
    yield base, {"Authorization": f"Bearer {secret}"}, process, env
    _stop(process)


def test_hostile_templates_and_fan_out_are_refused_in_bounded_memory(server):
    base, auth, process, env = server
    client = httpx.Client(base_url=base, headers=auth, timeout=60)
    for index, (fmt, text, _) in enumerate(HOSTILE_RENDERS):
        created = client.post(
            "/api/v1/prompts",
            json={
                "name": f"hostile-{index}",
                "type": "text",
                "template_format": fmt,
                "content": {"text": text},
            },
        )
        assert created.status_code == 201, created.text
    big = client.post(
        "/api/v1/prompts",
        json={"name": "big", "kind": "snippet", "type": "text", "content": {"text": "x" * 100_000}},
    )
    assert big.status_code == 201, big.text
    client.get("/healthz")
    baseline = {pid: _status_kb(pid, "VmRSS") for pid in _server_pids(process)}

    health: list[int | str] = []
    attacking = threading.Event()
    attacking.set()
    probing = threading.Event()

    def keep_asking_healthz():
        with httpx.Client(base_url=base, timeout=60) as probe:
            while attacking.is_set():
                try:
                    health.append(probe.get("/healthz").status_code)
                except httpx.HTTPError as error:
                    health.append(repr(error))
                probing.set()

    prober = threading.Thread(target=keep_asking_healthz, daemon=True)
    prober.start()
    # The attack starts once the prober is asking (a busy machine may start its thread late).
    assert probing.wait(60), "the /healthz prober never got an answer"
    try:
        answers = [
            client.post(
                f"/api/v1/prompts/hostile-{index}/render",
                json={"variables": values, "label": "latest"},
            )
            for index, (_, _, values) in enumerate(HOSTILE_RENDERS)
        ]
        fan_out = client.post(
            "/api/v1/prompts",
            json={
                "name": "mid",
                "kind": "snippet",
                "type": "text",
                "content": {"text": "{{> big}}" * 100},
            },
        )
    finally:
        attacking.clear()
        prober.join(60)

    for answer in answers:
        assert answer.status_code == 422, answer.text[:300]
        assert answer.json()["error"]["code"] == "template_error"
    assert fan_out.status_code == 400
    assert "big" in fan_out.json()["error"]["message"]
    growth = max((_status_kb(pid, "VmHWM") - rss) * 1024 for pid, rss in baseline.items() if rss)
    assert growth < 150 * MB, f"the server grew by {growth / MB:.0f} MB"
    assert health and set(health) == {200}
