"""A section of the course of one test's own, on a running stack: a study group with its TAs
and a student, under names no other test uses, and the work a TA's queues need (essay sets,
synthesis answers). Tests sharing one stack each make their own, so none sees another's people
or, in a queue filtered by its group, another's work.

The site holds one course (the demo content seed_demo loads): what a test may not share is
anything site-wide, such as an assignment's settings, the leaderboard, or every answer to a
question. Tests that change or count those start a stack of their own.

`Section.create` runs `_create` below inside the stack's Django (`manage.py shell`), as
tests/support/showcase.py does.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from tests.support.essays import ESSAY


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    display_name: str


@dataclass(frozen=True)
class EssaySet:
    pk: int
    writer: Account


@dataclass
class Section:
    stack: object  # tests.support.stack.Stack
    tag: str
    group_id: int
    group_name: str
    tas: list[Account]
    student: Account

    @property
    def ta(self) -> Account:
        """The TA who leads the group (the first one made)."""
        return self.tas[0]

    @classmethod
    def create(cls, stack, tas: int = 1, tag: str | None = None) -> "Section":
        """A new study group led by the first of `tas` new TAs (all with the TA permissions), and a student in it."""
        tag = tag or secrets.token_hex(3)
        made = _run(stack, "_create", {"tag": tag, "tas": tas})
        return cls(stack=stack, tag=tag, group_id=made["group"], group_name=made["group_name"],
                   tas=[Account(**a) for a in made["tas"]], student=Account(**made["student"]))

    def essay_sets(self, count: int, text: str = ESSAY, **assignment_settings) -> list[EssaySet]:
        """`count` submitted essay sets, each by a new writer in this group, oldest first.
        `assignment_settings` (e.g. publish_reviews) are set on the essays task first: site-wide,
        so only on a stack of the test's own."""
        made = _run(self.stack, "_essay_sets", {"tag": self.tag, "group": self.group_id, "count": count, "text": text,
                                                "settings": assignment_settings})
        return [EssaySet(pk=m["pk"], writer=Account(**m["writer"])) for m in made]

    def synthesis_answers(self, question_set: str, question: str, texts: list[str]) -> dict:
        """One submitted response to `question_set` (a page slug) per text, each by a new writer in this
        group, with that text as the answer to the question starting `question` (the others answered
        "An answer."): {"question": its id, "answers": the answers' ids, in the order of `texts`}."""
        return _run(self.stack, "_synthesis_answers", {"tag": self.tag, "group": self.group_id,
                                                       "question_set": question_set, "question": question,
                                                       "texts": texts})


def _run(stack, function: str, spec: dict):
    code = f"from tests.support.course import {function}; {function}({json.dumps(spec)!r})"
    return json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])


# What follows runs inside the stack's Django, not in the test process.

def _person(username: str, display_name: str, group=None, ta: bool = False):
    from django.contrib.auth.models import User

    from coursework.models import Profile
    from coursework.services.staff_access import grant_ta_permissions

    password = f"{username}-pass-{secrets.token_hex(4)}"
    user = User.objects.create_user(username, password=password, is_staff=ta)
    if ta:
        user.groups.add(grant_ta_permissions())
    Profile.objects.create(user=user, display_name=display_name, leaderboard_alias=username, group=group)
    return user, {"username": username, "password": password, "display_name": display_name}


def _create(spec: str) -> None:
    from coursework.models import StudyGroup

    spec = json.loads(spec)
    tag = spec["tag"]
    group = StudyGroup.objects.create(name=f"Group {tag}")
    tas = []
    for i in range(spec["tas"]):
        user, account = _person(f"ta{i + 1}-{tag}", f"TA {i + 1} {tag}", ta=True)
        if not i:
            group.ta = user
            group.save()
        tas.append(account)
    _, student = _person(f"student-{tag}", f"Student {tag}", group=group)
    print(json.dumps({"group": group.pk, "group_name": group.name, "tas": tas, "student": student}))


def _essay_sets(spec: str) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from coursework.models import Assignment, Essay, EssayPrompt, EssaySubmission, StudyGroup

    spec = json.loads(spec)
    if spec["settings"]:
        Assignment.objects.filter(slug="essays").update(**spec["settings"])
    group = StudyGroup.objects.get(pk=spec["group"])
    made = []
    for i in range(spec["count"]):
        writer, account = _person(f"writer{i}-{spec['tag']}", f"Writer {i} {spec['tag']}", group=group)
        essays = EssaySubmission.objects.create(student=writer, version=1,
                                                submitted_at=timezone.now() - timedelta(minutes=60 - i))
        for prompt in EssayPrompt.objects.order_by("order")[:3]:
            Essay.objects.create(submission=essays, prompt=prompt, text=spec["text"], meaningful_words=240)
        made.append({"pk": essays.pk, "writer": account})
    print(json.dumps(made))


def _synthesis_answers(spec: str) -> None:
    from django.utils import timezone

    from coursework.models import Answer, QuestionSet, StudyGroup, SynthesisResponse

    spec = json.loads(spec)
    group = StudyGroup.objects.get(pk=spec["group"])
    question_set = QuestionSet.objects.get(page__slug=spec["question_set"])
    question = question_set.questions.get(text__startswith=spec["question"])
    ids = []
    for i, text in enumerate(spec["texts"]):
        writer, _ = _person(f"answerer{i}-{spec['tag']}", f"Answerer {i} {spec['tag']}", group=group)
        response = SynthesisResponse.objects.create(student=writer, question_set=question_set, status="submitted",
                                                    submitted_at=timezone.now())
        for q in question_set.questions.all():
            Answer.objects.create(response=response, question=q, text=text if q == question else "An answer.")
        ids.append(Answer.objects.get(response=response, question=question).pk)
    print(json.dumps({"question": question.pk, "answers": ids}))


def unique(name: str) -> str:
    """A username no other test on the shared stack uses, for a test that signs someone up itself."""
    return f"{name}-{secrets.token_hex(3)}"
