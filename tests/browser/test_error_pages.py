"""The error pages look like the product. 500.html must render with no request and no database."""

import pytest
from django.template import loader
from django.test import Client


def test_server_error_page_renders_without_a_request_or_database():
    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert 'href="/static/css/app/tokens.css"' in html
    assert "{%" not in html and "{{" not in html


@pytest.mark.django_db
def test_unknown_address_shows_the_product_not_found_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b"Back to your workspaces" in response.content
    assert b"css/app/tokens.css" in response.content


@pytest.mark.django_db
def test_forbidden_page_names_the_workspace_and_the_way_back(bob_client, acme):
    response = bob_client.get(f"/w/{acme.slug}/api-keys/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "You don't have access" in content
    assert "Your role (editor) may not do this here." in content
    assert f'href="/w/{acme.slug}/"' in content


def test_bad_request_page_says_nothing_was_saved_and_how_to_get_back():
    # Django's bad_request view renders it without a request, e.g. for a post over the size
    # limit, which is refused before any view could keep what was typed.
    html = loader.get_template("400.html").render()
    assert "This couldn't be sent" in html
    assert "Nothing was saved" in html
    assert "Back button" in html
    assert 'href="/static/css/app/tokens.css"' in html
