"""Queries and time per page of the review loop, at two class sizes.

Fills a throwaway database (SQLite in memory, or a database of its own on the PostgreSQL in
DATABASE_URL, dropped at the end) with a class whose work is reviewed with the suggested
rubrics, with appeals, extensions and notifications, then asks each page of the review
loop through Django's test client, in process: the TA dashboard (every queue), a review
page, an appeal, the rubric builder, a synthesis question's answers in groups, the student's My progress and inbox, a page header
with the unread count, and the gradebook CSV. Prints, per page, the SQL queries at each
class size and the p50/p95 time over --repeat requests at the larger size.

    python benchmarks/review_pages.py [--small 200] [--large 2000] [--repeat 30]

Last line: progress_queries=Q pages_whose_queries_grow=N progress_p95_ms=X dashboard_p95_ms=Y
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")


def fill(students: int, offset: int) -> None:
    """Add `students` students (numbered from `offset`) with reviewed work, appeals and notifications."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from coursework.models import (Appeal, Assignment, EssaySubmission, Extension, Notification, Profile,
                                   QuestionSet, StudyGroup, Submission, SynthesisResponse)
    from coursework.services import rubrics

    rng = random.Random(offset + 7)
    now = timezone.now()
    groups = list(StudyGroup.objects.order_by("pk"))
    users = User.objects.bulk_create([User(username=f"s{i:05d}", email=f"s{i}@example.org")
                                      for i in range(offset, offset + students)], batch_size=1000)
    Profile.objects.bulk_create([Profile(user=u, display_name=f"Student {u.username}", leaderboard_alias=u.username,
                                         group=groups[i % len(groups)]) for i, u in enumerate(users)], batch_size=1000)
    sets = list(QuestionSet.objects.filter(optional=False))
    snapshots = {}
    for qs in sets:
        response = SynthesisResponse(question_set=qs)
        snapshots[qs.pk] = rubrics.criteria_for(response)
    essay_criteria = rubrics.criteria_for(EssaySubmission())
    notebook = Assignment.objects.the(Assignment.NOTEBOOK)  # the unit's task (a PyTorch variant is a second)

    def reviewed(criteria):
        marks = {c.pk: rubrics.Mark(rng.randint(0, c.max_points)) for c in criteria}
        snap = rubrics.snapshot(criteria, marks, scored=True)
        return dict(status="reviewed", rubric=snap, score=rubrics.total(snap), max_score=rubrics.maximum(criteria),
                    reviewed_at=now, review_version=1)

    responses, essays, submissions = [], [], []
    for u in users:
        for qs in sets:
            fields = reviewed(snapshots[qs.pk]) if rng.random() < 0.6 else {"status": "submitted"}
            responses.append(SynthesisResponse(student=u, question_set=qs, submitted_at=now, **fields))
        if rng.random() < 0.5:
            essays.append(EssaySubmission(student=u, version=1, submitted_at=now,
                                          **(reviewed(essay_criteria) if rng.random() < 0.5 else {})))
        for _ in range(rng.randint(0, 6)):
            accuracy = rng.uniform(0.5, 0.99)
            submissions.append(Submission(assignment=notebook, student=u, notebook="bench.ipynb", original_name="b.ipynb",
                                          status=rng.choice(["graded"] * 8 + ["failed"]), accuracy=accuracy,
                                          public_accuracy=accuracy, private_accuracy=accuracy,
                                          score=notebook.score_for(accuracy), created_at=now, finished_at=now))
    SynthesisResponse.objects.bulk_create(responses, batch_size=1000)
    # Every student's answer to the question the grouping page is measured on, written as a
    # class writes them (the hint population's answers and near-duplicates of them).
    from coursework.models import Answer
    from tests.support.answer_population import class_of

    question = grouped_question()
    mine = [r for r in responses if r.question_set_id == question.question_set_id]
    texts = class_of("output_layer", len(mine), seed=offset)
    Answer.objects.bulk_create([Answer(response=r, question=question, text=t.text) for r, t in zip(mine, texts)],
                               batch_size=1000)
    EssaySubmission.objects.bulk_create(essays, batch_size=1000)
    # Each essay set's essay on the prompt the passages page is measured on, written as a class
    # writes them (tests/support/passage_population.py: recurring passages among the student's own).
    from coursework.models import Essay
    from tests.support.passage_population import class_essays

    prompt, written = grouped_prompt(), class_essays("neurons", len(essays), seed=offset)
    Essay.objects.bulk_create([Essay(submission=e, prompt=prompt, text=w.text, meaningful_words=240)
                               for e, w in zip(essays, written)], batch_size=1000)
    Submission.objects.bulk_create(submissions, batch_size=1000)
    appealed = [e for e in EssaySubmission.objects.filter(student__in=users, status="reviewed")][: students // 20]
    Appeal.objects.bulk_create([Appeal(student_id=e.student_id, target=e, what="Essays, version 1", reason="Again?",
                                       filed_against={"token": "review-1"}) for e in appealed])
    Extension.objects.bulk_create([Extension(assignment=notebook, student=u, due_at=now) for u in users[::25]])
    Notification.objects.bulk_create([Notification(recipient=u, kind="reviewed", event_key=f"bench:{u.pk}:{k}",
                                                    title="Reviewed", email_status="sent")
                                      for u in users for k in range(3)], batch_size=1000)


def grouped_question():
    from coursework.models import Question

    return Question.objects.get(question_set__page__slug="video-what-is-a-neural-network",
                                text__startswith="What does the last layer")


def grouped_prompt():
    from coursework.models import EssayPrompt

    return EssayPrompt.objects.get(order=3)


def analyze() -> None:
    """Fresh planner statistics after the bulk inserts, as a database in use would have."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def fetch(client, url: str):
    """The whole response: a streamed one (the gradebook) is read to its end."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def measure(client, url: str, repeat: int) -> tuple[int, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fetch(client, url)  # warm caches (content types, templates)
    with CaptureQueriesContext(connection) as captured:
        response = fetch(client, url)
    assert response.status_code == 200, (url, response.status_code)
    queries = len(captured)  # now: the next request's start clears the log it reads from
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fetch(client, url)
        times.append((time.perf_counter() - start) * 1000)
    return queries, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_review_pages_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, Client)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args, client_class) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from coursework.models import Appeal, EssaySubmission, StudyGroup, SynthesisResponse

    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    ta = User.objects.get(username="ta")
    for i in range(9):
        StudyGroup.objects.create(name=f"Bench {i}", ta=ta if i == 0 else None)
    fill(args.small, 0)
    analyze()
    me = User.objects.get(username="s00000")

    def pages() -> dict[str, tuple[User, str]]:
        synthesis = SynthesisResponse.objects.filter(status="submitted").order_by("pk").first()
        essays = EssaySubmission.objects.order_by("pk").first()
        appeal = Appeal.objects.order_by("pk").first()
        return {
            "dashboard synthesis": (ta, "/ta/?queue=synthesis"),
            "dashboard essays": (ta, "/ta/?queue=essays&group=all"),
            "dashboard notebooks": (ta, "/ta/?queue=notebooks&group=all"),
            "dashboard appeals": (ta, "/ta/?queue=appeals&group=all"),
            "review synthesis": (ta, f"/ta/synthesis/{synthesis.pk}/"),
            "review essays": (ta, f"/ta/essays/{essays.pk}/"),
            "appeal": (ta, f"/ta/appeals/{appeal.pk}/"),
            "rubric builder": (ta, "/ta/rubrics/essays/"),
            "groups": (ta, "/ta/groups/"),
            "answers in groups": (ta, f"/ta/answers/{grouped_question().pk}/"),
            "essay prompts": (ta, "/ta/passages/"),
            "passages in groups": (ta, f"/ta/passages/{grouped_prompt().pk}/"),
            "review statistics": (ta, "/ta/statistics/"),
            "publish essays": (ta, "/ta/assignments/essays/publish/"),
            "my progress": (me, "/progress/"),
            "inbox": (me, "/inbox/"),
            "leaderboard (header count)": (me, "/leaderboard/"),
            "gradebook csv": (ta, "/ta/gradebook.csv"),
        }

    clients = {}

    def client_for(user):
        if user.pk not in clients:
            clients[user.pk] = client_class()
            clients[user.pk].force_login(user)
        return clients[user.pk]

    small = {name: measure(client_for(u), url, 1)[0] for name, (u, url) in pages().items()}
    fill(args.large - args.small, args.small)
    analyze()
    large = {}
    for name, (u, url) in pages().items():
        repeat = max(3, args.repeat // 10) if name == "gradebook csv" else args.repeat
        large[name] = measure(client_for(u), url, repeat)
    # The grouping page's first visit after answers change computes the groups (then cached).
    from django.core.cache import cache

    for name in ("answers in groups", "passages in groups"):
        cold = []
        for _ in range(3):
            cache.clear()
            started = time.perf_counter()
            fetch(client_for(ta), pages()[name][1])
            cold.append((time.perf_counter() - started) * 1000)
        print(f"{name}, groups computed ({args.large} students): best of 3 {min(cold):.0f} ms")
    print(f"{'page':28} {'queries@' + str(args.small):>12} {'queries@' + str(args.large):>13} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (queries, times) in large.items():
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
        print(f"{name:28} {small[name]:>12} {queries:>13} {statistics.median(times):>8.1f} {p95:>8.1f}")
    # The gradebook reads students a batch (gradebook.BATCH) at a time, with the same few
    # queries per batch: its count grows with the number of batches, never per student.
    from coursework.services.gradebook import BATCH

    batches = {size: size // BATCH + 1 for size in (args.small, args.large)}
    print(f"(gradebook csv: {batches[args.small]} and {batches[args.large]} batches of up to {BATCH} students)")
    growing = [name for name in large if large[name][0] != small[name] and name != "gradebook csv"]
    if growing:
        print("queries grow with the class on: " + ", ".join(growing))

    def p95(name):
        times = large[name][1]
        return statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)

    dashboard = max(p95(n) for n in large if n.startswith("dashboard"))
    print(f"progress_queries={large['my progress'][0]} pages_whose_queries_grow={len(growing)} "
          f"progress_p95_ms={p95('my progress'):.1f} dashboard_p95_ms={dashboard:.1f}")


if __name__ == "__main__":
    main()
