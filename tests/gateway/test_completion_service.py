"""The completion service against the fake provider: the answer, the one row per call, and the
fault cases (429 then 200, 5xx, stall, cut stream, malformed, caller gone, fallbacks)."""

import asyncio
import contextlib
import time
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from gateway.completion import (
    CompletionCall,
    CompletionRequest,
    Delta,
    Finish,
    GatewayError,
    clients,
)
from gateway.models import Completion, GatewaySettings, ModelAlias, Provider
from promptregistry import services as registry_services
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import add_version, principal_for
from workspaces.principal import Principal
from workspaces.roles import Role

pytestmark = pytest.mark.django_db


def principal(workspace, role=Role.EDITOR) -> Principal:
    return Principal(workspace=workspace, role=role)


def run(request: CompletionRequest, *, consume_until: int | None = None):
    """Run a call to the end (or cancel it after `consume_until` events), as the views do;
    returns (call, events, error). The row is written as a response close would."""

    async def go():
        call = CompletionCall(request)
        events, error = [], None
        try:
            await call.start()
            async for event in call.events():
                events.append(event)
                if consume_until is not None and len(events) >= consume_until:
                    raise asyncio.CancelledError  # the caller went away
        except GatewayError as failure:
            error = failure
        except asyncio.CancelledError:
            pass
        finally:
            await clients.close_loop_clients()
        return call, events, error

    call, events, error = async_to_sync(go)()
    call.write_row()
    return call, events, error


def ask(workspace, model="demo", stream=False, **fields) -> CompletionRequest:
    fields.setdefault("messages", [{"role": "user", "content": "Where is my order?"}])
    return CompletionRequest(
        principal=principal(workspace), source="api", model=model, stream=stream, **fields
    )


def only_row() -> Completion:
    rows = list(Completion.objects.all())
    assert len(rows) == 1, f"expected exactly one Completion row, got {len(rows)}"
    return rows[0]


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_prompt_is_rendered_sent_and_logged_with_tokens_cost_and_timings(
    acme, gateway_models, chat_prompt, fake_llm
):
    request = ask(
        acme,
        messages=[],
        prompt_name="support/triage",
        variables={"company": "Acme", "question": "Where is my order?"},
        user_ref="customer-7",
        session_id="s-1",
        trace_id="t-1",
        tags=["beta"],
        metadata={"app": "web"},
    )

    call, events, error = run(request)

    assert error is None
    assert fake_llm.requests[-1].body["messages"] == [
        {"role": "system", "content": "You help customers of Acme."},
        {"role": "user", "content": "Where is my order?"},
    ]
    assert [type(e) for e in events] == [Delta, Finish]
    row = only_row()
    assert row.status == "ok" and row.finish_reason == "stop"
    assert row.output_text == 'Local demo model reply to: "Where is my order?" (4 words).'
    assert (row.input_tokens, row.output_tokens, row.tokens_estimated) == (9, 11, False)
    assert row.cost == Decimal("0.00003100")  # 9 x $1 + 11 x $2 per million
    assert row.prompt_id == chat_prompt.pk and row.prompt_name == "support/triage"
    assert (row.prompt_version, row.prompt_label, row.ab_split) == (1, "production", False)
    assert (row.provider_name, row.model_name, row.requested_model) == ("Local", "demo", "demo")
    assert row.variables == {"company": "Acme", "question": "Where is my order?"}
    assert row.latency_ms >= row.ttft_ms >= row.queue_ms >= 0
    assert (row.user_ref, row.session_id, row.trace_id, row.tags) == (
        "customer-7",
        "s-1",
        "t-1",
        ["beta"],
    )
    assert row.metadata == {"app": "web"} and row.public_id == call.public_id


def test_a_stream_yields_text_pieces_then_the_finish(acme, gateway_models, fake_llm):
    call, events, error = run(ask(acme, stream=True))

    deltas = [e.text for e in events if isinstance(e, Delta)]
    assert error is None and len(deltas) > 3
    assert "".join(deltas) == only_row().output_text
    assert events[-1] == Finish("stop", 4, 11)
    assert only_row().stream is True and only_row().status == "ok"


