"""Single sign-on through a real OpenID Connect provider, in chromium, against the running stack.

The provider (tests/support/oidc/provider.mjs) is the `oidc-provider` package on a port of its
own, with this stack's callback registered; the browser fills its login form. On request it
answers as a hostile provider would, and each such answer must end on a page that says why,
with nobody signed in and nothing stored.
"""
import pytest

from tests.support import axe
from tests.support.browser import browser_page
from tests.support.oidc_provider import OidcProvider
from tests.support.stack import Stack

USERS = {
    "alice": {"password": "alice-pass", "sub": "u-0001", "email": "alice@uni.example", "name": "Alice Adams"},
    # Alice again after her university changed her address: the same subject, another e-mail.
    "alice.renamed": {"password": "alice-pass", "sub": "u-0001", "email": "a.adams@uni.example", "name": "Alice Adams"},
    # Someone else whose provider account carries Alice's first address.
    "mallory": {"password": "mallory-pass", "sub": "u-0666", "email": "alice@uni.example", "name": "Mallory"},
    "bob": {"password": "bob-pass", "sub": "u-0002", "email": "bob@uni.example", "name": "Bob Brown"},
    "carol": {"password": "carol-pass", "sub": "u-0003", "email": "carol@uni.example", "name": "Carol Chen"},
    # At the same university, not in the course: has no join code.
    "dave": {"password": "dave-pass", "sub": "u-0004", "email": "dave@uni.example", "name": "Dave Doe"},
    "erin": {"password": "erin-pass", "sub": "u-0005", "email": "erin@uni.example", "name": "Erin Eze"},
}


@pytest.fixture(scope="module")
def sso(tmp_path_factory, redis_target):
    """The stack signed in through the provider, and the provider: started once for this module."""
    workdir = tmp_path_factory.mktemp("sso")
    provider = OidcProvider(workdir, USERS)
    stack = Stack(workdir, redis_target, COURSE_GROUP_ASSIGNMENT="round_robin", COURSE_JOIN_CODE=JOIN_CODE,
                  **provider.site_env())
    try:
        provider.start(stack.base_url + "/accounts/sso/callback/")
        stack.start()
        yield stack, provider
    finally:
        stack.stop()
        provider.stop()


JOIN_CODE = "sso-course-code"


def sign_in_with_provider(page, stack, login, password, join_code=JOIN_CODE) -> bool:
    """From the site's log-in page through the provider's form and back, giving the course's
    join code if this is a first sign-in that asks for it (None: stop on that page).
    Returns whether it was asked."""
    page.goto(stack.base_url + "/accounts/login/")
    page.click("#sso-sign-in")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_load_state()
    asked = page.locator("#sso-join").count() == 1
    if asked and join_code is not None:
        page.fill("#id_join_code", join_code)
        page.click("#join-course")
        page.wait_for_load_state()
    return asked


def csp_reports(page):
    reports = []
    page.on("console", lambda message: reports.append(message.text)
            if "Content Security Policy" in message.text else None)
    return reports


def identities(stack, subject=None):
    where = f" WHERE subject = '{subject}'" if subject else ""
    return stack.db.rows(f"SELECT issuer, subject, user_id, email FROM coursework_externalidentity{where}")


def user_count(stack):
    return stack.db.rows("SELECT COUNT(*) FROM auth_user")[0][0]


def test_a_first_sign_in_makes_a_student_in_the_course_and_the_next_finds_them_by_subject(sso):
    stack, provider = sso
    with browser_page() as page:
        reports = csp_reports(page)
        assert sign_in_with_provider(page, stack, "alice", "alice-pass")  # a first visit asks for the join code
        assert "Welcome to the course, Alice Adams" in page.content()
        assert page.locator("text=Log out").count() == 1
        assert reports == []
    [(issuer, subject, user_id, email)] = identities(stack, "u-0001")
    assert (issuer, email) == (provider.issuer, "alice@uni.example")
    # In the course as the join code puts a student there: a profile, a study group, no staff rights,
    # and no password anyone could guess.
    [(is_staff, password, group_id, alias)] = stack.db.rows(
        "SELECT u.is_staff, u.password, p.group_id, p.leaderboard_alias FROM auth_user u "
        f"JOIN coursework_profile p ON p.user_id = u.id WHERE u.id = {user_id}")
    assert not is_staff and password.startswith("!") and group_id is not None and alias

    users_before = user_count(stack)
    with browser_page() as page:  # another browser: the provider asks for the password again
        assert not sign_in_with_provider(page, stack, "alice.renamed", "alice-pass")  # known: no join code
        assert page.locator("text=Log out").count() == 1
        page.goto(stack.base_url + "/profile/")
        linked = page.locator("#sso .identity").inner_text()
        assert "u-0001" in linked and "a.adams@uni.example" in linked and provider.issuer in linked
    assert user_count(stack) == users_before
    assert [row[2] for row in identities(stack, "u-0001")] == [user_id]


