import pytest

from gateway.redaction import redact, redact_secrets, redact_text, stored_content


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob.smith@example.co.uk now", "mail [email] now"),
        ("call +44 20 7946 0958 or (555) 123-4567", "call [phone] or [phone]"),
        ("card 4111 1111 1111 1111", "card [card]"),
        ("key sk-proj-abcdefghijklmnopqrstu ok", "key [secret] ok"),
        ("password: hunter22 ok", "password: [secret] ok"),
        ("AKIAABCDEFGHIJKLMNOP", "[secret]"),
        ("https://user:pw@host/x", "https://[secret]@host/x"),
    ],
)
def test_personal_data_and_secrets_are_replaced(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 12345 shipped on 2024-05-01",
        "1234 5678 9012 3456 is not a valid card",
        "version 3.14.159 of 20 packages",
        "I have 3 cats",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact_text(text) == text


def test_redaction_walks_json_and_keeps_keys():
    value = {"email": "a@b.io", "items": [{"note": "call 555 123 4567"}], "n": 3}

    assert redact(value) == {"email": "[email]", "items": [{"note": "call [phone]"}], "n": 3}


def test_provider_messages_lose_only_secrets():
    assert redact_secrets("Bad key sk-abcdefghijklmnopqrstuvwx for a@b.io") == (
        "Bad key [secret] for a@b.io"
    )


def test_stored_content_follows_the_setting():
    args = {"variables": {"e": "a@b.io"}, "input_messages": [], "output_text": "a@b.io"}

    assert stored_content("full", **args) == ({"e": "a@b.io"}, [], "a@b.io", [])
    assert stored_content("redacted", **args) == ({"e": "[email]"}, [], "[email]", [])
    assert stored_content("none", **args) == ({}, [], "", [])


def test_stored_content_redacts_tool_call_arguments_but_keeps_names():
    call = {"id": "call_1", "name": "email_user", "arguments": '{"to": "a@b.io"}'}
    args = {"variables": {}, "input_messages": [], "output_text": "", "tool_calls": [call]}
    assert stored_content("full", **args)[3] == [call]
    assert stored_content("redacted", **args)[3] == [{**call, "arguments": '{"to": "[email]"}'}]
    assert stored_content("none", **args)[3] == []