def test_an_anthropic_model_gets_the_system_prompt_apart(acme, gateway_models, fake_llm):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]

    call, events, error = run(ask(acme, model="claude", stream=True, messages=messages))

    sent = fake_llm.requests[-1]
    assert sent.path == "/v1/messages" and sent.body["system"] == "Be brief."
    assert sent.body["messages"] == [{"role": "user", "content": "Hi"}]
    assert "sk-ant-test-key-123456" in (
        sent.headers.get("x-api-key", "") + sent.headers.get("authorization", "")
    )
    assert error is None and only_row().output_tokens > 0


def test_a_429_is_retried_after_its_retry_after_and_the_retry_is_logged(
    acme, gateway_models, fake_llm
):
    fake_llm.fail_next("429", retry_after=1)
    started = time.monotonic()

    call, events, error = run(ask(acme))

    assert error is None
    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    assert len(fake_llm.requests) == 2
    row = only_row()
    assert (row.status, row.retries) == ("ok", 1)


def test_server_errors_are_retried_then_logged_as_an_error(acme, gateway_models, fake_llm):
    Provider.objects.filter(name="Local").update(max_retries=2)
    fake_llm.fail_next("500", times=3)

    call, events, error = run(ask(acme))

    assert error.status == 502 and error.code == "provider_error"
    assert "internal error (scripted fault)" in error.message
    assert len(fake_llm.requests) == 3
    row = only_row()
    assert (row.status, row.error_type, row.retries) == ("error", "provider_error", 2)
    assert row.output_text == "" and row.input_tokens is None


def test_a_long_retry_after_is_passed_on_instead_of_waited(acme, gateway_models, fake_llm):
    fake_llm.fail_next("429", retry_after=120)

    call, events, error = run(ask(acme))

    assert (error.status, error.code, error.retry_after) == (429, "rate_limit_exceeded", 120)
    assert only_row().retries == 0 and only_row().error_type == "rate_limit_exceeded"


def test_a_stalled_provider_times_out_and_is_hung_up_on(acme, gateway_models, fake_llm):
    Provider.objects.filter(name="Local").update(total_timeout_seconds=1, connect_timeout_seconds=1)
    fake_llm.fail_next("hang")
    started = time.monotonic()

    call, events, error = run(ask(acme, stream=True))

    assert error.status == 504 and error.code == "timeout"
    assert time.monotonic() - started < 4
    row = only_row()
    assert (row.status, row.error_type, row.retries) == ("error", "timeout", 0)
    assert wait_for(lambda: len(fake_llm.cancelled) == 1)  # the provider saw us go


def test_a_stream_cut_midway_is_an_error_row_with_what_arrived(acme, gateway_models, fake_llm):
    fake_llm.fail_next("cut")

    call, events, error = run(ask(acme, stream=True))

    assert error is not None and error.status == 502
    row = only_row()
    assert row.status == "error" and row.error_type in ("stream_interrupted", "stream_incomplete")
    assert row.output_text and row.output_text == "".join(
        e.text for e in events if isinstance(e, Delta)
    )
    assert row.output_tokens is not None and row.tokens_estimated  # counted here: no usage came


def test_a_malformed_answer_is_an_error_row(acme, gateway_models, fake_llm):
    fake_llm.fail_next("malformed")

    call, events, error = run(ask(acme))

    assert error.status == 502
    assert only_row().status == "error"


def test_a_caller_going_away_mid_stream_cancels_upstream_and_logs_cancelled(
    acme, gateway_models, fake_llm
):
    fake_llm.fail_next("slow", delay=0, chunk_delay=0.3)

    call, events, error = run(ask(acme, stream=True), consume_until=2)

    assert error is None and len(events) == 2
    row = only_row()
    assert row.status == "cancelled" and row.error_type == "client_disconnected"
    assert row.output_text == "".join(e.text for e in events)
    assert wait_for(lambda: len(fake_llm.cancelled) == 1)


def test_a_failing_model_falls_back_before_the_first_byte(acme, gateway_models, fake_llm):
    local = gateway_models["local"]
    broken = add_model(local, "broken", "fake-500")
    ModelAlias.objects.create(workspace=acme, name="resilient", model=broken, fallbacks=["demo"])
    Provider.objects.filter(pk=local.pk).update(max_retries=0)

    call, events, error = run(ask(acme, model="resilient", stream=True))

    assert error is None
    assert [r.body["model"] for r in fake_llm.requests] == ["fake-500", "local-demo"]
    row = only_row()
    assert (row.status, row.model_name, row.fallback_model) == ("ok", "demo", "demo")
    assert row.requested_model == "resilient"


