import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client

from coursework.models import Profile
from tests.factories import make_ta

pytestmark = pytest.mark.django_db


def signup(client, **overrides):
    data = {"username": "newbie", "email": "n@example.org", "display_name": "New Bie", "leaderboard_alias": "nb",
            "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42", "join_code": "basics-demo-code"}
    data.update(overrides)
    return client.post("/signup/", data)


def test_sign_up_with_the_join_code_creates_a_profile_and_logs_in(client):
    response = signup(client)
    assert response.status_code == 302
    profile = Profile.objects.get(user__username="newbie")
    assert profile.leaderboard_name == "nb"  # the alias, unless the student chose to show their name
    assert client.get("/").context["user"].is_authenticated


def test_a_wrong_join_code_is_refused_beside_the_field(client):
    page = signup(client, join_code="guess").content.decode()
    assert "That join code is not this course" in page and not User.objects.exists()


def test_an_alias_already_taken_is_refused(client):
    signup(client)
    client.logout()
    page = signup(client, username="other", leaderboard_alias="NB").content.decode()
    assert "Someone already uses that alias" in page


def test_html_in_a_display_name_is_shown_as_text(client):
    signup(client, display_name="<img src=x onerror=alert(1)>")
    page = client.get("/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_password_reset_sends_a_link_by_email(client, mailoutbox):
    signup(client)
    client.logout()
    client.post("/accounts/password_reset/", {"email": "n@example.org"})
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_a_ta_lands_on_the_ta_dashboard_after_logging_in(client):
    make_ta("tara")
    User.objects.filter(username="tara").update(password=make_password("ta-pass-12345"))
    response = client.post("/accounts/login/", {"username": "tara", "password": "ta-pass-12345"})
    assert response.status_code == 302 and response.url == "/ta/"


def test_a_student_still_lands_on_the_unit_and_a_next_address_still_wins_for_a_ta(client):
    User.objects.create_user("sam", password="student-pass-12345")
    assert client.post("/accounts/login/", {"username": "sam", "password": "student-pass-12345"}).url == "/"
    client.logout()
    make_ta("tara")
    User.objects.filter(username="tara").update(password=make_password("ta-pass-12345"))
    response = client.post("/accounts/login/?next=/ta/extensions/", {"username": "tara", "password": "ta-pass-12345"})
    assert response.url == "/ta/extensions/"


def test_a_wrong_join_code_does_not_say_whether_a_username_exists(client):
    signup(client)
    client.logout()
    page = signup(client, join_code="guess", leaderboard_alias="other").content.decode()
    assert "That join code is not this course" in page and "already exists" not in page


def test_join_code_guesses_from_one_address_are_refused_after_the_allowance(client, settings):
    settings.JOIN_CODE_GUESSES_ALLOWED = 3
    for attempt in range(3):
        assert signup(client, join_code=f"guess-{attempt}").status_code == 200
    refused = signup(client)  # even the right code, from there, for a while
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    assert signup(Client(REMOTE_ADDR="10.1.2.3")).status_code == 302  # another address is not held


def log_in(address, username, password):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password})


def test_a_stranger_elsewhere_cannot_lock_a_student_out(settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    User.objects.create(username="sam", password=make_password("student-pass-12345"))
    for _ in range(6):
        log_in("203.0.113.9", "sam", "wrong")
    assert log_in("203.0.113.9", "sam", "student-pass-12345").status_code == 429  # the guesser is held
    assert log_in("198.51.100.7", "sam", "student-pass-12345").status_code == 302  # the student is not


def test_names_sprayed_from_a_classroom_address_hold_new_names_but_not_known_students(settings):
    settings.LOGIN_FAILURES_ALLOWED = 2  # 20 failures per address
    User.objects.create(username="sam", password=make_password("student-pass-12345"))
    User.objects.create(username="ann", password=make_password("student-pass-12345"))
    assert log_in("192.0.2.1", "sam", "student-pass-12345").status_code == 302  # sam has logged in here before
    for n in range(20):
        log_in("192.0.2.1", f"user{n}", "guess")
    assert log_in("192.0.2.1", "ann", "student-pass-12345").status_code == 429
    assert log_in("192.0.2.1", "sam", "student-pass-12345").status_code == 302


def test_look_alikes_of_a_name_share_its_counter(settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    User.objects.create(username="sam", password=make_password("student-pass-12345"))
    for name in ("sam", "ｓａｍ", "Sam"):  # the form reads fullwidth letters as sam (NFKC)
        log_in("203.0.113.9", name, "wrong")
    assert log_in("203.0.113.9", "𝐬𝐚𝐦", "student-pass-12345").status_code == 429
