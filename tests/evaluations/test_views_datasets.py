import json

import pytest
from django.urls import reverse

from evaluations.models import Dataset, DatasetItem
from evaluations.services import datasets
from tests.promptregistry.factories import principal_for


def url(name, *args):
    return reverse(f"evaluations:{name}", args=["acme", *args])


@pytest.fixture
def capitals(acme, alice, make_dataset):
    return make_dataset(3)


def test_the_list_shows_datasets_and_creates_one(alice_client, capitals):
    response = alice_client.get(url("datasets"))
    assert response.status_code == 200
    assert b"Capitals" in response.content
    response = alice_client.post(url("datasets"), {"name": "Refunds", "description": "edge cases"})
    created = Dataset.objects.get(name="Refunds")
    assert response.status_code == 302
    assert response["Location"] == url("dataset", created.pk)


def test_a_clashing_name_is_refused_with_what_was_typed(alice_client, capitals):
    response = alice_client.post(url("datasets"), {"name": "Capitals", "description": "again"})
    assert response.status_code == 422
    assert b"A dataset with this name exists" in response.content
    assert b"again" in response.content
    assert Dataset.objects.count() == 1


def test_an_outsider_gets_404_everywhere(charlie_client, capitals):
    item = capitals.items.first()
    for target in [
        url("datasets"),
        url("dataset", capitals.pk),
        url("dataset-export", capitals.pk),
        url("item-edit", capitals.pk, item.pk),
    ]:
        assert charlie_client.get(target).status_code == 404
    assert charlie_client.post(url("item-delete", capitals.pk, item.pk)).status_code == 404
    assert DatasetItem.objects.count() == 3


def test_a_viewer_reads_but_gets_403_on_writes_and_nothing_is_written(vera_client, capitals):
    assert vera_client.get(url("dataset", capitals.pk)).status_code == 200
    item = capitals.items.first()
    writes = [
        (url("datasets"), {"name": "Mine"}),
        (url("item-add", capitals.pk), {"inputs": '{"question": "x"}'}),
        (url("item-edit", capitals.pk, item.pk), {f"item-{item.pk}-inputs": '{"q": 1}'}),
        (url("item-delete", capitals.pk, item.pk), {}),
        (url("dataset-delete", capitals.pk), {}),
        (url("dataset-edit", capitals.pk), {"name": "Renamed"}),
    ]
    for target, data in writes:
        assert vera_client.post(target, data).status_code == 403, target
    capitals.refresh_from_db()
    assert (capitals.name, capitals.item_count, Dataset.objects.count()) == ("Capitals", 3, 1)
    assert list(DatasetItem.objects.values_list("inputs", flat=True))[0] == {
        "question": "capital 1?"
    }


def test_rows_are_added_edited_and_deleted_over_htmx(bob_client, capitals):
    response = bob_client.post(
        url("item-add", capitals.pk),
        {"inputs": '{"question": "capital of Peru?"}', "expected_output": "Lima"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"capital of Peru?" in response.content
    item = DatasetItem.objects.get(position=4)
    response = bob_client.post(
        url("item-edit", capitals.pk, item.pk),
        {
            f"item-{item.pk}-inputs": '{"question": "Peru?"}',
            f"item-{item.pk}-expected_output": "Lima",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    item.refresh_from_db()
    assert item.inputs == {"question": "Peru?"}
    response = bob_client.post(
        url("item-delete", capitals.pk, item.pk), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    capitals.refresh_from_db()
    assert capitals.item_count == 3


def test_bad_json_inputs_are_refused_with_the_form(bob_client, capitals):
    response = bob_client.post(
        url("item-add", capitals.pk),
        {"inputs": "[1, 2]", "expected_output": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert b"must be a JSON object" in response.content
    assert b"<html" not in response.content
    assert DatasetItem.objects.count() == 3


def test_the_items_partial_pages_in_constant_queries(alice_client, acme, alice, assert_queries):
    principal = principal_for(acme, alice)
    small = datasets.dataset_create(principal=principal, name="Small")
    datasets.dataset_items_add(principal=principal, dataset=small, items=[{"inputs": {"a": 1}}])
    big = datasets.dataset_create(principal=principal, name="Big")
    datasets.dataset_items_add(
        principal=principal, dataset=big, items=({"inputs": {"n": i}} for i in range(3000))
    )
    htmx = {"HX-Request": "true"}
    with assert_queries(5):  # session, user, membership, the dataset, the page
        response = alice_client.get(url("dataset", small.pk), headers=htmx)
    assert response.status_code == 200
    with assert_queries(5):
        response = alice_client.get(url("dataset", big.pk) + "?after=2900", headers=htmx)
    assert b"<html" not in response.content
    assert response.content.count(b'id="item-') == 50
    with assert_queries(5):
        response = alice_client.get(url("dataset", big.pk) + "?before=2000", headers=htmx)
    assert b"1950" in response.content


def test_the_list_runs_constant_queries(alice_client, make_dataset, assert_queries):
    make_dataset(1, name="One")
    with assert_queries(5):  # session, user, membership, datasets, the nav's workspaces
        alice_client.get(url("datasets"))
    make_dataset(1, name="Two")
    make_dataset(1, name="Three")
    with assert_queries(5):
        alice_client.get(url("datasets"))


def test_exports_stream_csv_and_jsonl_that_import_back(alice_client, capitals):
    response = alice_client.get(url("dataset-export", capitals.pk) + "?format=jsonl")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert lines[0] == {
        "inputs": {"question": "capital 1?"},
        "expected_output": "capital 1",
        "metadata": {},
    }
    response = alice_client.get(url("dataset-export", capitals.pk) + "?format=csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == "\ufeffquestion,expected_output,metadata"
    assert "capital 3?,capital 3," in text


def test_a_logged_completion_is_added_to_a_dataset(alice_client, acme, alice, capitals):
    from tests.gateway.factories_completions import make_completion

    completion = make_completion(acme, variables={"question": "Paris?"}, output_text="Paris")
    response = alice_client.post(
        reverse("evaluations:completion-add-to-dataset", args=["acme", completion.public_id]),
        {"dataset": capitals.pk},
    )
    assert response.status_code == 302
    item = DatasetItem.objects.get(dataset=capitals, position=4)
    assert (item.inputs, item.expected_output, item.source_completion_id) == (
        {"question": "Paris?"},
        "Paris",
        completion.pk,
    )
    page = alice_client.get(reverse("gateway:log-detail", args=["acme", completion.public_id]))
    assert b"Add to dataset" in page.content
