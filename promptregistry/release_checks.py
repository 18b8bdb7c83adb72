"""Checks other apps add to label moves, without the registry importing them.

Apps depend one way (evaluations -> promptregistry), so the label services can't ask the
evaluations app whether a version passed its evaluation. Instead an app registers a check from
its AppConfig.ready(), and `label_move` runs every check inside its transaction before moving:

    # evaluations/apps.py
    def ready(self):
        from promptregistry.release_checks import register_release_check
        register_release_check(gate.production_needs_passing_run)

A check is `check(principal, prompt, label_name, version) -> None` and refuses the move by
raising ValidationError (shown next to the version field, like the registry's own checks).
"""

from collections.abc import Callable

ReleaseCheck = Callable[..., None]
RELEASE_CHECKS: list[ReleaseCheck] = []


def register_release_check(check: ReleaseCheck) -> None:
    if check not in RELEASE_CHECKS:
        RELEASE_CHECKS.append(check)


def run_release_checks(principal, prompt, name: str, version) -> None:
    for check in RELEASE_CHECKS:
        check(principal, prompt, name, version)
