"""What the URL walk (tests/security/test_url_walk.py) needs to know about the project's URLs.

The walk visits every URL pattern of the project. To request a pattern it must fill in its
kwargs, and to judge the answer it must know who may see it. Everything it needs to know is
declared here, next to a reason, so a new URL either fits these tables or fails the walk.

Adding a URL whose kwarg name the walk does not know fails with "no URL sample for <kwarg>".
Add a builder, named after the kwarg, to the section of your app below:

    @sample("prompt_name")
    def _prompt_name(s: SampleSource) -> str:
        # Names with slashes exercise <path:...> converters; the walk quotes the URL.
        return s.once("prompt", lambda ws: PromptFactory(workspace=ws, name="support/welcome")).name

    @sample("version")
    def _version(s: SampleSource) -> int:
        prompt = s.once("prompt", lambda ws: PromptFactory(workspace=ws, name="support/welcome"))
        return s.once("version", lambda ws: PromptVersionFactory(prompt=prompt)).number

- A builder returns the value for an object of `s.workspace`: the walk calls it for acme (the
  workspace under attack) and for globex (the outsider's own workspace), so never hard-code a
  workspace. Objects that several kwargs share (a prompt and its version) come from
  `s.once(key, make)`, which calls `make(workspace)` once per workspace and test.
- `tenant=True` (the default) says the value names something inside one workspace: a route
  with such a kwarg gets the outsider checks (404 for another workspace's members). Use
  `tenant=False` only for values that are not workspace data (a signed token, a uid).
- `s.tenant` has ready-made objects (owner, editor, viewer, editor_membership, invitation,
  api_key); `s.route` is the route being filled, for builders that depend on it.

Then declare the route in one of the tables below when it is not an ordinary workspace URL
(public page, signed-in page outside any workspace, write that a viewer may do, API write that
needs a JSON body to reach its access check).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from tests.factories import UserFactory, api_key_for
from workspaces import audit
from workspaces.models import ApiKey, Invitation, Membership, Workspace
from workspaces.principal import Principal
from workspaces.roles import Role

# --- Who may see what -------------------------------------------------------------------------

# Routes anyone may call, signed in or not. The walk only checks that they never answer 5xx.
PUBLIC: dict[str, str] = {
    "healthz": "operator probe: says the process is up, nothing else",
    "readyz": "operator probe: database and broker reachability, no data",
    "accounts:sign-in": "the way in",
    "accounts:sign-up": "opens the first account; after that invite-only unless configured open",
    "accounts:sign-out": "ends the session; for an anonymous visitor there is nothing to end",
    "accounts:password-reset": "asks for a reset email; same answer for known and unknown emails",
    "accounts:password-reset-sent": "static confirmation page",
    "accounts:password-reset-confirm": "guarded by the signed token in the URL",
    "accounts:password-reset-complete": "static confirmation page",
    "workspaces:invitation-accept": "guarded by the random single-use token from the email",
    "api-v1:openapi-json": "the API's public description; no workspace data",
    "api-v1:openapi-view": "the API's docs page; no workspace data",
    "api-v1:api-root": "django-ninja's root marker, always 404",
    "api-public:openapi-json": "the Langfuse-compatible API's description; no workspace data",
    "api-public:openapi-view": "the Langfuse-compatible API's docs page; no workspace data",
    "api-public:api-root": "django-ninja's root marker, always 404",
    "admin:login": "the operator console's way in",
    "admin:logout": "ends an operator session; anonymous visitors are sent to the login page",
    "gateway:metrics": "Prometheus scrape: needs the operator's bearer token "
    "(PROMPTOPS_METRICS_TOKEN), 404 while unset; counts only, no content",
}

# Routes that may answer 503 by design (the walk fails every other 5xx).
MAY_ANSWER_503: dict[str, str] = {
    "readyz": "503 means the database or broker is unreachable; that is its job",
}

# Signed-in pages outside any workspace: anonymous visitors are sent to sign in, and the
# outsider checks don't apply (there is no workspace in the URL). Every other HTML route must
# carry a workspace (a tenant kwarg such as slug) or be declared here.
USER_LEVEL: dict[str, str] = {
    "workspaces:home": "sends you to your own last workspace or lists invitations to your email",
    "workspaces:create": "any signed-in person may create a workspace of their own",
    "accounts:profile": "your own name and email",
    "accounts:password-change": "your own password",
    "accounts:password-change-done": "static confirmation page",
}

# Writes a viewer may do (the walk otherwise expects 403 for a viewer's POST/PUT/PATCH/DELETE,
# through HTML views and through the API with a viewer key).
VIEWER_WRITES: dict[str, str] = {
    "workspaces:leave": "anyone may leave a workspace (the service refuses the last owner)",
    "workspaces:create": "creating a workspace of one's own needs no role anywhere",
    "accounts:profile": "one's own profile",
    "accounts:password-change": "one's own password",
    "api-v1:prompt_render": "rendering only reads: POST because the variables travel in a body",
    "api-v1:completion_create": "any role may run a completion; it writes only its own log row",
    "gateway:openai-chat-completions": "any role may run a completion (its own log row only)",
    "playground:variables": "renders the variables form for the messages being typed; writes "
    "nothing",
}

# JSON bodies for API writes, by route: django-ninja validates the body before the endpoint
# runs, so without a valid body the walk can't reach (and prove) the endpoint's access check.
BodyBuilder = Callable[["SampleSource"], dict[str, Any]]
API_BODIES: dict[str, BodyBuilder] = {
    "api-v1:prompt_list": lambda s: {"name": "walk/new", "type": "text", "content": {"text": "Hi"}},
    "api-v1:version_list": lambda s: {"content": {"messages": [{"role": "user", "content": "Hi"}]}},
    "api-v1:prompt_render": lambda s: {"variables": {"company": "Acme", "question": "Why?"}},
    "api-v1:label_move": lambda s: {"version": 1},
    "api-public:prompt_list": lambda s: {"name": "walk/new", "prompt": "Hi {{name}}"},
    "api-public:version_update": lambda s: {"newLabels": ["staging"]},
    "api-public:legacy_prompt_get": lambda s: {
        "name": "walk/legacy",
        "prompt": "Hi",
        "isActive": False,
    },
    "api-v1:completion_create": lambda s: {"model": _walk_model(s), "prompt": "Hi"},
    "gateway:openai-chat-completions": lambda s: {
        "model": _walk_model(s),
        "messages": [{"role": "user", "content": "Hi"}],
    },
    "api-v1:completion_feedback": lambda s: {"score": 1, "comment": "Good"},
    "api-v1:run_start": lambda s: {"prompt": _prompt(s).name, "dataset": _dataset(s).name},
}

# What a refused request must leave as it was (the walk reads every row before and after each
# request it expects refused): the project's own models (apps inside the repository) and
# those of these third-party apps, which hold project data. Sessions are not watched.
WATCHED_APPS: dict[str, str] = {
    "guardian": "named grants on folders and prompts (the access pages write them)",
    "admin": "the operator console's change history",
}

# What a refused request may still write, as "app_label.Model.field" (one column) or
# "app_label.Model" (the whole table), with the reason. Any other change fails the walk.
WRITTEN_WHEN_REFUSED: dict[str, str] = {
    "workspaces.ApiKey.last_used_at": "authentication notes a key's use (at most once a minute) "
    "before the endpoint decides; a hint for humans, not data the request changed",
}

# Query strings for API routes that need one to do their job (the walk appends it to the URL).
API_QUERIES: dict[str, Callable[["SampleSource"], str]] = {
    "api-public:legacy_prompt_get": lambda s: "name=" + _prompt(s).name,
}

# Path prefixes of the JSON APIs (anonymous: 401 JSON) and of the operator console (anonymous
# and non-staff: redirect to its login). django-ninja views count as API wherever they are.
API_PREFIXES: tuple[str, ...] = ("api/", "v1/")
# API routes that answer errors in OpenAI's shape {"error": {"message", "type", "param",
# "code"}} with OpenAI's codes (docs/api.md): the OpenAI-compatible gateway.
OPENAI_PREFIXES: tuple[str, ...] = ("v1/",)
# API routes that answer errors in Langfuse's shape {"message", "error": "LangfuseNotFoundError"}
# (docs/api.md) rather than the native {"error": {"code", "message"}}.
LANGFUSE_PREFIXES: tuple[str, ...] = ("api/public/",)
ADMIN_PREFIXES: tuple[str, ...] = ("admin/",)


# --- The world the samples point at ------------------------------------------------------------


@dataclass
class Tenant:
    """One workspace with one of everything, for samples and for the acting personas."""

    workspace: Workspace
    owner: User
    editor: User
    viewer: User
    editor_membership: Membership
    invitation: Invitation
    invitation_token: str
    api_key: ApiKey  # an object to put in URLs; authentication uses key_secrets
    key_secrets: dict[str, str]  # role -> secret of a key with that role
    objects: dict[str, Any] = field(default_factory=dict)  # SampleSource.once() memo


@dataclass
class World:
    acme: Tenant  # the workspace under attack: alice owner, bob editor, vera viewer
    globex: Tenant  # the outsider's own workspace: charlie owner
    pat: User  # signed in, member of nothing: probes which methods a URL accepts
    operator: User  # staff superuser, for the operator console


@dataclass
class SampleSource:
    world: World
    tenant: Tenant
    route: Any  # tests.security.url_walk.Route

    @property
    def workspace(self) -> Workspace:
        return self.tenant.workspace

    def once(self, key: str, make: Callable[[Workspace], Any]) -> Any:
        """One object per workspace and test, shared by the kwargs that need it."""
        if key not in self.tenant.objects:
            self.tenant.objects[key] = make(self.tenant.workspace)
        return self.tenant.objects[key]


def _tenant(workspace: Workspace, owner: User, editor: User, viewer: User) -> Tenant:
    for user, role in ((owner, Role.OWNER), (editor, Role.EDITOR), (viewer, Role.VIEWER)):
        Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": role})
    invitation = Invitation(
        workspace=workspace,
        email=f"invitee@{workspace.slug}.example.com",
        role=Role.EDITOR,
        invited_by=owner,
    )
    token = invitation.new_token()
    invitation.save()
    api_key, _ = api_key_for(workspace, Role.EDITOR, name="sample key")
    secrets = {role: api_key_for(workspace, role, name=f"{role} key")[1] for role in Role.values}
    owner_membership = Membership.objects.get(workspace=workspace, user=owner)
    audit.record(
        principal=Principal.for_membership(owner_membership),
        action="invitation.create",
        target=invitation,
        target_label=invitation.email,
    )
    return Tenant(
        workspace=workspace,
        owner=owner,
        editor=editor,
        viewer=viewer,
        editor_membership=Membership.objects.get(workspace=workspace, user=editor),
        invitation=invitation,
        invitation_token=token,
        api_key=api_key,
        key_secrets=secrets,
    )


def build_world(*, acme, globex, alice, bob, vera, charlie) -> World:
    return World(
        acme=_tenant(acme, alice, bob, vera),
        globex=_tenant(
            globex,
            charlie,
            UserFactory(email="gale@example.com", name="Gale Globex Editor"),
            UserFactory(email="gus@example.com", name="Gus Globex Viewer"),
        ),
        pat=UserFactory(email="pat@example.com", name="Pat Nobody"),
        operator=UserFactory(
            email="operator@example.com", name="Olga Operator", is_staff=True, is_superuser=True
        ),
    )


# --- URL kwarg samples -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    build: Callable[[SampleSource], Any]
    tenant: bool = True  # the value names something inside one workspace
    selects_workspace: bool = False  # the value is the workspace itself (its slug)


SAMPLES: dict[str, Sample] = {}  # URL kwarg name -> sample, for the project's own routes
ADMIN_SAMPLES: dict[str, Sample] = {}  # the same, for the operator console under /admin/


def sample(
    name: str, *, tenant: bool = True, selects_workspace: bool = False, admin: bool = False
) -> Callable:
    def register(build: Callable[[SampleSource], Any]) -> Callable[[SampleSource], Any]:
        table = ADMIN_SAMPLES if admin else SAMPLES
        if name in table:
            raise ValueError(f"Two URL samples for the kwarg {name!r}.")
        table[name] = Sample(build=build, tenant=tenant, selects_workspace=selects_workspace)
        return build

    return register


# workspaces


@sample("slug", selects_workspace=True)
def _slug(s: SampleSource) -> str:
    return s.workspace.slug


@sample("membership_id")
def _membership_id(s: SampleSource) -> int:
    return s.tenant.editor_membership.pk  # bob's, in acme


@sample("invitation_id")
def _invitation_id(s: SampleSource) -> int:
    return s.tenant.invitation.pk  # pending


@sample("api_key_id")
def _api_key_id(s: SampleSource) -> int:
    return s.tenant.api_key.pk


@sample("token", tenant=False)
def _token(s: SampleSource) -> str:
    # The invitation link's token; for the password reset link it is simply invalid.
    return s.tenant.invitation_token


# accounts


@sample("uidb64", tenant=False)
def _uidb64(s: SampleSource) -> str:
    return urlsafe_base64_encode(force_bytes(s.tenant.editor.pk))


# promptregistry: prompt names (HTML pages and both prompt APIs), labels, Langfuse's versions


def _prompt(s: SampleSource):
    from tests.promptregistry.factories import make_prompt

    # Chat, {{company}} and {{question}}, released to production: every reader can serve it.
    return s.once("prompt", lambda ws: make_prompt(ws, "support/welcome", labels=["production"]))


@sample("name")
def _prompt_name(s: SampleSource) -> str:
    return _prompt(s).name  # a slash exercises the <path:name> converters


@sample("label", tenant=False)
def _label(s: SampleSource) -> str:
    return "production"


@sample("version")
def _langfuse_version(s: SampleSource) -> int:
    # /api/public/v2/prompts/<name>/versions/<version>: PATCH updates version 1 of the prompt,
    # GET and DELETE read the whole path as a prompt name (as Langfuse does), so it exists too.
    from tests.promptregistry.factories import make_prompt

    prompt = _prompt(s)
    s.once(
        "prompt-named-like-a-version",
        lambda ws: make_prompt(ws, f"{prompt.name}/versions/1", labels=["production"]),
    )
    return 1


@sample("number")
def _version_number(s: SampleSource) -> int:
    return 1  # /p/<name>/-/versions/<number>/: the sample prompt's first version


@sample("comment_id")
def _comment_id(s: SampleSource) -> int:
    # The owner's own comment: only its author may edit or delete it, and the walk's owner
    # check expects the sample URL to work for the owner.
    from promptregistry import services as registry_services

    def make(workspace):
        version = _prompt(s).versions.get(number=1)
        author = Principal.for_membership(
            Membership.objects.select_related("workspace", "user").get(
                workspace=workspace, user=s.tenant.owner
            )
        )
        return registry_services.comment_create(principal=author, version=version, body="Hi")

    return s.once("comment", make).pk


@sample("path")
def _folder_path(s: SampleSource) -> str:
    return _prompt(s).folder.path  # "support", made with the sample prompt


@sample("alias_id")
def _alias_id(s: SampleSource) -> int:
    # An old name of the sample prompt (made directly: a rename would change the prompt's name).
    from promptregistry.models import PromptAlias

    def make(workspace):
        return PromptAlias.objects.create(
            workspace=workspace, prompt=_prompt(s), name="support/old-welcome"
        )

    return s.once("alias", make).pk


# gateway: the completion APIs


_fake_provider = None


def _walk_model(s: SampleSource) -> str:
    """A model of the workspace answered by an in-process fake provider, so a completion the
    walk runs succeeds (started once per test process, on first use)."""
    global _fake_provider
    from gateway.fake_llm import FakeLLMServer
    from gateway.models import Provider, ProviderModel

    if _fake_provider is None:
        _fake_provider = FakeLLMServer().start()

    def make(workspace):
        provider = Provider.objects.create(
            workspace=workspace,
            name="Walk provider",
            kind=Provider.Kind.OPENAI_COMPATIBLE,
            base_url=_fake_provider.openai_base_url,
        )
        return ProviderModel.objects.create(
            workspace=workspace, provider=provider, name="walk-model", upstream_name="local-demo"
        )

    return s.once("gateway_model", make).name


@sample("completion_id")
def _completion_id(s: SampleSource) -> str:
    from gateway.models import Completion

    def make(workspace):
        return Completion.objects.create(workspace=workspace, source="api", status="ok")

    return str(s.once("completion", make).public_id)


# gateway: the pages (providers, models, aliases; the log's completion_id is above)


@sample("provider_id")
def _provider_id(s: SampleSource) -> int:
    from gateway.models import ProviderModel

    _walk_model(s)
    return ProviderModel.objects.get(workspace=s.workspace, name="walk-model").provider_id


@sample("model_id")
def _model_id(s: SampleSource) -> int:
    from gateway.models import ProviderModel

    _walk_model(s)
    return ProviderModel.objects.get(workspace=s.workspace, name="walk-model").pk


@sample("model_alias_id")
def _model_alias_id(s: SampleSource) -> int:
    from gateway.models import ModelAlias, ProviderModel

    def make(workspace):
        _walk_model(s)
        model = ProviderModel.objects.get(workspace=workspace, name="walk-model")
        return ModelAlias.objects.create(workspace=workspace, name="walk-fast", model=model)

    return s.once("model_alias", make).pk


# playground: a session with one run whose one cell waits to stream (the walk's model answers)


def _playground_session(s: SampleSource):
    from playground.models import Cell, Run, Session

    def make(workspace):
        model = _walk_model(s)
        session = Session.objects.create(
            workspace=workspace,
            content={"messages": [{"role": "user", "content": "Hi"}]},
            columns=[{"model": model}],
        )
        run = Run.objects.create(session=session, number=1, setup={"columns": [{"model": model}]})
        cell = Cell.objects.create(
            run=run, column=0, model_name=model, input_messages=[{"role": "user", "content": "Hi"}]
        )
        return session, cell

    return s.once("playground_session", make)


@sample("session_id")
def _session_id(s: SampleSource) -> int:
    return _playground_session(s)[0].pk


@sample("cell_id")
def _cell_id(s: SampleSource) -> int:
    return _playground_session(s)[1].pk


# evaluations: a dataset with one item, a stored upload, an evaluator, a completed run with one
# graded-able result


def _dataset(s: SampleSource):
    from evaluations.models import Dataset, DatasetItem

    def make(workspace):
        dataset = Dataset.objects.create(
            workspace=workspace, name="walk-dataset", item_count=1, next_position=2
        )
        DatasetItem.objects.create(
            dataset=dataset, position=1, inputs={"question": "Hi?"}, expected_output="Hi"
        )
        return dataset

    return s.once("dataset", make)


@sample("dataset_id")
def _dataset_id(s: SampleSource) -> int:
    return _dataset(s).pk


@sample("item_id")
def _item_id(s: SampleSource) -> int:
    return _dataset(s).items.get().pk


@sample("upload_token")
def _upload_token(s: SampleSource) -> str:
    from evaluations.services.imports import upload_dir

    dataset = _dataset(s)
    token = f"walk{dataset.pk}token"
    (upload_dir() / f"{dataset.pk}-{token}.csv").write_text("question,expected\nHi?,Hi\n")
    return token


@sample("evaluator_id")
def _evaluator_id(s: SampleSource) -> int:
    from evaluations.models import Evaluator

    def make(workspace):
        return Evaluator.objects.create(workspace=workspace, name="walk-contains", kind="contains")

    return s.once("evaluator", make).pk


@sample("run_id")
def _run_id(s: SampleSource) -> int:
    from evaluations.models import EvaluationResult, EvaluationRun

    def make(workspace):
        dataset = _dataset(s)
        run = EvaluationRun.objects.create(
            workspace=workspace,
            prompt_name="support/welcome",
            prompt_version=1,
            dataset=dataset,
            status="completed",
            total_items=1,
            done_count=1,
            score_sum=1,
            passed_count=1,
        )
        EvaluationResult.objects.create(
            run=run, item=dataset.items.get(), position=1, status="done", output="Hi", score=1
        )
        return run

    return s.once("evaluation_run", make).pk


# ...: add your app's samples here (see the module docstring).


# the operator console (/admin/): staff only, so the values only need to resolve


@sample("object_id", tenant=False, admin=True)
def _admin_object_id(s: SampleSource) -> Any:
    model_admin = getattr(s.route.callback, "model_admin", None)
    if model_admin is None:  # view_on_site (paired with content_type_id) and bare redirects
        return s.workspace.pk
    first = model_admin.model._default_manager.order_by("pk").first()
    return first.pk if first is not None else 1


@sample("content_type_id", tenant=False, admin=True)
def _admin_content_type_id(s: SampleSource) -> int:
    return ContentType.objects.get_for_model(Workspace).pk


@sample("id", tenant=False, admin=True)
def _admin_user_id(s: SampleSource) -> int:
    return s.tenant.editor.pk  # the user admin's password form


@sample("app_label", tenant=False, admin=True)
def _admin_app_label(s: SampleSource) -> str:
    return "workspaces"


@sample("url", tenant=False, admin=True)
def _admin_catch_all(s: SampleSource) -> str:
    return "walk-no-such-page/"
