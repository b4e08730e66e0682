"""The set-password page of emailed links (templates/account/password_reset_from_key.html):
worded for someone choosing a first password, and clear when the link is spent."""

import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str

pytestmark = pytest.mark.django_db


def _link(user):
    token = default_token_generator.make_token(user)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{token}/"


def test_a_valid_link_asks_to_choose_a_password(acme, client_for):
    client = client_for(acme)
    response = client.get(_link(acme.cam), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose your password" in html
    assert re.search(r"<button[^>]*>\s*Save password\s*</button>", html)
    assert "Change Password" not in html


def test_a_spent_or_forged_link_says_so_and_offers_a_new_one(acme, client_for):
    html = client_for(acme).get("/accounts/password/reset/key/1-forged-token/").content.decode()
    assert "This link no longer works" in html
    assert 'href="/accounts/password/reset/"' in html
    assert "Save password" not in html
