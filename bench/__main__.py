"""`make bench`: run every bench/bench_*.py module's run() and print its results.

Each module also merges its figures into bench/results/latest.json (ignored by git; the table
worth keeping goes to bench/README.md).

Each benchmark measures PromptOps against a peer in the same run and reports the ratio, so
results compare across machines; nothing here is a pass/fail test.
"""

import importlib
import os
import sys
from pathlib import Path

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # `make bench B=gateway` and `python -m bench bench_gateway` both name bench_gateway.py.
    only = [name if name.startswith("bench_") else f"bench_{name}" for name in sys.argv[1:]]
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        if only and path.stem not in only:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        print(f"== {path.stem}: {module.__doc__.strip().splitlines()[0]}")
        for line in module.run():
            print(f"   {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
