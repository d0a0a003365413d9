"""Claims: a TA who opens a review item holds it for a while, and another TA's "next" skips it."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coursework.models import Assignment, Profile, QuestionSet, ReviewClaim, RubricCriterion, SynthesisResponse
from coursework.services import claims, reviews
from coursework.services.content import load_content
from coursework.states import SubmissionStatus
from tests.factories import make_student, make_submission, make_ta

pytestmark = pytest.mark.django_db


@pytest.fixture
def responses(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_content()
    synthesis = Assignment.objects.create(slug="synthesis", title="Synthesis", kind=Assignment.SYNTHESIS)
    RubricCriterion.objects.create(assignment=synthesis, order=1, name="Accuracy", max_points=3)
    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    made = []
    for name in ("amy", "ben", "cal"):
        user = make_student(name)
        Profile.objects.create(user=user, display_name=name.title(), leaderboard_alias=name + "-alias")
        made.append(SynthesisResponse.objects.create(student=user, question_set=qs, status="submitted",
                                                     submitted_at=timezone.now() - timedelta(minutes=10 - len(made))))
    return made


def ta_client(name):
    ta = make_ta(name)
    Profile.objects.create(user=ta, display_name=name.title(), leaderboard_alias=name + "-ta")
    client = Client()
    client.force_login(ta)
    return ta, client


def test_opening_an_item_claims_it_and_another_tas_next_skips_it(responses):
    (tara, tara_client), (_, theo_client) = ta_client("tara"), ta_client("theo")
    first, second, _ = responses

    tara_client.get(f"/ta/synthesis/{first.pk}/")

    assert ReviewClaim.objects.get().holder == tara
    assert theo_client.get("/ta/next/synthesis/").url == f"/ta/synthesis/{second.pk}/"
    assert tara_client.get("/ta/next/synthesis/").url == f"/ta/synthesis/{first.pk}/"  # her own claim does not hide it


def test_next_claims_what_it_hands_out_so_two_tas_never_get_the_same_item(responses):
    tara, theo = make_ta("tara"), make_ta("theo")
    handed = [reviews.next_in_queue("synthesis", reviews.Filters(), ta=ta) for ta in (tara, theo, tara, theo)]

    assert handed[0] != handed[1]
    assert handed[2] == handed[0] and handed[3] == handed[1]  # each keeps what they hold until they save it


def test_a_claim_lapses_by_itself(responses, settings):
    settings.REVIEW_CLAIM_MINUTES = 20
    tara, theo = make_ta("tara"), make_ta("theo")
    first = responses[0]
    claims.claim(first, tara)
    assert claims.claim(first, theo).holder == tara

    ReviewClaim.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert reviews.next_in_queue("synthesis", reviews.Filters(), ta=theo) == first
    assert ReviewClaim.objects.get().holder == theo


def test_saving_the_review_releases_the_claim_at_once(responses):
    tara, tara_client = ta_client("tara")
    theo = make_ta("theo")
    first = responses[0]
    tara_client.get(f"/ta/synthesis/{first.pk}/")

    tara_client.post(f"/ta/synthesis/{first.pk}/", {"feedback": "ok", "feedback_only": "on", "version": "0"})

    assert not ReviewClaim.objects.filter(target_id=first.pk, holder=tara).exists()
    assert reviews.next_in_queue("synthesis", reviews.Filters(), ta=theo) == responses[2]  # tara holds the second now


def test_the_page_says_who_holds_the_item(responses):
    (_, tara_client), (_, theo_client) = ta_client("tara"), ta_client("theo")
    first = responses[0]

    mine = tara_client.get(f"/ta/synthesis/{first.pk}/").content.decode()
    theirs = theo_client.get(f"/ta/synthesis/{first.pk}/").content.decode()

    assert "You hold this item until" in mine
    assert "<strong>Tara</strong> is working on this item" in theirs
    assert ReviewClaim.objects.get().holder.username == "tara"  # opening it did not take it from her


def test_a_flagged_notebook_in_the_queue_is_claimed_and_skipped_too(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    amy = make_student("amy")
    flagged = make_submission(amy, status=SubmissionStatus.GRADED, accuracy=0.999, flagged=True)
    failed = make_submission(amy, status=SubmissionStatus.FAILED)
    (_, tara_client), (_, theo_client) = ta_client("tara"), ta_client("theo")

    tara_client.get(f"/ta/notebooks/{flagged.pk}/")

    assert theo_client.get("/ta/next/notebooks/").url == f"/ta/notebooks/{failed.pk}/"
