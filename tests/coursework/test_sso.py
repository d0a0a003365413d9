"""Single sign-on's rules without a provider: who an identity is here, the ID token's checks the
library leaves out, and the pages' limits. The whole flow through a real provider is
tests/e2e/test_sso.py."""
import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.urls import include, path

from coursework.models import ExternalIdentity, StudyGroup
from coursework.services import sso
from coursework.views.sso import WAITING
from tests.factories import make_ta

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.uni.example"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
urlpatterns = [path("accounts/sso/", include("coursework.urls.sso")), path("", include("config.urls"))]


def alice(**changes):
    fields = {"issuer": ISSUER, "subject": "u-1", "email": "alice@uni.example", "name": "Alice Adams",
              "preferred_username": "alice"}
    return sso.Identity(**{**fields, **changes})


@pytest.fixture
def provider_settings(settings):
    settings.OIDC_OP_ISSUER = ISSUER
    settings.SSO_ENABLED = True
    settings.OIDC_OP_TOKEN_ENDPOINT = ISSUER + "/token"
    settings.OIDC_OP_USER_ENDPOINT = ISSUER + "/me"
    settings.OIDC_OP_JWKS_ENDPOINT = ISSUER + "/jwks"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = ISSUER + "/auth"
    settings.OIDC_RP_CLIENT_ID = "coursework"
    settings.OIDC_RP_CLIENT_SECRET = "a-client-secret-of-thirty-two-bytes"
    return settings


def token(**claims):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "coursework", "sub": "u-1", "iat": now, "exp": now + 300, "nonce": "n", **claims}
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": "k"})


def test_a_first_sign_in_makes_a_student_in_the_course(settings):
    settings.COURSE_GROUP_ASSIGNMENT = "round_robin"  # as the join code does when the course assigns groups
    group = StudyGroup.objects.create(name="Group A")
    user, created = sso.sign_in(alice(), join_code_given=True)
    assert created and user.username == "alice" and not user.has_usable_password() and not user.is_staff
    assert user.profile.display_name == "Alice Adams" and user.profile.leaderboard_alias == f"student-{user.pk}"
    assert user.profile.group == group
    assert ExternalIdentity.objects.get(issuer=ISSUER, subject="u-1").user == user


def test_the_next_sign_in_finds_the_account_by_subject_whatever_the_email_says():
    user, _ = sso.sign_in(alice(), join_code_given=True)
    again, created = sso.sign_in(alice(email="a.adams@uni.example", preferred_username="aadams"), join_code_given=True)
    assert again == user and not created
    assert ExternalIdentity.objects.get().email == "a.adams@uni.example"  # shown on the settings page


def test_the_same_subject_at_another_issuer_is_someone_else():
    user, _ = sso.sign_in(alice(), join_code_given=True)
    other, created = sso.sign_in(alice(issuer="https://other.example", email=""), join_code_given=True)
    assert created and other != user and other.username == "alice-2"


def test_an_account_with_the_same_email_is_not_entered():
    local = User.objects.create_user("alice", "ALICE@uni.example", "pw-local-1234")
    with pytest.raises(sso.Refused, match="never opens an account"):
        sso.sign_in(alice())
    assert not ExternalIdentity.objects.exists() and list(User.objects.all()) == [local]


def test_a_closed_account_is_not_signed_in():
    user, _ = sso.sign_in(alice(), join_code_given=True)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(sso.Refused, match="closed"):
        sso.sign_in(alice())


def test_a_student_links_their_provider_account_from_their_own_account():
    bob = User.objects.create_user("bob", "alice@uni.example", "pw-local-1234")
    sso.link(bob, alice())
    assert sso.sign_in(alice()) == (bob, False)


def test_an_identity_linked_to_someone_is_not_linked_to_another():
    owner, _ = sso.sign_in(alice(), join_code_given=True)
    other = User.objects.create_user("mallory", "", "pw-local-1234")
    with pytest.raises(sso.Refused, match="linked to another account"):
        sso.link(other, alice())
    assert ExternalIdentity.objects.get().user == owner


def test_an_account_holds_one_identity_per_provider():
    bob = User.objects.create_user("bob", "", "pw-local-1234")
    sso.link(bob, alice())
    with pytest.raises(sso.Refused, match="another account at this provider"):
        sso.link(bob, alice(subject="u-2"))


def test_an_id_token_for_this_site_from_the_provider_passes(provider_settings):
    claims = sso.Provider()._verify_jws(token(), KEY.public_key())
    assert claims["sub"] == "u-1"


