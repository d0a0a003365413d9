from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Profile, StandingsVersion, Submission
from coursework.services import leaderboard
from tests.factories import make_assignment, make_student, make_submission
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def student(name, alias, show_name=False):
    user = make_student(name)
    Profile.objects.create(user=user, display_name=name.title(), leaderboard_alias=alias, show_name_on_leaderboard=show_name)
    return user


def graded(user, public, private=None, minutes_ago=0, **fields):
    submission = make_submission(user, status=SubmissionStatus.GRADED, accuracy=public, public_accuracy=public,
                                 private_accuracy=private if private is not None else public, **fields)
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago),
                                                       finished_at=timezone.now() - timedelta(minutes=minutes_ago))
    return submission


def test_each_student_appears_once_with_their_best_and_their_submission_count():
    assignment = make_assignment()
    ada = student("ada", "lovelace")
    graded(ada, 0.91)
    graded(ada, 0.95)
    make_submission(ada, status=SubmissionStatus.FAILED)
    rows = leaderboard.standings(assignment)
    assert [(r.name, r.accuracy, r.submissions) for r in rows] == [("lovelace", 0.95, 3)]


def test_full_precision_ranks_and_the_earlier_submission_wins_a_tie():
    assignment = make_assignment()
    graded(student("a", "early"), 0.9512, minutes_ago=30)
    graded(student("b", "late"), 0.9512, minutes_ago=5)
    graded(student("c", "close"), 0.95119)
    assert [r.name for r in leaderboard.standings(assignment)] == ["early", "late", "close"]


def test_names_show_only_for_students_who_chose_to_show_them():
    assignment = make_assignment()
    graded(student("grace", "amazing", show_name=True), 0.9)
    graded(student("alan", "enigma"), 0.8)
    assert [r.name for r in leaderboard.standings(assignment)] == ["Grace", "enigma"]


def test_open_or_upheld_flags_do_not_count_and_cleared_ones_do():
    assignment = make_assignment()
    cheat = student("x", "suspect")
    graded(cheat, 0.999, flagged=True)
    graded(student("y", "honest"), 0.9)
    assert [r.name for r in leaderboard.standings(assignment)] == ["honest"]
    Submission.objects.filter(student=cheat).update(flag_resolution="cleared")
    assert [r.name for r in leaderboard.standings(assignment)] == ["suspect", "honest"]


def test_the_private_half_ranks_once_revealed():
    assignment = make_assignment()
    graded(student("p", "public-star"), 0.95, private=0.90)
    graded(student("q", "private-star"), 0.93, private=0.94)
    assert leaderboard.standings(assignment)[0].name == "public-star"
    assignment.private_revealed = True
    assignment.save()
    assert leaderboard.standings(assignment)[0].name == "private-star"


def test_the_reference_is_a_baseline_row_placed_by_its_accuracy():
    assignment = make_assignment()
    graded(student("a", "top"), 0.99)
    graded(student("b", "bottom"), 0.90)
    rows = leaderboard.with_reference(leaderboard.standings(assignment), 0.98, "NumPy 784-512-10")
    assert [(r.name.split(" (")[0], r.rank) for r in rows] == [("top", 1), ("Reference network", None), ("bottom", 2)]


def test_the_page_marks_the_viewer_and_draws_the_chart(client):
    make_assignment()
    me = student("me", "myself")
    graded(me, 0.93, minutes_ago=60 * 24)
    graded(student("o", "other"), 0.95)
    client.force_login(me)
    page = client.get("/leaderboard/").content.decode()
    assert f'tr[data-student="{me.pk}"]' in page and f'data-student="{me.pk}"' in page
    assert "<svg" in page and "baseline" in page