def test_an_account_with_the_same_email_is_not_taken_over(sso):
    stack, provider = sso
    stack.manage("shell", "-c", "from django.contrib.auth.models import User; from coursework.models import Profile; "
                                "u = User.objects.create_user('bob', 'BOB@uni.example', 'bob-local-pass-42'); "
                                "Profile.objects.create(user=u, display_name='Bob', leaderboard_alias='bobby')")
    users_before = user_count(stack)
    with browser_page() as page:
        sign_in_with_provider(page, stack, "bob", "bob-pass")
        assert "Sign-in refused" in page.title()
        assert "e-mail address alone never opens an account" in page.locator("#sso-refused").inner_text()
        page.goto(stack.base_url + "/profile/")
        assert "/accounts/login/" in page.url  # not signed in as anyone
    assert user_count(stack) == users_before and identities(stack, "u-0002") == []

    # Bob, logged in with his password, links the provider account himself; then it signs him in.
    with browser_page() as page:
        page.goto(stack.base_url + "/accounts/login/")
        page.fill("#id_username", "bob")
        page.fill("#id_password", "bob-local-pass-42")
        page.click("button.primary")
        page.goto(stack.base_url + "/profile/")
        page.click("#sso-link")
        page.fill("#login", "bob")
        page.fill("#password", "bob-pass")
        page.click("#sign-in")
        page.wait_for_load_state()
        assert "Linked: you can now sign in with Test University" in page.content()
        assert "u-0002" in page.locator("#sso .identity").inner_text()
        assert page.locator("#sso-link").count() == 0
    [(_, _, bob_id, _)] = identities(stack, "u-0002")
    assert stack.db.rows("SELECT username FROM auth_user WHERE id = %d" % bob_id) == [("bob",)]
    with browser_page() as page:
        sign_in_with_provider(page, stack, "bob", "bob-pass")
        page.goto(stack.base_url + "/profile/")
        assert page.locator("#id_display_name").input_value() == "Bob"


def test_someone_at_the_provider_without_the_join_code_gets_no_account(sso):
    stack, provider = sso
    users_before = user_count(stack)
    with browser_page() as page:
        assert sign_in_with_provider(page, stack, "dave", "dave-pass", join_code=None)
        assert "Dave Doe" in page.locator("#sso-join").inner_text()
        page.fill("#id_join_code", "a-guess")
        page.click("#join-course")
        assert "not this course's" in page.content()
        page.goto(stack.base_url + "/profile/")
        assert "/accounts/login/" in page.url  # not signed in as anyone
    assert user_count(stack) == users_before and identities(stack, "u-0004") == []


def test_a_provider_account_carrying_a_linked_students_email_does_not_reach_them(sso):
    stack, provider = sso
    with browser_page() as page:
        sign_in_with_provider(page, stack, "alice", "alice-pass")  # Alice exists (made here if run alone)
    users_before = user_count(stack)
    with browser_page() as page:
        sign_in_with_provider(page, stack, "mallory", "mallory-pass")
        assert "Sign-in refused" in page.title()
    assert user_count(stack) == users_before and identities(stack, "u-0666") == []


@pytest.mark.parametrize("mode, says", [
    ("wrong-state", "does not belong to a sign-in started in this browser"),
    ("wrong-nonce", "nonce does not match"),
    ("wrong-audience", "meant for another site"),
    ("wrong-issuer", "wrong issuer"),
    ("forged-signature", "bad signature"),
    ("expired", "had expired"),
])
def test_a_hostile_answer_is_refused_with_a_clear_page_and_nothing_stored(sso, mode, says):
    stack, provider = sso
    users_before = user_count(stack)
    provider.tamper(mode)
    try:
        with browser_page() as page:
            reports = csp_reports(page)
            sign_in_with_provider(page, stack, "carol", "carol-pass")
            assert "Sign-in refused" in page.title()
            assert says in page.locator("#sso-refused").inner_text()
            assert "not signed in" in page.content()
            page.goto(stack.base_url + "/profile/")
            assert "/accounts/login/" in page.url
            assert reports == []
    finally:
        provider.tamper("")
    assert user_count(stack) == users_before and identities(stack, "u-0003") == []


def test_the_single_sign_on_pages_pass_axe_at_both_widths(sso):
    stack, provider = sso
    script, found = axe.source(), {}
    with browser_page(viewport=(1280, 900), bypass_csp=True) as page:  # axe is injected as a script
        page.goto(stack.base_url + "/accounts/login/")
        found["login"] = axe.at_both_widths(page, script)
        provider.tamper("wrong-nonce")
        try:
            sign_in_with_provider(page, stack, "carol", "carol-pass")
        finally:
            provider.tamper("")
        assert "Sign-in refused" in page.title()
        found["refused"] = axe.at_both_widths(page, script)
    with browser_page(viewport=(1280, 900), bypass_csp=True) as page:
        assert sign_in_with_provider(page, stack, "erin", "erin-pass", join_code=None)
        found["join"] = axe.at_both_widths(page, script)
    with browser_page(viewport=(1280, 900), bypass_csp=True) as page:  # the provider remembers Carol in the other
        sign_in_with_provider(page, stack, "alice", "alice-pass")
        page.goto(stack.base_url + "/profile/")
        assert page.locator("#sso .identity").count() == 1
        found["settings"] = axe.at_both_widths(page, script)
    found = {name: items for name, items in found.items() if items}
    assert not found, "axe-core found violations:\n" + axe.describe(found)


def test_sso_settings_prints_the_providers_endpoints_from_its_discovery_document(sso):
    stack, provider = sso
    printed = dict(line.split("=", 1) for line in stack.manage("sso_settings", provider.issuer).splitlines()
                   if not line.startswith("#"))
    assert printed == {name: value for name, value in provider.site_env().items() if name.startswith("OIDC_OP_")}
    with pytest.raises(RuntimeError, match="names the issuer"):
        stack.manage("sso_settings", provider.issuer + "/")
