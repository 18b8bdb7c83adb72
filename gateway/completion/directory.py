"""The workspace's models as a web process remembers them: active models and aliases by name,
each provider's decrypted key, the settings. Read on every call, so it is loaded once (three
queries) and kept in process memory under the workspace's "gateway" generation
(workspaces/generations.py), which moves on after any provider, model, alias or settings
change is committed (apps.py connects the signals).

The instances it holds are shared by every call of the process: read them, never change them.
"""

import threading
from dataclasses import dataclass, field

from workspaces import generations

from ..models import GatewaySettings, ModelAlias, Provider, ProviderKeyUnreadable, ProviderModel

SUBJECT = "gateway"
MAX_REMEMBERED = 256  # workspaces' directories kept per process


@dataclass(frozen=True)
class Directory:
    models: dict[str, ProviderModel]
    # alias name -> (its model, the alias's fallback names)
    aliases: dict[str, tuple[ProviderModel, list]]
    store_content: str
    # provider pk -> its plaintext key ("" when none), or why it can't be read
    keys: dict[int, str | ProviderKeyUnreadable] = field(default_factory=dict)

    def resolve(self, name: str) -> tuple[ProviderModel, list] | None:
        """A model by its name or an alias: (model, the alias's fallbacks); None if unknown."""
        model = self.models.get(name)
        if model is not None:
            return model, []
        alias = self.aliases.get(name)
        return (alias[0], list(alias[1])) if alias else None

    def api_key(self, provider: Provider) -> str:
        """The provider's plaintext key; raises ProviderKeyUnreadable."""
        key = self.keys.get(provider.pk, "")
        if isinstance(key, ProviderKeyUnreadable):
            raise key
        return key


def load(workspace) -> Directory:
    models = {
        model.pk: model
        for model in ProviderModel.objects.select_related("provider").filter(
            workspace=workspace, is_active=True
        )
    }
    aliases = {
        alias.name: (models[alias.model_id], list(alias.fallbacks or []))
        for alias in ModelAlias.objects.filter(workspace=workspace, model__is_active=True)
        if alias.model_id in models
    }
    keys: dict[int, str | ProviderKeyUnreadable] = {}
    for model in models.values():
        if model.provider_id not in keys:
            try:
                keys[model.provider_id] = model.provider.api_key()
            except ProviderKeyUnreadable as error:
                keys[model.provider_id] = error
    return Directory(
        models={model.name: model for model in models.values()},
        aliases=aliases,
        store_content=GatewaySettings.for_workspace(workspace).store_content,
        keys=keys,
    )


_remembered: dict[tuple[int, int], Directory] = {}
_lock = threading.Lock()


def remembered(workspace_id: int, generation: int) -> Directory | None:
    """This process's directory of the workspace at this generation (no query), or None."""
    return _remembered.get((workspace_id, generation))


def for_workspace(workspace, generation: int) -> Directory:
    """The directory at this generation, loaded when not remembered."""
    found = remembered(workspace.pk, generation)
    if found is None:
        found = load(workspace)
        with _lock:
            for stale in [k for k in _remembered if k[0] == workspace.pk]:
                del _remembered[stale]
            while len(_remembered) >= MAX_REMEMBERED:
                del _remembered[next(iter(_remembered))]
            _remembered[(workspace.pk, generation)] = found
    return found


def forget_on_change(sender, instance, **kwargs) -> None:
    """post_save/post_delete of a provider, model, alias or the settings."""
    generations.bump_after_commit(SUBJECT, instance.workspace_id)
