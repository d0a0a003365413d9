from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile

from coursework.models import Assignment, Submission


def make_assignment(slug="mnist", **fields) -> Assignment:
    return Assignment.objects.get_or_create(slug=slug, defaults={"title": "MNIST", **fields})[0]


def make_student(username="alice") -> User:
    return User.objects.create_user(username, password="pw-for-tests-123")


def make_ta(username="tara") -> User:
    user = User.objects.create_user(username, password="pw-for-tests-123", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="TA")[0])
    return user


def make_submission(student, data: bytes = b"{}", **fields) -> Submission:
    submission = Submission(assignment=make_assignment(), student=student, **{"original_name": "nb.ipynb", **fields})
    submission.notebook.save("submission.ipynb", ContentFile(data), save=False)
    submission.save()
    return submission
