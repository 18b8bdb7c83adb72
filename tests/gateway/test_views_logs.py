"""The request log: list, filters, keyset pages, detail, feedback and exports."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from gateway.logs import export
from gateway.models import Completion, Feedback
from promptregistry.models import Folder, Prompt
from tests.accounts.html import text, words
from tests.gateway.factories_completions import make_completion, make_feedback
from tests.promptregistry.factories import make_prompt, restrict
from workspaces.roles import Action, Role

LOGS = "/w/acme/logs/"


def detail_url(completion) -> str:
    return f"/w/acme/logs/{completion.public_id}/"


# The list -----------------------------------------------------------------------------------------


def test_an_outsider_gets_404(charlie_client, acme):
    completion = make_completion(acme)

    assert charlie_client.get(LOGS).status_code == 404
    assert charlie_client.get(detail_url(completion)).status_code == 404
    assert charlie_client.get(LOGS + "export/?format=csv").status_code == 404


def test_another_workspaces_call_is_404_under_your_own_slug(charlie_client, acme, globex):
    completion = make_completion(acme)

    assert charlie_client.get(f"/w/globex/logs/{completion.public_id}/").status_code == 404


def test_an_empty_log_says_how_calls_get_there(vera_client, acme):
    response = vera_client.get(LOGS)

    assert response.status_code == 200
    assert "No calls yet" in words(response)
    assert "/v1/chat/completions" in text(response)


def test_a_viewer_reads_the_newest_calls_first(vera_client, acme):
    make_completion(acme, ago=timedelta(hours=2), output_text="older answer")
    make_completion(acme, ago=timedelta(minutes=1), output_text="newer answer")
    make_completion(
        acme,
        status=Completion.Status.ERROR,
        error_type="rate_limited",
        error_message="429 from upstream",
        output_text="",
    )

    page = words(vera_client.get(LOGS))

    assert page.index("rate_limited") < page.index("newer answer") < page.index("older answer")
    assert "support/triage" in page and "gpt-4o-mini" in page


def test_filters_narrow_by_status_source_prompt_model_user_tag_metadata_and_text(vera_client, acme):
    make_completion(acme, output_text="billing", user_ref="u-1", tags=["beta"])
    make_completion(acme, output_text="bug report", metadata={"customer": "acme-co"})
    make_completion(
        acme,
        output_text="from the playground",
        source=Completion.Source.PLAYGROUND,
        model_name="claude-haiku",
        prompt_name="support/welcome",
    )
    make_completion(acme, error_message="failed", status=Completion.Status.ERROR)

    def shown(**params) -> str:
        return words(vera_client.get(LOGS, params))

    assert "failed" in shown(status="error") and "billing" not in shown(status="error")
    assert "from the playground" in shown(source="playground")
    assert "billing" not in shown(source="playground")
    assert "from the playground" in shown(prompt="support/welcome")
    assert "from the playground" in shown(model="claude-haiku")
    assert "billing" in shown(user="u-1") and "bug report" not in shown(user="u-1")
    assert "billing" in shown(tag="beta") and "bug report" not in shown(tag="beta")
    assert "bug report" in shown(meta="customer=acme-co")
    assert "billing" not in shown(meta="customer=acme-co")
    assert "bug report" in shown(q="REPORT") and "billing" not in shown(q="report")
    assert "bug report" in shown(q="invoice")  # the input's text is searched too


def test_the_date_range_is_inclusive_days(vera_client, acme):
    make_completion(acme, ago=timedelta(days=10), output_text="ten days ago")
    make_completion(acme, ago=timedelta(minutes=2), output_text="today")
    today = make_completion(acme).created_at.date()

    page = words(vera_client.get(LOGS, {"since": today.isoformat(), "until": today.isoformat()}))

    assert "today" in page and "ten days ago" not in page


@pytest.mark.parametrize(
    "params",
    [{"meta": "no-equals-sign"}, {"version": "0"}, {"since": "2026-02-01", "until": "2026-01-01"}],
)
def test_bad_filters_say_what_is_wrong_and_show_nothing(vera_client, acme, params):
    make_completion(acme, output_text="hidden while the filter is wrong")

    response = vera_client.get(LOGS, params)

    assert response.status_code == 400
    assert "Check the filters" in words(response)
    assert "hidden while the filter is wrong" not in words(response)


def test_pages_go_older_and_newer_by_keyset(vera_client, acme, settings):
    calls = [
        make_completion(acme, ago=timedelta(minutes=200 - n), output_text=f"answer-{n:03}")
        for n in range(120)
    ]

    first = vera_client.get(LOGS).content.decode()
    assert "answer-119" in first and "answer-070" in first and "answer-069" not in first
    older = vera_client.get(LOGS, {"before": calls[70].id}).content.decode()
    assert "answer-069" in older and "answer-020" in older and "answer-070" not in older
    last = vera_client.get(LOGS, {"before": calls[20].id}).content.decode()
    assert "answer-019" in last and "answer-000" in last and "Older →</span>" in last
    newer = vera_client.get(LOGS, {"after": calls[19].id}).content.decode()
    assert "answer-020" in newer and "answer-069" in newer and "answer-070" not in newer


def test_an_htmx_filter_returns_only_the_results(vera_client, acme):
    make_completion(acme, output_text="billing")

    response = vera_client.get(LOGS, {"q": "billing"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert 'id="results"' in text(response)
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("calls", [3, 60])
def test_the_list_costs_the_same_queries_however_many_calls(
    vera_client, acme, assert_queries, calls
):
    for n in range(calls):
        completion = make_completion(acme, output_text=f"answer {n}")
        if n % 2:
            make_feedback(completion, 1)

    with assert_queries(7):
        response = vera_client.get(LOGS)

    assert response.status_code == 200
    assert text(response).count('class="log-row') == min(calls, 50)


def test_calls_of_prompts_a_viewer_may_not_see_are_left_out(vera_client, alice_client, acme, alice):
    secret = make_prompt(acme, "hr/salaries", by=alice)
    restrict(secret, view_role=Role.EDITOR)
    make_completion(acme, prompt=secret, prompt_name="hr/salaries", output_text="confidential")
    folder = Folder.objects.get(workspace=acme, path="hr")
    restrict(folder, view_role=Role.ADMIN)
    make_completion(acme, prompt_name="hr/bonus", output_text="also confidential")
    hidden = Completion.objects.get(output_text="confidential")
    make_completion(acme, output_text="public answer")
    ContentType.objects.get_for_models(Folder, Prompt)

    assert "confidential" not in words(vera_client.get(LOGS))
    assert "public answer" in words(vera_client.get(LOGS))
    assert vera_client.get(detail_url(hidden)).status_code == 404
    assert "confidential" not in vera_client.get(LOGS + "export/?format=jsonl").getvalue().decode()
    assert "also confidential" in words(alice_client.get(LOGS))


# One call ----------------------------------------------------------------------------------------


def test_the_detail_shows_input_output_timing_cost_and_a_link_to_the_version(
    vera_client, acme, alice
):
    prompt = make_prompt(acme, "support/triage", by=alice)
    completion = make_completion(
        acme,
        prompt=prompt,
        prompt_version=1,
        queue_ms=12,
        ttft_ms=240,
        latency_ms=900,
        retries=1,
        user_ref="customer-42",
        metadata={"ticket": "T-9"},
    )

    response = vera_client.get(detail_url(completion))
    page = words(response)

    assert response.status_code == 200
    assert "You sort support tickets" in page and "My invoice is wrong" in page
    assert "billing" in page
    assert "Queue 12 ms" in page and "Waiting for the first token 228 ms" in page
    assert "Streaming the answer 660 ms" in page
    assert 'href="/w/acme/p/support/triage/-/versions/1/"' in text(response)
    assert "customer-42" in page and "T-9" in page
    assert "Retries 1" in page


def test_a_call_whose_content_was_not_stored_says_so(vera_client, acme):
    completion = make_completion(
        acme, content_stored="none", input_messages=[], output_text="", variables={}
    )

    assert "not to store inputs and outputs" in words(vera_client.get(detail_url(completion)))


def test_a_call_that_called_tools_shows_each_call_with_its_arguments(vera_client, acme):
    call = {"id": "call_1", "name": "lookup_order", "arguments": '{"order_number":"A-7"}'}
    completion = make_completion(
        acme, output_text="", finish_reason="tool_calls", tool_calls=[call]
    )

    page = words(vera_client.get(detail_url(completion)))

    assert "Tool call: lookup_order call_1" in page
    assert '"order_number": "A-7"' in page
    assert "answered with no text" not in page


def test_other_apps_add_actions_to_a_call_only_for_roles_that_may_use_them(
    bob_client, vera_client, acme, vera, monkeypatch
):
    from gateway import extensions

    completion = make_completion(acme)
    monkeypatch.setattr(extensions, "COMPLETION_ACTIONS", [])

    def actions(client) -> str:
        page = text(client.get(detail_url(completion)))
        return page.split('class="page-actions">')[1].split("</div>")[0]

    assert actions(bob_client).strip() == ""
    # Any template will do: this one renders a span with class "connection-result".
    extensions.register_completion_action("gateway/_connection_result.html", need=Action.EDIT)
    extensions.register_completion_action("gateway/_connection_result.html", need=Action.EDIT)

    assert len(extensions.COMPLETION_ACTIONS) == 1  # registering twice adds it once
    assert actions(bob_client).count("connection-result") == 1
    assert "connection-result" not in actions(vera_client)
    assert extensions.completion_actions_for(principal_of(acme, "vera@example.com")) == []


def principal_of(workspace, email):
    from workspaces.models import Membership
    from workspaces.principal import Principal

    membership = Membership.objects.select_related("workspace", "user").get(
        workspace=workspace, user__email=email
    )
    return Principal.for_membership(membership)


# Feedback ----------------------------------------------------------------------------------------


def test_an_editor_rates_a_call_with_htmx_and_gets_the_feedback_card(bob_client, acme, bob):
    completion = make_completion(acme)

    response = bob_client.post(
        detail_url(completion) + "feedback/",
        {"score": "1", "comment": "Right category"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert "Right category" in words(response)
    feedback = Feedback.objects.get()
    assert (feedback.score, feedback.created_by, feedback.completion) == (1, bob, completion)


def test_without_htmx_a_rating_redirects_back_to_the_call(bob_client, acme):
    completion = make_completion(acme)

    response = bob_client.post(detail_url(completion) + "feedback/", {"score": "-1"})

    assert response.status_code == 302
    assert response.url == detail_url(completion)
    assert Feedback.objects.get().score == -1


def test_a_viewer_gets_403_rating_and_nothing_is_written(vera_client, acme):
    completion = make_completion(acme)

    response = vera_client.post(detail_url(completion) + "feedback/", {"score": "1"})

    assert response.status_code == 403
    assert not Feedback.objects.exists()
    assert "Good answer" not in text(vera_client.get(detail_url(completion)))


def test_a_bad_score_is_refused_with_the_form(bob_client, acme):
    completion = make_completion(acme)

    response = bob_client.post(
        detail_url(completion) + "feedback/", {"score": "7"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    assert not Feedback.objects.exists()


# Exports -----------------------------------------------------------------------------------------


def test_the_csv_export_defuses_formula_cells(vera_client, acme):
    make_completion(
        acme,
        output_text='=HYPERLINK("http://evil.example","click")',
        user_ref="+1 555 0100",
        metadata={"note": "@SUM(A1)"},
        error_message="-2+3",
        cost=None,
    )

    response = vera_client.get(LOGS + "export/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    (row,) = rows
    assert row["output"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["user"] == "'+1 555 0100"
    assert row["error_message"] == "'-2+3"
    assert row["metadata"] == '{"note": "@SUM(A1)"}'  # JSON text starts with "{": harmless
    assert row["input_tokens"] == "42" and row["cost_usd"] == ""


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (-1, -1),
        (None, ""),
    ],
)
def test_each_dangerous_start_is_escaped(value, cell):
    assert export.safe_cell(value) == cell


def test_the_jsonl_export_keeps_values_as_they_are_and_follows_the_filters(vera_client, acme):
    make_completion(acme, output_text="=1+1", status=Completion.Status.ERROR)
    make_completion(acme, output_text="ok answer")

    response = vera_client.get(LOGS + "export/", {"format": "jsonl", "status": "error"})
    lines = b"".join(response.streaming_content).decode().splitlines()

    assert [json.loads(line)["output"] for line in lines] == ["=1+1"]


def test_an_unknown_export_format_is_400(vera_client, acme):
    assert vera_client.get(LOGS + "export/", {"format": "xlsx"}).status_code == 400