@pytest.mark.parametrize("claims, says", [
    ({"aud": "another-client"}, "meant for another site"),
    ({"aud": ["coursework", "another-client"]}, "authorized party"),  # several audiences and no azp for us
    ({"aud": ["coursework", "another-client"], "azp": "another-client"}, "authorized party"),
    ({"iss": "https://evil.example"}, "wrong issuer"),
    ({"exp": int(time.time()) - 3600}, "expired"),
])
def test_an_id_token_the_library_alone_would_take_is_refused(provider_settings, claims, says):
    with pytest.raises(sso.Refused, match=says):
        sso.Provider()._verify_jws(token(**claims), KEY.public_key())


def test_an_id_token_signed_with_the_client_secret_is_refused(provider_settings):
    forged = jwt.encode({"iss": ISSUER, "aud": "coursework", "sub": "u-1", "iat": int(time.time()),
                         "exp": int(time.time()) + 300}, "a-client-secret-of-thirty-two-bytes", algorithm="HS256")
    with pytest.raises(sso.Refused, match="algorithm"):
        sso.Provider()._verify_jws(forged, KEY.public_key())


def test_with_no_provider_configured_there_is_no_single_sign_on(client):
    assert client.get("/accounts/sso/start/").status_code == 404
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()


@pytest.mark.urls(__name__)
def test_the_login_page_offers_the_provider_when_one_is_configured(client, provider_settings):
    provider_settings.OIDC_PROVIDER_NAME = "Uni Account"
    assert "Sign in with Uni Account" in client.get("/accounts/login/").content.decode()
    response = client.get("/accounts/sso/start/?next=/progress/")
    assert response.status_code == 302 and response["Location"].startswith(ISSUER + "/auth?")
    assert "code_challenge=" in response["Location"] and "nonce=" in response["Location"]


@pytest.mark.urls(__name__)
def test_refused_answers_from_one_address_are_limited_like_failed_log_ins(client, provider_settings):
    provider_settings.LOGIN_FAILURES_ALLOWED = 1  # ten per address
    statuses = [client.get("/accounts/sso/callback/", {"code": "c", "state": f"s{i}"}).status_code for i in range(11)]
    assert statuses == [403] * 10 + [429]
    assert client.get("/accounts/sso/start/").status_code == 429


@pytest.mark.urls(__name__)
def test_linking_starts_only_from_a_form_of_the_site(provider_settings):
    from django.test import Client

    make_ta("ta")
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="ta", password="pw-for-tests-123")
    assert browser.get("/accounts/sso/link/").status_code == 405
    assert browser.post("/accounts/sso/link/").status_code == 403  # no CSRF token


@pytest.mark.urls(__name__)
def test_the_settings_page_shows_the_linked_identity(client, provider_settings):
    user, _ = sso.sign_in(alice(), join_code_given=True)
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert "u-1" in page and ISSUER in page and 'id="sso-link"' not in page


