"""The URL walk: visit every URL pattern of a URLconf as each persona and report what leaks.

walk_routes(urlconf) lists the patterns (through includes, the django-ninja API and the admin);
Walker(world, urlconf).check(route) requests one route as an anonymous visitor, an outsider
(owner of another workspace), a viewer, an owner, API keys and an operator, and returns
Findings: every answer that is a 5xx or breaks the expectation of its kind of route.

    anonymous          HTML: 302 to sign-in with ?next=; API: 401 JSON; admin: 302 to its login
    outsider           404 for every accepted method, plain and htmx, for acme's URL and for
                       acme's objects under the outsider's own slug
    viewer             403 for every accepted write, plain and htmx (unless VIEWER_WRITES)
    owner              the sample URL works (not 401/403/404): proves the 404s above are real
    API keys           a viewer key gets 403 JSON on writes; another workspace's key 404 JSON
    operator           the operator console's pages render

Every request it expects refused (the anonymous visitor's, the outsider's, a viewer's writes,
a browser session's or the wrong key's API calls, a non-staff visit to the console) must also
leave the database as it was: WatchedRows reads every row of the project's tables before and
after, and a new, deleted or changed row is a finding ("expected nothing written").

The tables it relies on (samples, public routes, ...) live in url_samples.py.
"""

import functools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from . import url_samples as declared
from .url_samples import SampleSource, Tenant, World

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITES = frozenset(METHODS) - {"GET"}
HTML, API, ADMIN = "html", "api", "admin"
# reverse()'s quoting: RFC 3986 sub-delimiters plus the characters a path may hold as they are.
_SAFE = "!$&'()*+,;=" + "/~:@"


@dataclass(frozen=True)
class Route:
    id: str  # the namespaced name ("workspaces:member-role"), or the pattern when unnamed
    pattern: str  # "w/<slug:slug>/members/<int:membership_id>/role/"
    regex: str  # the full regular expression, includes joined
    converters: dict
    callback: Any
    kind: str  # HTML, API or ADMIN

    @property
    def kwarg_names(self) -> tuple[str, ...]:
        return tuple(re.compile(self.regex).groupindex)

    def __str__(self) -> str:
        return self.id


def _kind(pattern: str, callback: Any) -> str:
    view = callback.func if isinstance(callback, functools.partial) else callback
    module = getattr(view, "__module__", "") or ""
    if pattern.startswith(declared.API_PREFIXES) or module.startswith("ninja."):
        return API
    if pattern.startswith(declared.ADMIN_PREFIXES):
        return ADMIN
    return HTML


def walk_routes(urlconf: str | None = None) -> list[Route]:
    """Every reachable URL pattern of the URLconf; one shadowed by an identical pattern is not."""
    routes: dict[str, Route] = {}

    def visit(resolver: URLResolver, pattern: str, regex: str, converters: dict, ns: list[str]):
        for entry in resolver.url_patterns:
            entry_pattern = pattern + str(entry.pattern).removeprefix("^")
            entry_regex = regex + entry.pattern.regex.pattern.removeprefix("^")
            entry_converters = {**converters, **entry.pattern.converters}
            if isinstance(entry, URLResolver):
                namespaces = [*ns, entry.namespace] if entry.namespace else ns
                visit(entry, entry_pattern, entry_regex, entry_converters, namespaces)
            elif isinstance(entry, URLPattern) and entry_regex not in routes:
                name = ":".join([*ns, entry.name]) if entry.name else None
                routes[entry_regex] = Route(
                    id=name or entry_pattern,
                    pattern=entry_pattern,
                    regex="^" + entry_regex,
                    converters=entry_converters,
                    callback=entry.callback,
                    kind=_kind(entry_pattern, entry.callback),
                )

    visit(get_resolver(urlconf), "", "", {}, [])
    return list(routes.values())


class SampleError(Exception):
    pass


def build_url(route: Route, values: dict[str, Any], urlconf: str | None = None) -> str:
    """The URL of the route with these kwargs, checked to resolve back to the same view."""
    problem = f"no way to build the URL from kwargs {sorted(values)}"
    for template, params in normalize(route.regex):
        if set(params) != set(values):
            continue
        try:
            text = template % {
                name: route.converters[name].to_url(value) if name in route.converters else value
                for name, value in values.items()
            }
        except ValueError as error:
            problem = f"a sample doesn't fit its converter: {error}"
            continue
        url = "/" + quote(text, safe=_SAFE)
        try:
            match = resolve(unquote(url), urlconf)
        except Resolver404:
            match = None
        if match is not None and match.func is route.callback:
            return url
        found = match.route if match else "nothing"
        problem = f"the sample URL {url} resolves to {found}, not to this route"
    raise SampleError(problem)