def test_a_large_class_is_paged_and_ranks_continue_on_the_next_page(client):
    make_assignment()
    for i in range(130):
        graded(student(f"s{i:03d}", f"alias{i:03d}"), 0.5 + i / 1000)
    first = client.get("/leaderboard/").context
    second = client.get("/leaderboard/?page=2").context
    assert first["total"] == 130 and first["last_page"] == 2
    assert [r.rank for r in first["rows"] if not r.is_reference][:2] == [1, 2]
    ranked = [r for r in second["rows"] if not r.is_reference]
    assert ranked[0].rank == 101 and ranked[-1].rank == 130 and ranked[-1].name == "alias000"


def test_the_cached_page_changes_as_soon_as_a_new_grade_or_a_flag_decision_lands(client):
    make_assignment()
    first = graded(student("a", "first"), 0.90, minutes_ago=10)
    assert [r.name for r in client.get("/leaderboard/").context["rows"] if not r.is_reference] == ["first"]
    graded(student("b", "second"), 0.95)
    assert [r.name for r in client.get("/leaderboard/").context["rows"] if not r.is_reference] == ["second", "first"]
    Submission.objects.filter(pk=first.pk).update(flagged=True, flag_resolution="upheld", flag_resolved_at=timezone.now())
    assert [r.name for r in client.get("/leaderboard/").context["rows"] if not r.is_reference] == ["second"]


def names_on_the_page(client) -> list[str]:
    return [r.name for r in client.get("/leaderboard/").context["rows"] if not r.is_reference]


def version(assignment) -> int:
    return StandingsVersion.objects.filter(assignment=assignment).values_list("version", flat=True).first() or 0


def test_the_standings_version_counts_every_write_that_can_move_the_leaderboard_and_no_other():
    assignment = make_assignment()
    ada = student("ada", "lovelace")
    before = version(assignment)
    queued = make_submission(ada)  # not graded: nothing on the board moves
    Submission.objects.filter(pk=queued.pk).update(status=SubmissionStatus.RUNNING, heartbeat_at=timezone.now())
    assert version(assignment) == before
    best = graded(ada, 0.91)
    assert version(assignment) > before
    steps = [
        lambda: Submission.objects.filter(pk=best.pk).update(heartbeat_at=timezone.now()),  # not shown: no change
        lambda: Submission.objects.filter(pk=best.pk).update(public_accuracy=0.92),
        lambda: Submission.objects.filter(pk=best.pk).update(flagged=True),
        lambda: Submission.objects.filter(pk=best.pk).update(flag_resolution="cleared"),
        lambda: Profile.objects.filter(user=ada).update(leaderboard_alias="countess"),
        lambda: Submission.objects.filter(pk=best.pk).update(status=SubmissionStatus.QUEUED),  # a regrade withdraws it
        lambda: Submission.objects.filter(pk=best.pk).update(status=SubmissionStatus.GRADED),
        lambda: Submission.objects.filter(pk=best.pk).delete(),
    ]
    seen = [version(assignment)]
    for step in steps:
        step()
        seen.append(version(assignment))
    assert seen[1] == seen[0], "a heartbeat must not empty the cache"
    assert all(later > earlier for earlier, later in zip(seen[1:], seen[2:])), seen


def test_the_cached_page_drops_a_grade_that_a_regrade_withdraws_and_shows_a_new_alias(client):
    make_assignment()
    ada, bob = student("ada", "lovelace"), student("bob", "builder")
    graded(ada, 0.95)
    withdrawn = graded(bob, 0.90)
    assert names_on_the_page(client) == ["lovelace", "builder"]
    Submission.objects.filter(pk=withdrawn.pk).update(status=SubmissionStatus.QUEUED, finished_at=None, public_accuracy=None)
    assert names_on_the_page(client) == ["lovelace"]
    Profile.objects.filter(user=ada).update(leaderboard_alias="countess")
    assert names_on_the_page(client) == ["countess"]


