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


def make_course(due_in_days: float = 7):
    """The unit's content, its three tasks due in `due_in_days` days, and the suggested rubrics."""
    from datetime import timedelta

    from django.utils import timezone

    from coursework.services.content import load_content
    from coursework.services.rubrics import seed_defaults

    load_content()
    due = timezone.now() + timedelta(days=due_in_days)
    tasks = {}
    for slug, kind in (("mnist", Assignment.NOTEBOOK), ("essays", Assignment.ESSAYS),
                       ("synthesis", Assignment.SYNTHESIS)):
        task = make_assignment(slug, kind=kind, title=slug.title())
        task.due_at = due
        task.save()
        tasks[kind] = task
    seed_defaults()
    return tasks


def make_profile(user, group=None, email: str | None = None):
    from coursework.models import Profile

    if email is not None:
        user.email = email
        user.save(update_fields=["email"])
    return Profile.objects.create(user=user, display_name=user.username.title(),
                                  leaderboard_alias=f"{user.username}-alias", group=group)


def submitted_synthesis(student, slug="video-what-is-a-neural-network", text="Because the weights scale the inputs."):
    from django.utils import timezone

    from coursework.models import Answer, QuestionSet, SynthesisResponse

    question_set = QuestionSet.objects.get(page__slug=slug)
    response = SynthesisResponse.objects.create(student=student, question_set=question_set, status="submitted",
                                                submitted_at=timezone.now())
    for q in question_set.questions.all():
        Answer.objects.create(response=response, question=q, text=text)
    return response


def submitted_essays(student, text: str | None = None, version: int = 1):
    from coursework.models import Essay, EssayPrompt, EssaySubmission

    if text is None:
        from tests.support.essays import ESSAY as text
    submission = EssaySubmission.objects.create(student=student, version=version)
    for prompt in EssayPrompt.objects.all()[:3]:
        Essay.objects.create(submission=submission, prompt=prompt, text=text, meaningful_words=240)
    return submission


def full_marks(item, **overrides) -> dict:
    """A review form's fields giving every criterion of the item's rubric its maximum."""
    from coursework.services.rubrics import criteria_for

    data = {"feedback": "Good work.", "version": str(item.review_version)}
    for c in criteria_for(item):
        data[f"criterion-{c.pk}"] = str(c.max_points)
    data.update(overrides)
    return data
