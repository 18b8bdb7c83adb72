from django.urls import reverse

SIGN_OUT = reverse("accounts:sign-out")


def test_it_refuses_sign_out_by_get(alice_client):
    response = alice_client.get(SIGN_OUT)

    assert response.status_code == 405
    assert "_auth_user_id" in alice_client.session


def test_it_signs_out_by_post(alice_client):
    response = alice_client.post(SIGN_OUT)

    assert response.status_code == 302
    assert response.url == reverse("accounts:sign-in")
    assert "_auth_user_id" not in alice_client.session
    assert alice_client.get("/w/acme/").status_code == 302
