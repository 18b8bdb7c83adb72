import pytest
from django.urls import reverse

from evaluations.models import Evaluator


def url(name, *args):
    return reverse(f"evaluations:{name}", args=["acme", *args])


def test_an_editor_adds_an_evaluator(bob_client):
    response = bob_client.post(
        url("evaluators"),
        {"name": "Valid", "kind": "json_schema", "config": '{"schema": {"type": "object"}}'},
    )
    assert response.status_code == 302
    assert Evaluator.objects.get().config == {"schema": {"type": "object"}}
    assert b"JSON Schema" in bob_client.get(url("evaluators")).content


def test_a_bad_configuration_is_refused_with_what_was_typed(bob_client):
    response = bob_client.post(
        url("evaluators"), {"name": "Re", "kind": "regex", "config": '{"pattern": "("}'}
    )
    assert response.status_code == 422
    assert b"Not a valid regular expression" in response.content
    assert b"Re" in response.content
    assert not Evaluator.objects.exists()


def test_viewers_read_but_cannot_add_or_delete(vera_client, acme):
    evaluator = Evaluator.objects.create(workspace=acme, name="Keep", kind="contains")
    assert vera_client.get(url("evaluators")).status_code == 200
    assert vera_client.post(url("evaluators"), {"name": "X", "kind": "contains"}).status_code == 403
    assert vera_client.post(url("evaluator-delete", evaluator.pk)).status_code == 403
    assert list(Evaluator.objects.values_list("name", flat=True)) == ["Keep"]


def test_outsiders_get_404(charlie_client, acme):
    evaluator = Evaluator.objects.create(workspace=acme, name="Keep", kind="contains")
    assert charlie_client.get(url("evaluators")).status_code == 404
    assert charlie_client.post(url("evaluator-delete", evaluator.pk)).status_code == 404
    assert Evaluator.objects.count() == 1


@pytest.mark.parametrize("count", [1, 5])
def test_the_list_runs_constant_queries(alice_client, acme, assert_queries, count):
    for i in range(count):
        Evaluator.objects.create(workspace=acme, name=f"E{i}", kind="contains")
    with assert_queries(5):  # session, user, membership, evaluators, the nav's workspaces
        alice_client.get(url("evaluators"))
