"""The HTTP API: the few calls the command makes, and reading the export archive."""

import io
import zipfile
from pathlib import PurePosixPath
from urllib.parse import quote

import httpx

from ..as_code.yaml_format import PromptFile, PromptFileError, parse
from .errors import ApiFailure, CliError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Api:
    """The few native API calls the command needs, with the error shape turned into messages."""

    def __init__(self, host: str, auth: httpx.Auth | None, headers: dict[str, str]):
        self.host = host.rstrip("/")
        self.http = httpx.Client(
            base_url=self.host + "/api/v1",
            auth=auth,
            headers={"User-Agent": "promptops-cli", **headers},
            timeout=TIMEOUT,
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise CliError(f"can't reach {self.host}: {error}") from error
        if response.status_code >= 400:
            raise self._failure(response)
        return response

    def _failure(self, response: httpx.Response) -> ApiFailure:
        status = response.status_code
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
        message = error.get("message") or response.reason_phrase or "request failed"
        if status == 401:
            message = f"the server refused the API key ({message})"
        elif status == 404 and response.request.url.path.endswith("/export"):
            message = f"not found: {message}"
        return ApiFailure(status, message, error.get("code", ""), error.get("field"))

    def export(self, folder: str = "") -> dict[str, bytes]:
        params = {"folder": folder} if folder else {}
        response = self.request("GET", "/export", params=params)
        return read_archive(response.content)

    def create_prompt(self, prompt: PromptFile, message: str, labels: list[str]) -> dict:
        body = {
            "name": prompt.name,
            "kind": prompt.kind,
            "type": prompt.type,
            "description": prompt.description,
            "tags": prompt.tags,
            **_version_body(prompt, message, labels),
        }
        return self.request("POST", "/prompts", json=body).json()

    def create_version(self, prompt: PromptFile, message: str, labels: list[str]) -> dict:
        body = _version_body(prompt, message, labels)
        return self.request("POST", f"/prompts/{_quoted(prompt.name)}/versions", json=body).json()

    def latest_version(self, name: str) -> dict:
        """The newest version (number, content, config, template format)."""
        path = f"/prompts/{_quoted(name)}/versions"
        items = self.request("GET", path, params={"limit": 1}).json().get("items") or []
        if not items:
            raise ApiFailure(404, f"“{name}” has no version yet")
        return items[0]

    def move_label(self, name: str, label: str, version: int) -> dict:
        path = f"/prompts/{_quoted(name)}/labels/{quote(label, safe='')}"
        return self.request("POST", path, json={"version": version}).json()


def _quoted(name: str) -> str:
    return quote(name, safe="/")


def _version_body(prompt: PromptFile, message: str, labels: list[str]) -> dict:
    return {
        "content": prompt.content,
        "template_format": prompt.template_format,
        "config": prompt.config,
        "commit_message": message,
        "labels": labels,
    }


def read_archive(data: bytes) -> dict[str, bytes]:
    """An export's files by relative path; refuses paths that would leave the directory."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise CliError("the server's export isn't a zip file") from error
    files = {}
    with archive:
        for entry in archive.infolist():
            if entry.is_dir():
                continue
            path = PurePosixPath(entry.filename)
            if path.is_absolute() or ".." in path.parts or "\\" in entry.filename:
                raise CliError(f"the export holds an unsafe path: {entry.filename}")
            files[str(path)] = archive.read(entry)
    return files


def _parse_archive(files: dict[str, bytes]) -> dict[str, PromptFile]:
    prompts = {}
    for path, data in files.items():
        try:
            prompt = parse(data.decode(), source=f"server:{path}")
        except (PromptFileError, UnicodeDecodeError) as error:
            raise CliError(f"the server's export is unreadable: {error}") from error
        prompts[prompt.name] = prompt
    return prompts