@dataclass(frozen=True)
class Finding:
    route: str
    check: str  # "sample", "classify", "anonymous", "outsider", "outsider-own-slug", ...
    expected: str
    got: str
    method: str = ""
    url: str = ""
    htmx: bool = False
    server_error: bool = False

    def __str__(self) -> str:
        request = f" {self.method} {self.url}{' (htmx)' if self.htmx else ''}" if self.url else ""
        return f"{self.route} [{self.check}]{request}: expected {self.expected}, got {self.got}"


@dataclass
class Answer:
    status: int
    location: str = ""
    json: Any = None
    error: str = ""
    reported: bool = False  # a 5xx, already a finding

    def __str__(self) -> str:
        text = str(self.status)
        if self.location:
            text += f" -> {self.location}"
        if self.json is not None:
            text += f" {json.dumps(self.json)[:200]}"
        if self.error:
            text += f" ({self.error})"
        return text


# --- what a refused request must not write ----------------------------------------------------


def _is_ours(app_path: str) -> bool:
    path = Path(app_path).resolve()
    inside = path.is_relative_to(Path(settings.BASE_DIR).resolve())
    installed = path.is_relative_to(Path(sys.prefix).resolve()) or "site-packages" in path.parts
    return inside and not installed


def watched_models() -> list[type[Model]]:
    """The project's models (apps inside the repository, outside the virtualenv) and those of
    url_samples.WATCHED_APPS, many-to-many tables included, minus the tables declared in
    url_samples.WRITTEN_WHEN_REFUSED."""
    models: dict[str, type[Model]] = {}
    for config in apps.get_app_configs():
        if not (_is_ours(config.path) or config.label in declared.WATCHED_APPS):
            continue
        for model in config.get_models(include_auto_created=True):
            meta = model._meta
            if meta.managed and not meta.proxy and meta.label not in declared.WRITTEN_WHEN_REFUSED:
                models.setdefault(meta.db_table, model)
    return list(models.values())