def test_a_half_configured_provider_stops_the_start_up():
    env = {**os.environ, "OIDC_OP_ISSUER": ISSUER, "OIDC_RP_CLIENT_ID": "coursework"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-c", "import config.settings"], cwd=Path(__file__).resolve().parents[2],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "OIDC_OP_TOKEN_ENDPOINT" in out.stderr and "OIDC_RP_CLIENT_SECRET" in out.stderr


@pytest.mark.urls(__name__)
def test_a_providers_error_shows_its_code_and_no_text_of_the_senders(client, provider_settings):
    page = client.get("/accounts/sso/callback/", {"error": "access_denied<>", "state": "s",
                                                  "error_description": "Call 555-0100 to unlock"}).content.decode()
    assert "(access_denied)" in page and "555" not in page


@pytest.mark.urls(__name__)
def test_where_students_pick_their_group_one_who_joined_by_sso_picks_it_once(client, settings):
    settings.COURSE_GROUP_ASSIGNMENT = "choose"
    first, second = StudyGroup.objects.create(name="Group A"), StudyGroup.objects.create(name="Group B")
    user, _ = sso.sign_in(alice(), join_code_given=True)
    assert user.profile.group is None and sso.needs_group(user)
    client.force_login(user)
    assert "Choose your study group" in client.get("/accounts/sso/group/").content.decode()
    assert "Choose your study group" in client.post("/accounts/sso/group/", {"group": ""}).content.decode()
    assert client.post("/accounts/sso/group/", {"group": second.pk}).status_code == 302
    user.profile.refresh_from_db()
    assert user.profile.group == second
    # Not a way to change groups afterwards.
    assert client.post("/accounts/sso/group/", {"group": first.pk}).status_code == 302
    user.profile.refresh_from_db()
    assert user.profile.group == second


def test_a_long_name_from_the_provider_fits_the_profile():
    user, _ = sso.sign_in(alice(name="A" * 150, preferred_username="b" * 200), join_code_given=True)
    assert len(user.profile.display_name) == 80 and len(user.username) <= 150


@pytest.mark.parametrize("info, kept", [
    ({"email": "ana@uni.example", "email_verified": True}, "ana@uni.example"),
    ({"email": "ana@uni.example"}, "ana@uni.example"),  # not said: kept, as the standard leaves it
    ({"email": "ana@uni.example", "email_verified": False}, ""),
    ({"email": "ana@uni.example", "email_verified": "false"}, ""),  # a provider that sends a string
    ({"email": "ana@uni.example\r\nBcc: x@evil.example", "email_verified": True}, ""),
])
def test_only_an_address_the_provider_checked_and_well_formed_is_kept(info, kept):
    assert sso.kept_email({"sub": "s", **info}, {"sub": "s"}) == kept


def test_a_first_sign_in_without_the_join_code_makes_nothing():
    with pytest.raises(sso.NeedsJoinCode):
        sso.sign_in(alice())
    assert not User.objects.exists() and not ExternalIdentity.objects.exists()


def test_where_the_provider_admits_only_the_course_no_join_code_is_asked(settings):
    settings.SSO_JOIN_CODE_REQUIRED = False
    user, created = sso.sign_in(alice())
    assert created and ExternalIdentity.objects.get().user == user


def test_a_linked_student_signs_in_again_without_the_code():
    user, _ = sso.sign_in(alice(), join_code_given=True)
    assert sso.sign_in(alice()) == (user, False)


def test_a_kept_first_sign_in_is_good_only_for_the_wait_allowed(settings):
    kept = sso.waiting(alice())
    assert sso.from_waiting(kept) == alice()
    settings.SSO_JOIN_WAIT_S = 0
    kept["since"] -= 1
    assert sso.from_waiting(kept) is None
    assert sso.from_waiting({"issuer": ISSUER}) is None and sso.from_waiting("junk") is None


def waiting_session(client, **changes):
    session = client.session
    session[WAITING] = sso.waiting(alice(**changes))
    session.save()


@pytest.mark.urls(__name__)
def test_a_first_sign_in_joins_the_course_with_the_join_code_and_only_then(client, settings):
    settings.COURSE_JOIN_CODE = "the-course-code"
    waiting_session(client)
    page = client.get("/accounts/sso/join/").content.decode()
    assert "Join the course" in page and "Alice Adams" in page and "alice@uni.example" in page
    wrong = client.post("/accounts/sso/join/", {"join_code": "a-guess"})
    assert "not this course&#x27;s" in wrong.content.decode() and not User.objects.exists()
    joined = client.post("/accounts/sso/join/", {"join_code": " the-course-code "})
    assert joined.status_code == 302
    user = ExternalIdentity.objects.get(issuer=ISSUER, subject="u-1").user
    assert int(client.session["_auth_user_id"]) == user.pk and WAITING not in client.session
    # The kept sign-in is spent: nothing of it is left in the session to finish again.
    client.logout()
    assert client.get("/accounts/sso/join/").url == "/accounts/login/"


@pytest.mark.urls(__name__)
def test_a_sign_in_left_waiting_is_not_finished_by_whoever_logs_in_next_in_that_browser(client, settings):
    waiting_session(client)  # Alice left the join page open on a shared machine
    bob = User.objects.create_user("bob", password="bob-pass-1234")
    client.force_login(bob)
    assert client.post("/accounts/sso/join/", {"join_code": settings.COURSE_JOIN_CODE}).status_code == 302
    assert not ExternalIdentity.objects.exists() and User.objects.count() == 1
    assert WAITING not in client.session


@pytest.mark.urls(__name__)
def test_without_a_kept_sign_in_the_join_page_sends_back_to_the_log_in(client):
    response = client.get("/accounts/sso/join/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/accounts/login/")
    assert "Sign in with your provider again" in response.content.decode()


@pytest.mark.urls(__name__)
def test_join_code_guesses_after_single_sign_on_share_the_sign_up_allowance(client, settings):
    settings.JOIN_CODE_GUESSES_ALLOWED = 2
    waiting_session(client)
    guess = {"username": "someone", "password1": "a-long-pass-1234", "password2": "a-long-pass-1234",
             "email": "s@uni.example", "display_name": "S", "leaderboard_alias": "s", "join_code": "guess-1"}
    assert client.post("/signup/", guess).status_code == 200  # one guess on the sign-up form
    assert client.post("/accounts/sso/join/", {"join_code": "guess-2"}).status_code == 200  # one here
    assert client.post("/accounts/sso/join/", {"join_code": settings.COURSE_JOIN_CODE}).status_code == 429
    assert not User.objects.exists()


def test_the_demo_join_code_stops_a_production_start_behind_single_sign_on(provider_settings):
    from coursework.checks import refuse_the_demo_join_code_behind_single_sign_on as check

    provider_settings.DEBUG = False
    assert [e.id for e in check(None)] == ["coursework.E006"]
    provider_settings.COURSE_JOIN_CODE = "a-code-the-tas-hand-out"
    assert check(None) == []
