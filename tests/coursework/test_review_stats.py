"""The review statistics find the harsh grader and say how each criterion's marks are used."""
import random

import pytest

from coursework.models import EssaySubmission
from coursework.services import review_stats, reviews, rubrics
from tests.factories import make_course, make_student, make_ta, submitted_essays

pytestmark = pytest.mark.django_db


def review_with(item, ta, share: float):
    marks = {c.pk: rubrics.Mark(round(c.max_points * share * 2) / 2) for c in rubrics.criteria_for(item)}
    reviews.review(item, ta, marks, "Reviewed.")


@pytest.fixture
def class_reviewed(settings, tmp_path):
    """Thirty essay sets: two TAs who mark alike (about 80% of the points) and one who gives
    about half."""
    settings.MEDIA_ROOT = tmp_path
    make_course()
    rng = random.Random(3)
    tas = {"ana": make_ta("ana"), "bo": make_ta("bo"), "cy": make_ta("cy")}
    for i in range(30):
        item = submitted_essays(make_student(f"s{i:02d}"))
        name = ["ana", "bo", "cy"][i % 3]
        review_with(item, tas[name], rng.uniform(0.4, 0.6) if name == "cy" else rng.uniform(0.7, 0.9))
    return tas


def test_the_harsh_grader_is_named_and_the_others_are_in_line(class_reviewed):
    _, graders = review_stats.summary()
    verdicts = {g.name: g.verdict for g in graders if g.task == "Essays"}
    assert verdicts == {"ana": "in line with the others", "bo": "in line with the others",
                        "cy": "harsher than the others"}
    assert all(g.n == 10 and g.per_hour == 10 for g in graders)  # all saved within this hour


def test_each_criterion_reports_its_mean_spread_and_how_often_each_mark_is_given(class_reviewed):
    criteria, _ = review_stats.summary()
    clarity = next(c for c in criteria if c.title == "Clarity")
    assert clarity.n == 30 and clarity.max_points == 2
    assert sum(count for _, count, _ in clarity.usage) == 30
    assert 0 < clarity.spread and 0 < clarity.mean < 2


def test_the_page_shows_both_tables_in_constant_queries(client, class_reviewed, django_assert_max_num_queries):
    client.force_login(class_reviewed["ana"])
    with django_assert_max_num_queries(12):
        page = client.get("/ta/statistics/").content.decode()
    assert "harsher than the others" in page and "Clarity" in page
    assert EssaySubmission.objects.count() == 30
