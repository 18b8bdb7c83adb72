"""CSV/JSONL upload: the mapping preview, per-row errors with line numbers, nothing
half-imported, and a large file imported in bounded memory."""

import json
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import DatasetItem
from evaluations.services import imports
from tests.promptregistry.factories import principal_for


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def empty(acme, alice, make_dataset):
    return make_dataset(0, name="Empty")


def upload(client, dataset, name: str, content: bytes):
    return client.post(
        reverse("evaluations:dataset-upload", args=["acme", dataset.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_a_csv_is_previewed_mapped_and_imported(bob_client, empty):
    content = (
        b"question,answer,source\ncapital of France?,Paris,atlas\ncapital of Peru?,Lima,atlas\n"
    )
    response = upload(bob_client, empty, "capitals.csv", content)
    assert response.status_code == 302
    mapping_url = response["Location"]
    page = bob_client.get(mapping_url)
    assert page.status_code == 200
    assert b"capital of France?" in page.content
    # answer is guessed as the expected output; source becomes metadata here.
    response = bob_client.post(
        mapping_url, {"col_0": "input", "col_1": "expected", "col_2": "metadata"}
    )
    assert response.status_code == 302
    items = list(DatasetItem.objects.filter(dataset=empty).order_by("position"))
    assert [(i.inputs, i.expected_output, i.metadata) for i in items] == [
        ({"question": "capital of France?"}, "Paris", {"source": "atlas"}),
        ({"question": "capital of Peru?"}, "Lima", {"source": "atlas"}),
    ]
    empty.refresh_from_db()
    assert empty.item_count == 2


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(bob_client, empty):
    content = (
        b'question,answer\n"ok",1\n"a ""quoted""\nmultiline",2\nonly one cell\n"fine",3\n'
        b"too,many,cells\n"
    )
    response = upload(bob_client, empty, "bad.csv", content)
    response = bob_client.post(response["Location"], {"col_0": "input", "col_1": "expected"})
    assert response.status_code == 422
    text = response.content.decode()
    assert "Nothing was imported" in text
    assert "Line 5: 1 cells, the header has 2." in text  # the quoted field spans lines 3-4
    assert "Line 7: 3 cells, the header has 2." in text
    assert not DatasetItem.objects.filter(dataset=empty).exists()


def test_jsonl_errors_carry_line_numbers(bob_client, empty):
    lines = [
        json.dumps({"question": "a", "expected": "A"}),
        "{not json",
        json.dumps([1, 2]),
        "",
        json.dumps({"question": "b", "expected": "B"}),
    ]
    response = upload(bob_client, empty, "rows.jsonl", "\n".join(lines).encode())
    response = bob_client.post(response["Location"], {"col_0": "input", "col_1": "expected"})
    text = response.content.decode()
    assert "Line 2: not JSON" in text
    assert "Line 3: each line must be a JSON object" in text
    assert not DatasetItem.objects.filter(dataset=empty).exists()


def test_an_exported_jsonl_maps_itself(bob_client, empty):
    line = {"inputs": {"q": "x"}, "expected_output": "y", "metadata": {"k": 1}}
    response = upload(bob_client, empty, "export.jsonl", (json.dumps(line) + "\n").encode())
    page = bob_client.get(response["Location"])
    assert b"it maps itself" in page.content
    assert bob_client.post(response["Location"], {}).status_code == 302
    item = DatasetItem.objects.get(dataset=empty)
    assert (item.inputs, item.expected_output, item.metadata) == ({"q": "x"}, "y", {"k": 1})


def test_other_files_are_refused(bob_client, empty):
    response = upload(bob_client, empty, "notes.txt", b"hello")
    assert response.status_code == 422
    assert b"Upload a .csv or .jsonl file" in response.content


def test_a_viewer_cannot_upload(vera_client, empty):
    response = upload(vera_client, empty, "a.csv", b"q\n1\n")
    assert response.status_code == 403


def test_an_outsider_cannot_use_anothers_upload(charlie_client, bob_client, empty):
    response = upload(bob_client, empty, "a.csv", b"q\n1\n")
    assert charlie_client.get(response["Location"]).status_code == 404
    assert charlie_client.post(response["Location"], {"col_0": "input"}).status_code == 404
    assert not DatasetItem.objects.exists()


def test_a_100k_row_file_imports_in_bounded_memory_and_pages_in_constant_queries(
    acme, alice, empty, tmp_path, alice_client, assert_queries
):
    principal = principal_for(acme, alice)
    rows = 100_000
    path = tmp_path / "big.csv"
    with path.open("w") as handle:
        handle.write("question,expected\n")
        for i in range(rows):
            handle.write(f"what is {i} plus one?,{i + 1}\n")
    size = path.stat().st_size

    class Upload:
        name = "big.csv"

        def __init__(self):
            self.size = size

        def chunks(self):
            with path.open("rb") as source:
                while chunk := source.read(64 * 1024):
                    yield chunk

    tracemalloc.start()
    token = imports.upload_store(principal=principal, dataset=empty, upload=Upload())
    added = imports.dataset_import(
        principal=principal,
        dataset=empty,
        token=token,
        mapping={"question": "input", "expected": "expected"},
    )
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert added == rows
    assert DatasetItem.objects.filter(dataset=empty).count() == rows
    # The file is ~3 MB and its items as Python objects far more; the import holds a batch.
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"

    # Paging: the last page of 100,000 rows costs what the first does.
    page_url = reverse("evaluations:dataset", args=["acme", empty.pk])
    htmx = {"HX-Request": "true"}
    with assert_queries(5):
        first = alice_client.get(page_url, headers=htmx)
    with assert_queries(5):
        last = alice_client.get(page_url + f"?after={rows - 50}", headers=htmx)
    assert b"what is 0 plus one?" in first.content
    assert b"what is 99999 plus one?" in last.content
