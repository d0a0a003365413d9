"""The 404 and 403 pages are the site's own, with its header, with DEBUG off; someone
else's submission answers the same 404 as one that never existed, and names nothing of it."""
import re

import pytest
from django.test import Client

from coursework.models import Profile
from tests.factories import make_assignment, make_student, make_submission

pytestmark = pytest.mark.django_db
SECRET_NAME = "alice_private_attempt_v7.ipynb"


@pytest.fixture
def alice_and_bob(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path
    make_assignment()
    alice, bob = make_student("alice"), make_student("bob")
    Profile.objects.create(user=alice, display_name="Alice Owner", leaderboard_alias="alice-a")
    Profile.objects.create(user=bob, display_name="Bob Other", leaderboard_alias="bob-a")
    return alice, bob, make_submission(alice, status="graded", accuracy=0.9, original_name=SECRET_NAME)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_missing_page_is_the_sites_own_404_with_its_header(client, alice_and_bob):
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<header class="site-header">' in page and 'href="/accounts/login/"' in page
    assert "<h1>Page not found</h1>" in page and "<title>Page not found" in page


def test_another_students_submission_is_the_same_404_as_a_missing_one_and_leaks_nothing(client, alice_and_bob):
    alice, bob, submission = alice_and_bob
    client.force_login(bob)
    for path in (f"/submissions/{submission.pk}/", f"/submissions/{submission.pk}/status/",
                 f"/submissions/{submission.pk}/notebook/"):
        theirs, missing = client.get(path), client.get(path.replace(str(submission.pk), "999999"))
        assert theirs.status_code == missing.status_code == 404
        assert without_tokens(theirs.content.decode()) == without_tokens(missing.content.decode())
        page = theirs.content.decode()
        assert "Bob Other" in page  # the header is bob's own
        for leak in (SECRET_NAME, "Alice", "alice", "Submission", f"/submissions/{submission.pk}"):
            assert leak not in page.split("</header>")[1], leak


def test_a_staff_page_is_a_404_to_a_student_with_the_students_own_links(client, alice_and_bob):
    client.force_login(alice_and_bob[0])
    page = client.get("/ta/").content.decode()
    assert "<h1>Page not found</h1>" in page and 'href="/progress/"' in page


def test_a_refused_form_is_the_sites_own_403_and_keeps_the_persons_header(alice_and_bob):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice_and_bob[0])
    response = browser.post("/profile/", {"display_name": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in page and "reload the page and send it again" in page
    assert "Alice Owner" in page and "Log out" in page
    assert "CSRF" not in page  # the reason goes to the log, not to the page


def test_permission_denied_anywhere_shows_the_sites_403(rf, alice_and_bob):
    from django.views.defaults import permission_denied
    from django.core.exceptions import PermissionDenied

    request = rf.get("/")
    request.user = alice_and_bob[0]
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403 and "<h1>Not allowed</h1>" in response.content.decode()