def test_a_cached_leaderboard_page_costs_the_same_few_queries_with_any_number_of_submissions(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_assignment()
    ada = student("ada", "lovelace")
    counts = []
    for _ in range(2):
        for _ in range(20):
            graded(ada, 0.9)
        client.get("/leaderboard/")  # fills the cache for this version
        with CaptureQueriesContext(connection) as queries:
            client.get("/leaderboard/")
        counts.append(len(queries))
        assert not any("coursework_submission" in q["sql"] for q in queries.captured_queries)
    assert counts[0] == counts[1]


def test_rank_changes_count_from_the_grades_finished_before_the_day_began():
    assignment = make_assignment()
    ada, bob, cy = student("ada", "lovelace"), student("bob", "babbage"), student("cy", "cyborg")
    graded(ada, 0.95, minutes_ago=120)
    graded(bob, 0.90, minutes_ago=120)
    graded(bob, 0.97)  # today: overtakes ada
    graded(cy, 0.99)  # today: a first grade
    day_began = timezone.now() - timedelta(hours=1)

    rows = leaderboard.with_changes(assignment, leaderboard.standings(assignment), day_began)

    assert [(r.name, r.rank, r.change, r.new_today) for r in rows] == [
        ("cyborg", 1, None, True), ("babbage", 2, 0, False), ("lovelace", 3, -2, False)]


def test_an_unresolved_flag_yesterday_does_not_give_a_place_to_lose():
    assignment = make_assignment()
    ada, bob = student("ada", "lovelace"), student("bob", "babbage")
    graded(ada, 0.99, minutes_ago=120, flagged=True)
    graded(bob, 0.90, minutes_ago=120)
    day_began = timezone.now() - timedelta(hours=1)

    assert leaderboard.ranks_at(assignment, day_began, [ada.pk, bob.pk]) == {bob.pk: 1}


def test_the_chart_of_a_single_day_is_one_labelled_dot_on_round_axes():
    from datetime import date

    svg = leaderboard.chart_svg([(date(2026, 11, 26), 0.9712)], reference=0.9801)

    assert svg.count("<circle") == 1 and "<polyline" not in svg  # nothing to join yet
    assert "26 Nov: 97.12%" in svg and ">97.12%</text>" in svg
    assert ">97%</text>" in svg and ">98%</text>" in svg  # round ticks around the value and the reference
    assert "reference 98.01%" in svg


def test_the_chart_of_several_days_joins_its_dots():
    from datetime import date

    svg = leaderboard.chart_svg([(date(2026, 11, d), v) for d, v in ((24, 0.90), (25, 0.93), (26, 0.95))], None)

    assert svg.count("<circle") == 3 and "<polyline" in svg
    assert ">24 Nov</text>" in svg and ">26 Nov</text>" in svg


# The Ladder: a public score moves only by more than the public half's noise.

def test_the_ladder_margin_defaults_to_one_standard_error_on_the_public_half(settings):
    settings.LADDER_MARGIN_POINTS = None
    assert leaderboard.ladder_margin() == pytest.approx(0.00198, abs=1e-5)  # about 10 of the 5,000 images
    settings.LADDER_MARGIN_POINTS = 0.5
    assert leaderboard.ladder_margin() == pytest.approx(0.005)


def test_an_improvement_inside_the_noise_does_not_move_the_public_score(settings):
    settings.LADDER_MARGIN_POINTS = 0.2
    assignment = make_assignment()
    ada = student("ada", "lovelace")
    graded(ada, 0.9800, minutes_ago=30)
    graded(ada, 0.9818, minutes_ago=20)  # 9 images better: luck
    graded(ada, 0.9820, minutes_ago=10)  # exactly the margin: still not more than the noise

    assert [(r.name, r.accuracy) for r in leaderboard.standings(assignment)] == [("lovelace", 0.9800)]


def test_a_real_improvement_moves_the_public_score_and_the_next_must_beat_that():
    assignment = make_assignment()
    ada = student("ada", "lovelace")
    graded(ada, 0.9700, minutes_ago=30)
    graded(ada, 0.9800, minutes_ago=20)  # a point better: real
    graded(ada, 0.9810, minutes_ago=10)  # inside the noise of the new score

    assert [r.accuracy for r in leaderboard.standings(assignment)] == [0.9800]


def test_small_steps_do_not_add_up_to_a_climb():
    assignment = make_assignment()
    ada = student("ada", "lovelace")
    for i, accuracy in enumerate((0.9700, 0.9715, 0.9730, 0.9745)):  # each within the noise of the shown 97.00%...
        graded(ada, accuracy, minutes_ago=40 - i)
    # ...until one is more than the noise above the shown score, not above the last upload.
    assert [r.accuracy for r in leaderboard.standings(assignment)] == [0.9730]


def test_the_shown_score_is_each_students_own_and_ranks_them():
    assignment = make_assignment()
    ada, bob = student("ada", "lovelace"), student("bob", "babbage")
    graded(ada, 0.9800, minutes_ago=30)
    graded(bob, 0.9790, minutes_ago=25)
    graded(bob, 0.9805, minutes_ago=5)  # beats ada's figure, but not bob's own by the noise
    graded(ada, 0.9600, minutes_ago=1)  # a worse upload never lowers a shown score

    rows = leaderboard.standings(assignment)

    assert [(r.name, r.accuracy, r.submissions) for r in rows] == [("lovelace", 0.98, 2), ("babbage", 0.979, 2)]
    assert leaderboard.ranked_students(assignment) == 2


def test_the_reference_baseline_row_is_placed_by_its_own_accuracy_not_held_back_by_the_ladder():
    assignment = make_assignment()
    ada = student("ada", "lovelace")
    graded(ada, 0.9800, minutes_ago=10)
    graded(ada, 0.9815, minutes_ago=5)  # within the noise: ada stays at 98.00%

    rows = leaderboard.with_reference(leaderboard.standings(assignment), 0.9826, "NumPy 784-512-256-128-10")

    assert [(r.is_reference, r.accuracy, r.rank) for r in rows] == [(True, 0.9826, None), (False, 0.98, 1)]


def test_after_the_reveal_the_private_board_ranks_the_best_without_the_ladder():
    assignment = make_assignment(private_revealed=True)
    ada = student("ada", "lovelace")
    graded(ada, 0.9800, private=0.9790, minutes_ago=10)
    graded(ada, 0.9805, private=0.9801, minutes_ago=5)

    assert [r.accuracy for r in leaderboard.standings(assignment)] == [0.9801]


def test_rank_changes_and_the_chart_use_the_scores_the_ladder_shows():
    assignment = make_assignment()
    ada, bob = student("ada", "lovelace"), student("bob", "babbage")
    graded(ada, 0.9800, minutes_ago=120)
    graded(bob, 0.9795, minutes_ago=120)
    graded(bob, 0.9810, minutes_ago=5)  # today, within bob's noise: he does not overtake
    day_began = timezone.now() - timedelta(hours=1)

    rows = leaderboard.with_changes(assignment, leaderboard.standings(assignment), day_began)

    assert [(r.name, r.change) for r in rows] == [("lovelace", 0), ("babbage", 0)]
    assert max(best for _, best in leaderboard.best_over_time(assignment)) == 0.98


def test_the_submission_page_says_why_the_public_score_stayed(client):
    make_assignment()
    ada = student("ada", "lovelace")
    graded(ada, 0.9800, minutes_ago=10)
    within = graded(ada, 0.9812, minutes_ago=5)
    client.force_login(ada)

    page = client.get(f"/submissions/{within.pk}/").content.decode()

    assert "Your public score stays at 98.00%" in page
    assert "this upload&#x27;s 98.12% is within the noise of 0.20 points" in page or \
        "this upload's 98.12% is within the noise of 0.20 points" in page


def test_the_submission_page_of_an_upload_that_moved_the_score_has_no_such_note(client):
    make_assignment()
    ada = student("ada", "lovelace")
    graded(ada, 0.9700, minutes_ago=10)
    moved = graded(ada, 0.9800, minutes_ago=5)
    client.force_login(ada)

    assert "ladder-note" not in client.get(f"/submissions/{moved.pk}/").content.decode()
