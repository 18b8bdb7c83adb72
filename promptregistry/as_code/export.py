"""Exports: a folder or the whole workspace as a zip of YAML files (see yaml_format).

Used by the export page (views/export.py), `GET /api/v1/export` (api/export.py) and through
that endpoint by `promptops pull` and `promptops push`. A prompt's file is its newest
version; restricted prompts and folders vanish for those who may not see them, as everywhere.
"""

import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from django.http import Http404

from workspaces.principal import Principal
from workspaces.roles import Action

from .. import selectors
from ..models import Label, Prompt, PromptVersion
from ..names import validate_segment
from .yaml_format import PromptFile, dump

# Fixed entry times: the same registry state gives the same archive, byte for byte.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Archive:
    filename: str
    data: bytes
    count: int


def clean_folder_path(path: str | None) -> str:
    """The folder path of a request ("" for everything); Http404 when it can't be a folder."""
    path = (path or "").strip().strip("/")
    try:
        for part in path.split("/") if path else []:
            validate_segment(part)
    except ValidationError as error:
        raise Http404("No such folder.") from error
    return path


def prompt_files(principal: Principal, folder_path: str = "") -> list[PromptFile]:
    """The newest version of every visible prompt and snippet (in the folder, at any depth),
    by name, in a constant number of queries. Prompts without a saved version are left out."""
    prompts = selectors.visible_prompts(principal).filter(latest_version_number__gt=0)
    if folder_path:
        selectors.folder_for(principal, folder_path, need=Action.READ)  # 404 if hidden/missing
        prompts = prompts.filter(name__under=folder_path)
    prompts = prompts.order_by("name").prefetch_related(
        "tags",
        Prefetch(
            "labels",
            queryset=Label.objects.filter(version__number=F("prompt__latest_version_number")),
            to_attr="latest_labels",
        ),
    )
    prompts = list(prompts)
    versions = {
        version.prompt_id: version
        for version in PromptVersion.objects.filter(
            prompt__in=[p.pk for p in prompts], number=F("prompt__latest_version_number")
        )
    }
    return [
        _prompt_file(prompt, versions[prompt.pk]) for prompt in prompts if prompt.pk in versions
    ]


def _prompt_file(prompt: Prompt, version: PromptVersion) -> PromptFile:
    return PromptFile(
        name=prompt.name,
        kind=prompt.kind,
        type=prompt.type,
        template_format=version.template_format,
        description=prompt.description,
        tags=sorted(tag.name for tag in prompt.tags.all()),
        labels=sorted(label.name for label in prompt.latest_labels),
        config=version.config or {},
        content=version.content,
    )


def export_archive(principal: Principal, folder_path: str = "") -> Archive:
    """The zip download: one `<name>.yaml` per prompt, e.g. support/triage.yaml."""
    folder_path = clean_folder_path(folder_path)
    files = prompt_files(principal, folder_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for prompt_file in files:
            entry = zipfile.ZipInfo(prompt_file.path, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, dump(prompt_file).encode())
    slug = principal.workspace.slug
    suffix = folder_path.replace("/", "-").replace(" ", "-") if folder_path else "prompts"
    return Archive(filename=f"{slug}-{suffix}.zip", data=buffer.getvalue(), count=len(files))
