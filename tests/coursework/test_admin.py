"""A TA who is not a superuser can use the admin for rubrics, groups, content and deadlines."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Extension, RubricCriterion
from tests.factories import make_course, make_profile, make_student, make_ta

pytestmark = pytest.mark.django_db

PAGES = ["/admin/", "/admin/coursework/rubriccriterion/", "/admin/coursework/studygroup/",
         "/admin/coursework/page/", "/admin/coursework/questionset/", "/admin/coursework/essayprompt/",
         "/admin/coursework/assignment/", "/admin/coursework/extension/", "/admin/coursework/extension/add/",
         "/admin/coursework/rubriccriterion/add/", "/admin/coursework/appeal/", "/admin/coursework/notification/"]


def test_a_ta_who_is_not_a_superuser_opens_the_admin_pages_for_rubrics_groups_content_and_deadlines(client, settings,
                                                                                                    tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_course()
    ta = make_ta()
    assert not ta.is_superuser
    client.force_login(ta)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "You don’t have permission to view or edit anything" not in response.content.decode(), url
    criterion = RubricCriterion.objects.first()
    assert client.get(f"/admin/coursework/rubriccriterion/{criterion.pk}/change/").status_code == 200
    # Creating or deleting tasks stays with the instructor.
    assert client.get("/admin/coursework/assignment/add/").status_code == 403


def test_the_admin_grants_extensions_by_the_same_rules_and_audit(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tasks = make_course()
    ta, student = make_ta(), make_student("ana")
    make_profile(student)
    client.force_login(ta)
    task = tasks["essays"]
    before = timezone.localtime(task.due_at - timedelta(days=1))
    data = {"assignment": task.pk, "student": student.pk, "due_at_0": before.strftime("%Y-%m-%d"),
            "due_at_1": before.strftime("%H:%M:%S"), "reason": "x"}
    page = client.post("/admin/coursework/extension/add/", data).content.decode()
    assert "An extension must end after the task" in page and not Extension.objects.exists()
    after = timezone.localtime(task.due_at + timedelta(days=1))
    data.update(due_at_0=after.strftime("%Y-%m-%d"), due_at_1=after.strftime("%H:%M:%S"))
    assert client.post("/admin/coursework/extension/add/", data).status_code == 302
    extension = Extension.objects.get()
    assert extension.granted_by == ta and task.audit_trail.filter(action="extension_granted").exists()


def test_a_plain_student_cannot_open_the_admin(client):
    client.force_login(make_student())
    assert client.get("/admin/coursework/rubriccriterion/").status_code == 302


def _submissions_list(client, settings, tmp_path, how_many: int, cap: int, monkeypatch):
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coursework import admin as coursework_admin
    from tests.factories import make_submission

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(coursework_admin.CappedCountPaginator, "COUNT_CAP", cap)
    student = make_student("ana")
    for _ in range(how_many):
        make_submission(student)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/coursework/submission/").content.decode()
    return page, [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_the_admins_list_of_submissions_counts_no_further_than_its_cap_and_says_so(client, settings, tmp_path,
                                                                                 monkeypatch):
    page, counts = _submissions_list(client, settings, tmp_path, how_many=5, cap=3, monkeypatch=monkeypatch)
    assert "more than 3 submissions" in page
    assert counts and all("LIMIT 4" in sql for sql in counts if "coursework_submission" in sql)


def test_a_list_under_the_cap_says_its_exact_count(client, settings, tmp_path, monkeypatch):
    page, _ = _submissions_list(client, settings, tmp_path, how_many=2, cap=3, monkeypatch=monkeypatch)
    assert "2 submissions" in page and "more than" not in page