class WatchedRows:
    """Every row of the watched tables, read in one query: the walk's world holds about fifty
    rows, so a read costs about a millisecond, and the walk reads once per refused request
    (the rows after one refused request are the rows before the next)."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using
        quote_name = connections[using].ops.quote_name
        self.fields: dict[str, list[str]] = {}  # "app.Model" -> the field names read, pk first
        self.keyed: dict[str, bool] = {}  # "app.Model" -> whether the first field is its pk
        selects = []
        for model in watched_models():
            meta = model._meta
            fields = [
                field
                for field in meta.concrete_fields
                if field.column
                and f"{meta.label}.{field.name}" not in declared.WRITTEN_WHEN_REFUSED
            ]
            fields.sort(key=lambda field: not field.primary_key)
            self.fields[meta.label] = [field.name for field in fields]
            self.keyed[meta.label] = fields[0].primary_key
            columns = [f"CAST({quote_name(field.column)} AS TEXT)" for field in fields]
            selects.append((meta.label, quote_name(meta.db_table), columns))
        width = max(len(columns) for _, _, columns in selects)
        padded = [
            (table, columns + ["CAST(NULL AS TEXT)"] * (width - len(columns)))
            for _, table, columns in selects
        ]
        # Table and column names come from the models, quoted; the labels travel as parameters.
        self.sql = " UNION ALL ".join(
            f"SELECT %s, {', '.join(columns)} FROM {table}"  # noqa: S608
            for table, columns in padded
        )
        self.params = [label for label, _, _ in selects]

    def read(self) -> dict[str, dict[Any, tuple]]:
        """By model label, {pk: the row's values} (the whole row stands in for a composite pk)."""
        tables: dict[str, dict[Any, tuple]] = {label: {} for label in self.fields}
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            for label, *values in cursor.fetchall():
                row = tuple(values[: len(self.fields[label])])
                tables[label][row[0] if self.keyed[label] else row] = row
        return tables

    def changes(self, before: dict, after: dict) -> str:
        """What changed, table by table: "workspaces.Workspace: 1 changed (name)"."""
        said = []
        for label, old in before.items():
            new = after[label]
            if old == new:
                continue
            changed = [pk for pk in old.keys() & new.keys() if old[pk] != new[pk]]
            fields = {
                name
                for pk in changed
                for name, was, now in zip(self.fields[label], old[pk], new[pk], strict=True)
                if was != now
            }
            counts = [
                (len(new.keys() - old.keys()), "new"),
                (len(old.keys() - new.keys()), "deleted"),
                (len(changed), f"changed ({', '.join(sorted(fields))})"),
            ]
            said.append(f"{label}: " + ", ".join(f"{n} {what}" for n, what in counts if n))
        return "; ".join(said)


@functools.cache
def _watched_rows() -> WatchedRows:
    return WatchedRows()


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.EmailBackend")
    return client


@dataclass
class Walker:
    """Checks routes of `urlconf`, which must be the URLconf the test client serves."""

    world: World
    urlconf: str | None = None
    findings: list[Finding] = field(default_factory=list)
    # The watched rows as the last refused request left them; None once anything else (an
    # allowed request, a sample builder) may have written.
    _rows: dict | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.watched = _watched_rows()
        self.anonymous = Client()
        self.probe = _client_for(self.world.pat)
        self.outsider = _client_for(self.world.globex.owner)
        self.viewer = _client_for(self.world.acme.viewer)
        self.owner = _client_for(self.world.acme.owner)
        self.operator = _client_for(self.world.operator)

    # --- requests and expectations -------------------------------------------------------------

    def send(
        self,
        route: Route,
        check: str,
        client: Client,
        method: str,
        url: str,
        *,
        htmx: bool = False,
        secret: str | None = None,
        refused: bool = False,
    ) -> Answer:
        """Send one request; `refused`: the walk expects it refused, so it must write nothing."""
        headers = {"HX-Request": "true"} if htmx else {}
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        data = ""
        if route.kind == API and method in WRITES:
            body = declared.API_BODIES.get(route.id)
            if body:
                self._rows = None  # the body's builder may make sample objects
            data = json.dumps(body(self._source(route)) if body else {})
        if refused and self._rows is None:
            self._rows = self.watched.read()
        before, self._rows = self._rows, None
        try:
            if route.kind == API:
                response = client.generic(
                    method,
                    url,
                    data=data,
                    content_type="application/json",
                    headers=headers,
                )
            elif method == "POST":
                response = client.post(url, {}, headers=headers)
            else:
                response = client.generic(method, url, headers=headers)
        except Exception as error:  # the test client re-raises what the view raised
            answer = Answer(500, error=f"{type(error).__name__}: {error}")
        else:
            answer = Answer(response.status_code, location=response.get("Location", ""))
            if response.get("Content-Type", "").startswith("application/json"):
                try:
                    answer.json = json.loads(response.content)
                except ValueError:
                    answer.json = None
        allowed_503 = answer.status == 503 and route.id in declared.MAY_ANSWER_503
        if answer.status >= 500 and not allowed_503:
            answer.reported = True
            self._find(route, check, "no server error", answer, method, url, htmx, True)
        if refused:
            self._rows = self.watched.read()
            if self._rows != before:
                wrote = self.watched.changes(before, self._rows)
                got = f"{answer.status} and wrote {wrote}"
                self._find(route, check, "nothing written", got, method, url, htmx)
        return answer

    def expect(
        self,
        route: Route,
        check: str,
        answer: Answer,
        ok: bool,
        expected: str,
        method: str,
        url: str,
        htmx: bool = False,
    ) -> None:
        if not ok and not answer.reported:
            got = str(answer)
            if route.kind == API and answer.status == 400:
                got += " - add a JSON body for this route to url_samples.API_BODIES"
            self._find(route, check, expected, got, method, url, htmx)

    def _find(self, route, check, expected, got, method="", url="", htmx=False, server=False):
        self.findings.append(
            Finding(route.id, check, expected, str(got), method, url, htmx, server_error=server)
        )

    # --- samples -------------------------------------------------------------------------------

    def _table(self, route: Route) -> dict[str, declared.Sample]:
        return declared.ADMIN_SAMPLES if route.kind == ADMIN else declared.SAMPLES

    def _source(self, route: Route, tenant: Tenant | None = None) -> SampleSource:
        return SampleSource(world=self.world, tenant=tenant or self.world.acme, route=route)

    def url(self, route: Route, tenant: Tenant, workspace_of: Tenant | None = None) -> str:
        """The route's URL for objects of `tenant`, in the workspace of `workspace_of`."""
        self._rows = None  # the samples' builders may make objects
        table = self._table(route)
        values = {}
        for name in route.kwarg_names:
            sample = table[name]
            owner = workspace_of if sample.selects_workspace and workspace_of else tenant
            values[name] = sample.build(self._source(route, owner))
        url = build_url(route, values, self.urlconf)
        query = declared.API_QUERIES.get(route.id)
        return f"{url}?{query(self._source(route, tenant))}" if query else url

    def tenant_kwargs(self, route: Route) -> list[str]:
        table = self._table(route)
        return [name for name in route.kwarg_names if table[name].tenant]

    # --- the walk ------------------------------------------------------------------------------

    def check(self, route: Route) -> list[Finding]:
        self.findings = []
        self._rows = None
        table = self._table(route)
        missing = [name for name in route.kwarg_names if name not in table]
        if missing:
            which = "ADMIN_SAMPLES" if route.kind == ADMIN else "SAMPLES"
            self._find(
                route,
                "sample",
                "a sample for every URL kwarg",
                f"no URL sample for {', '.join(missing)}: add one to {which} in "
                "tests/security/url_samples.py (see its docstring)",
            )
            return self.findings
        try:
            url = self.url(route, self.world.acme)
        except SampleError as error:
            self._find(route, "sample", "a URL that resolves to this route", error)
            return self.findings
        accepted = self.accepted_methods(route, url)
        if route.id in declared.PUBLIC:
            self.check_public(route, url, accepted)
        elif route.kind == ADMIN:
            self.check_admin(route, url)
        elif route.kind == API:
            self.check_api(route, url, accepted)
        else:
            self.check_html(route, url, accepted)
        return self.findings

    def accepted_methods(self, route: Route, url: str) -> list[str]:
        """The methods the route doesn't answer with 405, asked by someone it must refuse."""
        if route.kind == ADMIN:  # every admin view sends non-staff to the login first
            return ["GET", "POST"]
        anonymous = route.kind == API or route.id in declared.PUBLIC
        client = self.anonymous if anonymous else self.probe
        return [
            method
            for method in METHODS
            if self.send(route, "probe", client, method, url).status != 405
        ]

    def check_public(self, route: Route, url: str, accepted: list[str]) -> None:
        # The anonymous probe already sent every method; a signed-in visitor must not break it.
        for method in ("GET", "POST"):
            if method in accepted:
                self.send(route, "public", self.viewer, method, url)

    def check_html(self, route: Route, url: str, accepted: list[str]) -> None:
        tenant_kwargs = self.tenant_kwargs(route)
        if not tenant_kwargs and route.id not in declared.USER_LEVEL:
            self._find(
                route,
                "classify",
                "a workspace in the URL, or a declaration in url_samples.PUBLIC or USER_LEVEL",
                "a signed-in page outside any workspace that nobody declared",
            )
            return
        self.check_anonymous_html(route, url, accepted)
        if tenant_kwargs:
            self.check_outsider(route, "outsider", url, accepted)
            table = self._table(route)
            selects = [name for name in tenant_kwargs if table[name].selects_workspace]
            if selects and len(selects) < len(tenant_kwargs):
                own = self.url(route, self.world.acme, workspace_of=self.world.globex)
                self.check_outsider(route, "outsider-own-slug", own, accepted)
        self.check_viewer(route, url, accepted)
        self.check_owner(route, url, accepted)

    def check_anonymous_html(self, route: Route, url: str, accepted: list[str]) -> None:
        sign_in = settings.LOGIN_URL
        if not sign_in.startswith("/"):
            sign_in = reverse(sign_in, urlconf=self.urlconf)
        for method in METHODS:
            if method not in accepted and method not in ("GET", "POST"):
                continue
            answer = self.send(route, "anonymous", self.anonymous, method, url, refused=True)
            ok = _redirects_to(answer, sign_in, url) or (
                method not in accepted and answer.status == 405
            )
            self.expect(route, "anonymous", answer, ok, f"302 to {sign_in}?next=", method, url)

    def check_outsider(self, route: Route, check: str, url: str, accepted: list[str]) -> None:
        for method in accepted:
            for htmx in (False, True):
                answer = self.send(
                    route, check, self.outsider, method, url, htmx=htmx, refused=True
                )
                ok = answer.status in (404, 405)
                self.expect(route, check, answer, ok, "404", method, url, htmx)

    def check_viewer(self, route: Route, url: str, accepted: list[str]) -> None:
        for method in accepted:
            refused = method in WRITES and route.id not in declared.VIEWER_WRITES
            for htmx in (False, True):
                answer = self.send(
                    route, "viewer", self.viewer, method, url, htmx=htmx, refused=refused
                )
                if refused:
                    ok = answer.status in (403, 405)
                    self.expect(route, "viewer", answer, ok, "403", method, url, htmx)

    def check_owner(self, route: Route, url: str, accepted: list[str]) -> None:
        """Last, as it may change data: the sample URL works for its owner, so the 404s count."""
        answered = False
        for method in accepted:
            for htmx in (False, True) if method == "GET" else (False,):
                answer = self.send(route, "owner", self.owner, method, url, htmx=htmx)
                answered = answered or answer.status != 405
                if method == "GET":
                    ok = answer.status < 400
                else:
                    ok = answer.status not in (401, 403, 404)
                expected = "a page or a redirect" if method == "GET" else "not 401, 403 or 404"
                self.expect(route, "owner", answer, ok, expected, method, url, htmx)
        if not answered:
            self._find(route, "owner", "some method the owner may use", "405 for every method")

    def check_api(self, route: Route, url: str, accepted: list[str]) -> None:
        if not accepted:
            self._find(route, "api-anonymous", "some accepted method", "405 for every method")
        acme, globex = self.world.acme, self.world.globex
        langfuse = route.pattern.startswith(declared.LANGFUSE_PREFIXES)
        openai_shape = route.pattern.startswith(declared.OPENAI_PREFIXES)
        _api_error = _langfuse_error if langfuse else _native_error
        _api_error = _openai_error if openai_shape else _api_error
        for method in accepted:
            answer = self.send(route, "api-anonymous", self.anonymous, method, url, refused=True)
            ok = _api_error(answer, 401, "unauthenticated")
            self.expect(route, "api-anonymous", answer, ok, "401 JSON error", method, url)
            # A signed-in browser session never authenticates the API.
            answer = self.send(route, "api-session", self.viewer, method, url, refused=True)
            ok = _api_error(answer, 401, "unauthenticated")
            self.expect(route, "api-session", answer, ok, "401 JSON error", method, url)
        if self.tenant_kwargs(route):
            secret = globex.key_secrets["owner"]
            for method in accepted:
                answer = self.send(
                    route,
                    "api-outsider-key",
                    self.anonymous,
                    method,
                    url,
                    secret=secret,
                    refused=True,
                )
                ok = _api_error(answer, 404, "not_found") or answer.status == 405
                self.expect(route, "api-outsider-key", answer, ok, "404 JSON error", method, url)
        for method in accepted:
            secret = acme.key_secrets["viewer"]
            refused = method in WRITES and route.id not in declared.VIEWER_WRITES
            answer = self.send(
                route,
                "api-viewer-key",
                self.anonymous,
                method,
                url,
                secret=secret,
                refused=refused,
            )
            if refused:
                ok = _api_error(answer, 403, "forbidden") or answer.status == 405
                self.expect(route, "api-viewer-key", answer, ok, "403 JSON error", method, url)
        for method in accepted:
            secret = acme.key_secrets["owner"]
            answer = self.send(route, "api-owner-key", self.anonymous, method, url, secret=secret)
            ok = answer.status not in (400, 401, 403, 404)
            self.expect(route, "api-owner-key", answer, ok, "not 400/401/403/404", method, url)

    def check_admin(self, route: Route, url: str) -> None:
        login = reverse("admin:login", urlconf=self.urlconf)
        personas = (
            ("anonymous", self.anonymous),
            ("outsider", self.outsider),
            ("viewer", self.viewer),
        )
        for check, client in personas:
            for method in ("GET", "POST"):
                answer = self.send(route, check, client, method, url, refused=True)
                ok = _redirects_to(answer, login, url)
                self.expect(route, check, answer, ok, f"302 to {login}?next=", method, url)
        self.send(route, "operator", self.operator, "GET", url)


def _redirects_to(answer: Answer, path: str, next_url: str) -> bool:
    if answer.status != 302:
        return False
    location = urlsplit(answer.location)
    nexts = parse_qs(location.query).get("next", [])
    return location.path == path and [unquote(n) for n in nexts] == [unquote(next_url)]


def _langfuse_error(answer: Answer, status: int, code: str) -> bool:
    """Langfuse's shape: {"message": str, "error": "LangfuseNotFoundError" | ...}."""
    body = answer.json if isinstance(answer.json, dict) else {}
    return (
        answer.status == status
        and isinstance(body.get("message"), str)
        and isinstance(body.get("error"), str)
    )


def _openai_error(answer: Answer, status: int, code: str) -> bool:
    """OpenAI's shape: {"error": {"message", "type", "param", "code"}} (its own codes)."""
    error = answer.json.get("error") if isinstance(answer.json, dict) else None
    return (
        answer.status == status
        and isinstance(error, dict)
        and {"message", "type", "param", "code"} <= set(error)
        and isinstance(error.get("message"), str)
    )


def _native_error(answer: Answer, status: int, code: str) -> bool:
    error = answer.json.get("error") if isinstance(answer.json, dict) else None
    return (
        answer.status == status
        and isinstance(error, dict)
        and error.get("code") == code
        and isinstance(error.get("message"), str)
    )
