"""Lists at scale (B8): the prompt list, the logs page and the analytics page at 10,000 prompts
and 1,000,000 logged completions: query count and server time of page 1 and page 100.

Fills a scratch PostgreSQL database (PROMPTOPS_BENCH_DATABASE_URL; skipped without one): the
prompts (each with one version and a production label; 100 of them in 10 top-level folders, which
the list's first page shows above the prompts) with bulk_create, the completions with
bench_analytics' single INSERT ... SELECT, the rollups brought up to date. The pages are
requested through Django's test client as the workspace's owner (the whole middleware stack and
template rendering, no network), in five rounds of first page then deep page (interleaved, so
a burst of load on this shared machine hits both): the best time and the query count of each.
The database is vacuumed and analysed after the fill, as autovacuum would have done by the time
anyone pages through it (otherwise it starts on the fresh rows in the middle of the timings).
Runs in a child process so the scratch database never meets the configured one.
Deep pages are keyset pages: the prompt list's page 100 is where its old `?page=100` link
redirects (the cursor after the 2,475th prompt by name), the log's is `?before=` the 4,950th id.
Goal: the same query count on page 1 and page 100, and page 100 within 1.5 x page 1's time.
PROMPTOPS_BENCH_LIST_PROMPTS and PROMPTOPS_BENCH_LIST_COMPLETIONS change the sizes.
"""

import os
import sys
import time

from bench import harness

PROMPTS = int(os.environ.get("PROMPTOPS_BENCH_LIST_PROMPTS", "10000"))
COMPLETIONS = int(os.environ.get("PROMPTOPS_BENCH_LIST_COMPLETIONS", "1000000"))


def run():
    url = os.environ.get("PROMPTOPS_BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield "B8 skipped: set PROMPTOPS_BENCH_DATABASE_URL to a scratch PostgreSQL database"
        return
    yield f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
    # No collectstatic manifest is needed to render the pages.
    child = harness.django_child("bench.bench_lists", url, PROMPTOPS_PLAIN_STATIC="1")
    if child.returncode:
        yield f"B8 failed: {child.stderr.strip().splitlines()[-3:]}"
        return
    yield from child.stdout.splitlines()
    yield f"load average at the end {os.getloadavg()[0]:.1f}"


def _measure(client, paths: tuple[str, str], rounds: int = 5) -> list[tuple[float, int, int]]:
    """(best time, queries, HTTP status) of each path, requested in turn `rounds` times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = [(float("inf"), 0, 0) for _ in paths]
    for _ in range(rounds):
        for n, path in enumerate(paths):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
            results[n] = (min(results[n][0], elapsed), len(captured), response.status_code)
    return results


def child() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench.bench_analytics import _fill
    from bench.harness import record
    from gateway.analytics.models import CompletionRollup, RollupProgress
    from gateway.analytics.rollups import floor_hour, rollup_pending
    from gateway.logs.query import PAGE_SIZE
    from gateway.models import Completion
    from promptregistry.models import Folder, Label, Prompt, PromptVersion
    from workspaces.models import Membership, Workspace

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("setup_demo", verbosity=0)
    workspace = Workspace.objects.get(slug="demo")
    owner = Membership.objects.filter(workspace=workspace, role="owner").first().user
    Completion.objects.all().delete()
    CompletionRollup.objects.all().delete()
    RollupProgress.objects.all().delete()
    Prompt.objects.filter(workspace=workspace, name__startswith="bench-").delete()
    Folder.objects.filter(workspace=workspace, path__startswith="bench-").delete()

    started = time.perf_counter()
    folders = Folder.objects.bulk_create(
        Folder(workspace=workspace, name=f"bench-folder-{n}", path=f"bench-folder-{n}")
        for n in range(10)
    )

    def folder_of(i: int):
        return folders[i // 10] if i < 100 else None

    prompts = Prompt.objects.bulk_create(
        Prompt(
            workspace=workspace,
            folder=folder_of(i),
            name=f"{folder_of(i).path}/bench-{i:05d}" if folder_of(i) else f"bench-{i:05d}",
            type=Prompt.Type.TEXT,
            description=f"Benchmark prompt {i}",
            search_text=f"bench-{i:05d}",
            latest_version_number=1,
        )
        for i in range(PROMPTS)
    )
    versions = PromptVersion.objects.bulk_create(
        PromptVersion(prompt=p, number=1, content={"text": "Hello {{name}}"}) for p in prompts
    )
    Label.objects.bulk_create(
        Label(prompt=v.prompt, name="production", version=v) for v in versions
    )
    print(f"{PROMPTS:,} prompts written in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    _fill(workspace.pk, COMPLETIONS)
    now = floor_hour(django.utils.timezone.now())
    while (done := rollup_pending()) and done[1] < now:
        pass
    print(
        f"{COMPLETIONS:,} completions and their rollups written in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:  # autocommit: VACUUM can't run inside a transaction
        cursor.execute("VACUUM (ANALYZE)")

    client = Client(SERVER_NAME="localhost")
    client.force_login(owner)
    base = f"/w/{workspace.slug}"
    ids = (
        Completion.objects.filter(workspace=workspace).order_by("-id").values_list("id", flat=True)
    )
    deep_cursor = ids[99 * PAGE_SIZE - 1]
    deep_prompts = client.get(f"{base}/prompts/?page=100")["Location"]  # ?after=<a cursor>
    pages = {
        "prompt list": (f"{base}/prompts/", deep_prompts),
        "logs": (f"{base}/logs/", f"{base}/logs/?before={deep_cursor}"),
        "analytics (7 days / 30 days)": (f"{base}/analytics/", f"{base}/analytics/?range=30d"),
    }
    results = {}
    for name, (first, deep) in pages.items():
        (t1, q1, s1), (t100, q100, s100) = _measure(client, (first, deep))
        ok = q1 == q100 and s1 == s100 == 200
        if name.startswith("analytics"):  # no pages: a longer range must not add queries
            goal = "same queries for 30 days as for 7"
        else:
            ok = ok and t100 <= 1.5 * t1
            goal = "same queries, page 100 <= 1.5 x page 1"
        results[name] = {"page1_ms": t1 * 1e3, "page100_ms": t100 * 1e3, "q1": q1, "q100": q100}
        print(
            f"B8 {name}: first {t1 * 1e3:.0f} ms, {q1} queries (HTTP {s1}); deep "
            f"{t100 * 1e3:.0f} ms, {q100} queries (HTTP {s100}): "
            f"{'met' if ok else 'NOT met'} ({goal})"
        )
    record("lists", results | {"prompts": PROMPTS, "completions": COMPLETIONS})
    Completion.objects.all().delete()
    CompletionRollup.objects.all().delete()
    RollupProgress.objects.all().delete()


if __name__ == "__main__" and "--child" in sys.argv:
    child()
