"""Groups route work: chosen at sign-up or assigned round-robin, moved by staff, and each
TA's queues show their own groups first."""
import pytest

from coursework.models import Assignment, AuditEvent, Profile, StudyGroup
from tests.factories import make_course, make_profile, make_student, make_ta, submitted_synthesis

pytestmark = pytest.mark.django_db


def signup(client, username, **extra):
    data = {"username": username, "email": f"{username}@example.org", "display_name": username.title(),
            "leaderboard_alias": f"{username}-a", "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42", "join_code": "basics-demo-code", **extra}
    return client.post("/signup/", data)


def test_sign_up_asks_for_a_group_and_puts_the_student_in_it(client):
    a, b = StudyGroup.objects.create(name="Monday lab"), StudyGroup.objects.create(name="Tuesday lab")
    page = signup(client, "newbie").content.decode()
    assert "Choose your study group (your TA tells you which)." in page
    assert not Profile.objects.exists()
    assert signup(client, "newbie", group=b.pk).status_code == 302
    assert Profile.objects.get(user__username="newbie").group == b and a.members.count() == 0


def test_round_robin_puts_each_new_student_in_the_group_with_the_fewest_members(client, settings):
    settings.COURSE_GROUP_ASSIGNMENT = "round_robin"
    groups = [StudyGroup.objects.create(name=n) for n in ("A", "B", "C")]
    make_profile(make_student("early"), group=groups[0])
    assert "choose your group" not in client.get("/signup/").content.decode()
    for name in ("s1", "s2", "s3", "s4"):
        client.logout()
        assert signup(client, name).status_code == 302
    placed = [Profile.objects.get(user__username=n).group.name for n in ("s1", "s2", "s3", "s4")]
    assert placed == ["B", "C", "A", "B"]


def test_staff_move_students_between_groups_audited_and_see_who_has_none(client):
    a, b = StudyGroup.objects.create(name="A"), StudyGroup.objects.create(name="B")
    ana, ben, cy = make_student("ana"), make_student("ben"), make_student("cy")
    make_profile(ana, group=a)
    make_profile(ben)
    client.force_login(make_ta())
    page = client.get("/ta/groups/none/").content.decode()
    assert "ben" in page and "cy" in page and ">ana<" not in page  # cy has no profile at all: listed too
    response = client.post("/ta/groups/move/", {"student": [ben.pk, cy.pk], "group": b.pk, "back": "/ta/groups/none/"})
    assert response.url == "/ta/groups/none/"
    assert {p.user.username for p in b.members.all()} == {"ben", "cy"}
    client.post("/ta/groups/move/", {"student": [ana.pk], "group": "none"})
    assert Profile.objects.get(user=ana).group is None
    events = AuditEvent.objects.filter(action="group_changed")
    assert events.count() == 3 and events.get(student=ana).changes == {"before": "A", "after": None}
    assert "Nobody here." not in client.get("/ta/groups/none/").content.decode()


def test_a_move_that_names_a_ta_or_nobody_moves_nobody(client):
    group = StudyGroup.objects.create(name="A")
    ana = make_student("ana")
    make_profile(ana)
    ta = make_ta()
    client.force_login(ta)
    response = client.post("/ta/groups/move/", {"student": [ana.pk, ta.pk], "group": group.pk}, follow=True)
    assert "Some of those are not students of this course" in response.content.decode()
    assert not group.members.exists()
    response = client.post("/ta/groups/move/", {"group": group.pk}, follow=True)
    assert "Tick the students to move first." in response.content.decode()
    response = client.post("/ta/groups/move/", {"student": [ana.pk], "group": "", "back": "https://evil.example/"},
                           follow=True)
    assert "Choose the group to move them to." in response.content.decode()
    assert response.redirect_chain[-1][0] == "/ta/groups/"


def test_a_tas_queues_default_to_their_own_groups_with_all_and_unassigned_one_click_away(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_course()
    ta, other_ta = make_ta("tara"), make_ta("omar")
    mine, theirs = StudyGroup.objects.create(name="Mine", ta=ta), StudyGroup.objects.create(name="Theirs", ta=other_ta)
    for name, group in (("ana", mine), ("ben", theirs), ("cy", None)):
        student = make_student(name)
        make_profile(student, group=group)
        submitted_synthesis(student)
    client.force_login(ta)
    page = client.get("/ta/")
    assert [i.student.username for i in page.context["items"]] == ["ana"]
    assert page.context["counts"]["synthesis"] == 1 and "Showing your group: Mine" in page.content.decode()
    assert 'href="?queue=synthesis&group=all"' in page.content.decode()
    assert client.get("/ta/?queue=synthesis&group=all").context["counts"]["synthesis"] == 3
    assert [i.student.username for i in client.get("/ta/?group=none").context["items"]] == ["cy"]
    # Save and next stays within the TA's own groups.
    item = page.context["items"][0]
    from tests.factories import full_marks

    assert client.post(f"/ta/synthesis/{item.pk}/", full_marks(item)).url == "/ta/?queue=synthesis"
    # A TA who leads no group sees everyone.
    client.force_login(make_ta("new"))
    assert client.get("/ta/").context["counts"]["synthesis"] == 2


def test_two_tas_default_views_are_their_own_though_the_listing_is_cached(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_course()
    Assignment.objects.update(anonymous_review=False)  # whose students each sees, told by their names
    tara, omar = make_ta("tara"), make_ta("omar")
    for name, ta in (("ana", tara), ("ben", omar)):
        student = make_student(name)
        make_profile(student, group=StudyGroup.objects.create(name=f"{name}'s group", ta=ta))
        submitted_synthesis(student)
    pages = []
    for ta in (tara, omar, tara):  # the second visit of Tara's comes from the cache
        client.force_login(ta)
        pages.append(client.get("/ta/").content.decode())
    for page, mine, theirs in ((pages[0], "Ana", "Ben"), (pages[1], "Ben", "Ana"), (pages[2], "Ana", "Ben")):
        assert f">{mine}</a>" in page and f">{theirs}</a>" not in page