def test_the_request_fallbacks_win_and_a_cut_after_the_first_byte_does_not_fall_back(
    acme, gateway_models, fake_llm
):
    fake_llm.fail_next("cut")

    call, events, error = run(ask(acme, stream=True, fallbacks=["claude"]))

    assert error is not None
    assert [r.path for r in fake_llm.requests] == ["/v1/chat/completions"]
    assert only_row().fallback_model == ""


def test_store_content_redacted_keeps_no_personal_data(acme, gateway_models, fake_llm):
    GatewaySettings.objects.create(workspace=acme, store_content="redacted")
    message = "I am bob@example.com, card 4111 1111 1111 1111"

    run(ask(acme, messages=[{"role": "user", "content": message}], variables={"e": "a@b.io"}))

    row = only_row()
    assert row.content_stored == "redacted"
    assert row.input_messages == [{"role": "user", "content": "I am [email], card [card]"}]
    assert "bob@example.com" not in row.output_text and "[email]" in row.output_text


def test_store_content_none_keeps_only_the_numbers(acme, gateway_models, fake_llm):
    GatewaySettings.objects.create(workspace=acme, store_content="none")

    run(ask(acme, variables={"name": "Bob"}))

    row = only_row()
    assert (row.variables, row.input_messages, row.output_text) == ({}, [], "")
    assert row.input_tokens == 4 and row.status == "ok"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"prompt_name": "nope"}, 404, "prompt_not_found"),
        ({"prompt_name": "support/triage", "variables": {}}, 400, "missing_variables"),
        ({"prompt_name": "support/triage", "prompt_label": "staging"}, 404, "prompt_not_found"),
        ({"prompt_name": "support/triage", "prompt_version": 7}, 404, "prompt_not_found"),
        ({"model": "gpt-nope"}, 404, "model_not_found"),
        ({"model": "", "messages": [{"role": "user", "content": "x"}]}, 400, "invalid_request"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_are_logged(
    acme, gateway_models, chat_prompt, fake_llm, fields, status, code
):
    call, events, error = run(ask(acme, **fields))

    assert (error.status, error.code) == (status, code)
    assert fake_llm.requests == []
    row = only_row()
    assert (row.status, row.error_type) == ("error", code)


def test_a_provider_without_its_key_says_so(acme, gateway_models, fake_llm):
    Provider.objects.filter(name="Claude").update(encrypted_api_key="")

    call, events, error = run(ask(acme, model="claude"))

    assert (error.status, error.code) == (400, "provider_key_missing")
    assert "Claude" in error.message and "Providers page" in error.message


def test_a_provider_error_message_never_carries_the_key(acme, gateway_models, fake_llm):
    provider = gateway_models["claude"]
    provider.set_api_key("sk-ant-this-is-the-secret-key-0001")
    provider.save()
    fake_llm.api_key = "sk-other"
    try:
        call, events, error = run(ask(acme, model="claude"))
    finally:
        fake_llm.api_key = None

    assert error.code == "provider_auth_failed"
    assert "sk-ant-this-is-the-secret-key-0001" not in error.message
    assert "sk-ant-this-is-the-secret-key-0001" not in only_row().error_message


def test_another_workspace_can_use_neither_this_prompt_nor_this_model(
    acme, globex, gateway_models, chat_prompt, fake_llm
):
    add_model(
        add_provider(globex, "Own", "openai_compatible", fake_llm.openai_base_url),
        "own",
        "local-demo",
    )
    variables = {"company": "Acme", "question": "Hi"}

    _, _, by_prompt = run(
        ask(globex, model="own", prompt_name="support/triage", variables=variables)
    )
    _, _, by_model = run(ask(globex, model="demo"))

    assert (by_prompt.status, by_prompt.code) == (404, "prompt_not_found")
    assert (by_model.status, by_model.code) == (404, "model_not_found")
    assert fake_llm.requests == []
    assert set(Completion.objects.values_list("workspace", flat=True)) == {globex.pk}


def test_the_prompt_config_names_the_model_and_parameters(acme, gateway_models, fake_llm):
    registry_services.prompt_create(
        principal=principal_for(acme),
        name="configured",
        prompt_type="text",
        version_content={"text": "Say {{word}}"},
        config={"model": "fast", "temperature": 0.5, "max_tokens": 3, "notes": "not a param"},
        labels=["production"],
    )

    call, events, error = run(
        ask(acme, model="prompt", prompt_name="configured", variables={"word": "hi"})
    )

    sent = fake_llm.requests[-1].body
    assert sent["model"] == "local-demo" and sent["messages"] == [
        {"role": "user", "content": "Say hi"}
    ]
    assert (sent["temperature"], sent["max_tokens"]) == (0.5, 3) and "notes" not in sent
    assert only_row().finish_reason == "length" and only_row().requested_model == "fast"


def test_an_ab_split_label_logs_the_arm_served(acme, gateway_models, chat_prompt, fake_llm):
    version_two = add_version(
        chat_prompt, messages=[{"role": "user", "content": "v2 {{question}}"}]
    )
    registry_services.label_split(
        principal=principal_for(acme),
        prompt=chat_prompt,
        name="production",
        version=version_two,
        percent=50,
    )
    variables = {"company": "Acme", "question": "Hi"}

    for seed in range(8):
        run(
            ask(
                acme,
                messages=[],
                prompt_name="support/triage",
                variables=variables,
                session_id=f"s{seed}",
            )
        )

    rows = Completion.objects.all()
    assert {row.ab_split for row in rows} == {True}
    assert {row.prompt_version for row in rows} == {1, 2}


def test_tokens_are_counted_here_only_when_the_provider_reports_none(acme):
    call = CompletionCall(ask(acme))
    call.parts = ["three little words"]
    call.finish = Finish("stop", None, None)
    call.status = "ok"
    call.target = object()

    assert call.tokens()[1:] == (3, True)


def test_a_caller_gone_before_the_first_token_is_logged_cancelled(acme, gateway_models, fake_llm):
    fake_llm.fail_next("hang")

    async def go():
        call = CompletionCall(ask(acme, stream=True))
        task = asyncio.ensure_future(call.start())
        await asyncio.sleep(0.5)
        task.cancel()  # what Django's ASGI handler does when the client disconnects
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await clients.close_loop_clients()

    async_to_sync(go)()

    row = only_row()
    assert (row.status, row.error_type, row.ttft_ms) == ("cancelled", "client_disconnected", None)
    assert wait_for(lambda: len(fake_llm.cancelled) == 1)


def test_an_anthropic_answer_whole_with_its_usage_and_stop_sequences(
    acme, gateway_models, fake_llm
):
    call, events, error = run(ask(acme, model="claude", params={"stop": "END", "max_tokens": 50}))

    sent = fake_llm.requests[-1].body
    assert (sent["stop_sequences"], sent["max_tokens"]) == (["END"], 50)
    row = only_row()
    assert error is None and row.status == "ok" and row.finish_reason == "stop"
    assert (row.input_tokens, row.output_tokens, row.tokens_estimated) == (4, 11, False)


def test_complete_runs_a_whole_call_for_callers_without_a_response(acme, gateway_models, fake_llm):
    from gateway.completion import complete

    async def go():
        try:
            return await complete(ask(acme, stream=True))
        finally:
            await clients.close_loop_clients()

    result = async_to_sync(go)()

    assert result.text == 'Local demo model reply to: "Where is my order?" (4 words).'
    assert result.id == only_row().public_id and only_row().stream is False


def test_complete_sync_serves_celery_tasks_on_one_loop_and_its_clients(
    acme, gateway_models, fake_llm
):
    from gateway.completion import complete_sync
    from gateway.completion.background_loop import running_loop

    results = [complete_sync(ask(acme)) for _ in range(2)]

    assert [r.finish_reason for r in results] == ["stop", "stop"]
    assert Completion.objects.count() == 2
    # Both calls used the process's one loop, whose provider client is kept for the next.
    assert len(clients._per_loop[running_loop()]["clients"]) == 1
