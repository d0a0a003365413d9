"""Essay passages in groups: essays cut into passages; near-duplicates and close paraphrases of a
passage grouped across students, passages saying something else (or the same but for a number, a
negation or a direction word) never; a group graded at once on a criterion of the essays' rubric,
each essay set adjustable, reviewed sets kept unless replaced, other TAs' claims respected,
everything audited, names hidden on an anonymous task."""
import random

import pytest
from django.urls import reverse

from coursework.models import (Assignment, AuditEvent, Essay, EssayPrompt, EssaySubmission, Notification,
                               PassageGrade, RubricCriterion)
from coursework.services import claims, passages, reviews, rubrics
from coursework.services.answer_groups import group_texts, stratum
from tests.factories import make_profile, make_student, make_ta
from tests.support.answer_population import near_duplicates
from tests.support.passage_population import FAMILIES, class_essays, own_paragraph, population

# --- cutting essays into passages ------------------------------------------------------------


def sentences(n: int, start: int = 0) -> str:
    return " ".join(f"Sentence {i} says something about networks and brains." for i in range(start, start + n))


def test_a_paragraph_of_up_to_four_sentences_is_one_passage():
    assert passages.split(sentences(4)) == [sentences(4)]


@pytest.mark.parametrize("count, sizes", [(5, [3, 2]), (6, [3, 3]), (7, [3, 4]), (8, [3, 3, 2]), (10, [3, 3, 4])])
def test_a_longer_paragraph_is_cut_in_windows_of_three_sentences_a_last_one_alone_joining_the_one_before(count,
                                                                                                         sizes):
    cut = passages.split(sentences(count))
    assert [p.count("Sentence") for p in cut] == sizes
    assert " ".join(cut) == sentences(count)


def test_paragraphs_end_at_blank_lines_headings_and_list_items_and_lines_join_within_one():
    text = ("# Why networks\nThe first paragraph is written\nover two lines of the file here.\n\n"
            "The second paragraph stands after a blank line, alone.\n"
            "- A list item is a paragraph of its own, however short it is.\n"
            "1. So is a numbered one, which Markdown starts a new block for.")
    assert passages.split(text) == [
        "The first paragraph is written over two lines of the file here.",
        "The second paragraph stands after a blank line, alone.",
        "- A list item is a paragraph of its own, however short it is.",
        "1. So is a numbered one, which Markdown starts a new block for."]


def test_headings_and_lines_under_eight_words_are_not_passages():
    assert passages.split("Introduction\n\nIn conclusion, that is all.\n\n" + sentences(1)) == [sentences(1)]


def test_an_essay_gives_at_most_its_limit_of_passages():
    text = "\n\n".join(sentences(2, 2 * i) for i in range(passages.MAX_PASSAGES_PER_ESSAY + 5))
    assert len(passages.split(text)) == passages.MAX_PASSAGES_PER_ESSAY


def test_an_empty_essay_has_no_passages():
    assert passages.split("") == [] and passages.split("   \n\n ") == []


# --- which passages share a group (tests/support/passage_population.py) ------------------------


@pytest.mark.parametrize("prompt", sorted(FAMILIES))
def test_no_group_holds_passages_that_say_different_things(prompt):
    items = population(prompt)
    for group in group_texts([i.text for i in items]):
        assert len({items[i].meaning for i in group}) == 1, [items[i].text for i in group]


@pytest.mark.parametrize("prompt", sorted(FAMILIES))
def test_near_duplicates_of_a_passage_join_it(prompt):
    items = population(prompt)
    group_of = {i: n for n, g in enumerate(group_texts([i.text for i in items])) for i in g}
    source = {(item.family, item.kind): group_of[i] for i, item in enumerate(items) if not item.copy}
    copies = [i for i, item in enumerate(items) if item.copy]
    found = sum(group_of[i] == source[(items[i].family, items[i].kind)] for i in copies)
    assert found / len(copies) >= 0.9  # benchmarks/passage_groups.py: the figure over both prompts


@pytest.mark.parametrize("prompt, family", [(p, f) for p in sorted(FAMILIES) for f in FAMILIES[p]])
def test_a_close_paraphrase_keeping_every_deciding_word_joins_its_passage_and_a_loose_one_does_not(prompt, family):
    passage, close, loose, _ = FAMILIES[prompt][family]
    groups = group_texts([passage, close, loose])
    if stratum(close) == stratum(passage):
        assert [0, 1] in groups
    else:  # a paraphrase that brings in "one" or drops "outputs" has other deciding words: apart
        assert [0] in groups
    assert [2] in groups


@pytest.mark.parametrize("prompt, family", [(p, f) for p in sorted(FAMILIES) for f in FAMILIES[p]])
def test_a_passage_differing_in_a_deciding_word_never_joins_it_nor_its_copies(prompt, family):
    passage, _, _, decisive = FAMILIES[prompt][family]
    rng = random.Random(family)
    texts = [passage, *near_duplicates(passage, rng), decisive, *near_duplicates(decisive, rng)]
    for group in group_texts(texts):
        assert all(i < 5 for i in group) or all(i >= 5 for i in group), [texts[i] for i in group]


def test_paragraphs_of_a_students_own_words_join_nothing():
    rng = random.Random(0)
    own = [own_paragraph(rng) for _ in range(300)]
    assert len(group_texts(own)) == 300


# --- the page and grading a group ------------------------------------------------------------

PASSAGE, CLOSE, LOOSE, DECISIVE = FAMILIES["neurons"]["dendrites"]
OTHER = FAMILIES["neurons"]["spikes"][0]
# Each student's essay on prompt 3: a paragraph of their own, then the passage they wrote.
WRITTEN = [PASSAGE, PASSAGE.lower(), "I think " + PASSAGE[0].lower() + PASSAGE[1:], CLOSE, DECISIVE, OTHER]


def essay_set(student, paragraphs, prompt, version=1, status="submitted"):
    submission = EssaySubmission.objects.create(student=student, version=version, status=status)
    for other in EssayPrompt.objects.exclude(pk=prompt.pk)[:2]:
        Essay.objects.create(submission=submission, prompt=other, text=own_paragraph(random.Random(submission.pk)),
                             meaningful_words=240)
    Essay.objects.create(submission=submission, prompt=prompt, text="\n\n".join(paragraphs), meaningful_words=240)
    return submission


@pytest.fixture
def essays(course):
    prompt = EssayPrompt.objects.get(order=3)
    rng = random.Random(7)
    sets = []
    for i, passage in enumerate(WRITTEN):
        student = make_student(f"writer{i}")
        make_profile(student)
        sets.append(essay_set(student, [own_paragraph(rng), passage], prompt))
    criterion = rubrics.criteria_for(sets[0])[2]  # "Reasoning and examples", 3 points
    return {"prompt": prompt, "sets": sets, "criterion": criterion}


def page(client, prompt, **query):
    response = client.get(reverse("ta_passage_groups", args=[prompt.pk]), query)
    assert response.status_code == 200
    return response


def grade_form(body: str, group) -> str:
    return body.split(f'id="grade-{group.number}"', 1)[1].split("</form>", 1)[0]


def first_group_ids(client, essays) -> dict[int, list[int]]:
    return passages.parse_ids(page(client, essays["prompt"]).context["groups"][0].ids)


@pytest.mark.django_db
def test_the_page_groups_a_recurring_passage_across_essays_with_every_wording_and_hides_names(client, ta, essays):
    response = page(client, essays["prompt"])
    groups = response.context["groups"]
    assert len(groups) == 1  # own paragraphs, the variant and the other passage recur nowhere
    group = groups[0]
    assert sorted(m.submission_id for m in group.members) == sorted(s.pk for s in essays["sets"][:4])
    assert {w.text for w in group.wordings} == set(WRITTEN[:4])
    body = response.content.decode()
    assert "Writer0" not in body and f"Student of item {essays['sets'][0].pk}" in body
    for text in WRITTEN[:4]:
        assert text in body


@pytest.mark.django_db
def test_names_are_shown_when_the_essays_are_not_reviewed_anonymously(client, ta, essays):
    Assignment.objects.filter(kind=Assignment.ESSAYS).update(anonymous_review=False)
    body = page(client, essays["prompt"]).content.decode()
    assert "Writer0" in body and "Student of item" not in body


@pytest.mark.django_db
def test_grading_a_group_gives_each_essay_set_the_criterion_grade_and_audits_each(client, ta, essays):
    criterion, members = essays["criterion"], essays["sets"][:4]
    group = page(client, essays["prompt"]).context["groups"][0]
    response = client.post(reverse("ta_passage_groups", args=[essays["prompt"].pk]),
                           {"criterion": criterion.pk, "points": "2", "comment": "A sound account.",
                            "passages": group.ids, "group": "1"}, follow=True)
    assert "4 essays graded." in response.content.decode()
    assert sorted(PassageGrade.objects.values_list("submission_id", "criterion_id", "points", "comment")) == [
        (s.pk, criterion.pk, 2.0, "A sound account.") for s in members]
    assert all(g.passage in WRITTEN for g in PassageGrade.objects.all())
    events = AuditEvent.objects.filter(action="group_grade")
    assert sorted(e.target_id for e in events) == sorted(s.pk for s in members)
    assert all(e.changes["before"] is None and e.changes["after"] == 2.0 and e.changes["prompt"] == 3 for e in events)
    # The other criteria have no points yet: nothing is reviewed, no student told.
    assert not EssaySubmission.objects.filter(status="reviewed").exists()
    assert not Notification.objects.exists()
    # The page shows each member's points; the essays not in the group have none.
    assert {m.points for m in page(client, essays["prompt"], criterion=criterion.pk).context["groups"][0].members} == {2}
    assert not PassageGrade.objects.filter(submission__in=essays["sets"][4:]).exists()


@pytest.mark.django_db
def test_every_wording_is_ticked_and_a_wording_left_out_of_a_group_grade_is_not_graded(client, ta, essays):
    # Grouping can join passages a deciding word the strata do not know sets apart: the TA,
    # who reads every wording, leaves one out of the grade.
    criterion = essays["criterion"]
    response = page(client, essays["prompt"], criterion=criterion.pk)
    group, body = response.context["groups"][0], response.content.decode()
    for w in group.wordings:
        assert f'name="passages" value="{w.ids}" form="grade-{group.number}"' in body
    assert body.count('type="checkbox" name="passages"') == body.count('" checked> Grade the essay') == 4
    assert 'name="unlisted"' not in grade_form(body, group)  # every wording is listed
    kept = [w for w in group.wordings if w.text != CLOSE]
    response = client.post(reverse("ta_passage_groups", args=[essays["prompt"].pk]),
                           {"criterion": criterion.pk, "points": "3", "passages": [w.ids for w in kept], "group": "1"},
                           follow=True)
    assert "3 essays graded." in response.content.decode()
    graded = set(PassageGrade.objects.values_list("submission_id", flat=True))
    assert graded == {s.pk for s, text in zip(essays["sets"], WRITTEN) if text in {w.text for w in kept}}
    assert essays["sets"][WRITTEN.index(CLOSE)].pk not in graded


@pytest.mark.django_db
def test_an_essay_with_a_passage_in_an_unticked_wording_too_is_left_out_and_the_ta_told(client, ta, essays):
    # One student wrote the passage and, further on, its close paraphrase: a grade judged not
    # to fit the paraphrase must not reach that set through the other passage.
    both = essay_set(make_student("both"), [own_paragraph(random.Random(3)), PASSAGE.lower(), CLOSE], essays["prompt"])
    criterion = essays["criterion"]
    group = page(client, essays["prompt"], criterion=criterion.pk).context["groups"][0]
    kept = [w for w in group.wordings if w.text != CLOSE]
    response = client.post(reverse("ta_passage_groups", args=[essays["prompt"].pk]),
                           {"criterion": criterion.pk, "points": "3", "passages": [w.ids for w in kept],
                            "in_group": group.ids, "group": "1"}, follow=True)
    body = response.content.decode()
    assert "3 essays graded." in body
    assert "1 essay also has a passage in a wording you left out, and was left out of this grade" in body
    assert not PassageGrade.objects.filter(submission=both).exists()
    # Adjusted on its own (one member's passages, no group), it is graded as the TA says.
    essay = both.essays.get(prompt=essays["prompt"])
    member = next(m for m in group.members if m.essay_id == essay.pk)
    client.post(reverse("ta_passage_groups", args=[essays["prompt"].pk]),
                {"criterion": criterion.pk, "points": "1", "passages": member.ids, "replace": "1", "group": "1"})
    assert PassageGrade.objects.get(submission=both).points == 1


@pytest.mark.django_db
def test_wordings_a_page_does_not_list_are_graded_with_the_group_and_the_page_says_so(client, ta, essays, monkeypatch):
    from coursework.views.staff import passages as view

    monkeypatch.setattr(view, "WORDINGS_SHOWN", 2)
    criterion = essays["criterion"]
    response = page(client, essays["prompt"], criterion=criterion.pk)
    group, body = response.context["groups"][0], response.content.decode()
    assert body.count('type="checkbox" name="passages"') == 2
    assert f'<input type="hidden" name="unlisted" value="{group.unshown_ids}">' in grade_form(body, group)
    assert "the 2 not listed here are graded with the group" in body
    listed = [w.ids for w in group.wordings_shown]
    client.post(reverse("ta_passage_groups", args=[essays["prompt"].pk]),
                {"criterion": criterion.pk, "points": "3", "passages": listed, "unlisted": group.unshown_ids,
                 "in_group": group.ids, "group": "1"})
    assert PassageGrade.objects.count() == 4
    # Every listed wording unticked: refused, not given to the unlisted ones alone.
    PassageGrade.objects.all().delete()
    refused = client.post(reverse("ta_passage_groups", args=[essays["prompt"].pk]),
                          {"criterion": criterion.pk, "points": "3", "unlisted": group.unshown_ids, "group": "1"},
                          follow=True)
    assert "No essays were chosen: tick at least one wording." in refused.content.decode()
    assert not PassageGrade.objects.exists()
    # Opened alone, the group lists every wording, each one the TA can leave out.
    alone = page(client, essays["prompt"], criterion=criterion.pk, group=group.number).content.decode()
    assert alone.count('type="checkbox" name="passages"') == 4
    assert 'name="unlisted"' not in grade_form(alone, group)


@pytest.mark.django_db
def test_passage_grades_on_every_criterion_fill_the_sets_review_form_and_never_review_it(essays):
    # A passage is a part of three essays: a copied good passage beside junk must not earn a
    # review nobody read. The TA saves the set's review, with the grades already in its form.
    ta = make_ta()
    submission = essays["sets"][0]
    ids = {submission.essays.get(prompt=essays["prompt"]).pk: [1]}
    criteria = rubrics.criteria_for(submission)
    for criterion in criteria:
        outcome = passages.grade(ta, essays["prompt"], ids, criterion, criterion.max_points)
    assert outcome.reviews_completed == 0
    submission.refresh_from_db()
    assert submission.status == "submitted" and submission.score is None
    assert not Notification.objects.filter(recipient=submission.student).exists()
    assert {pk: mark.points for pk, mark in passages.marks_for(submission).items()} == {
        c.pk: c.max_points for c in criteria}
    reviews.review(submission, ta, passages.marks_for(submission), "Read it all.")
    submission.refresh_from_db()
    assert submission.score == rubrics.maximum(criteria)
    assert Notification.objects.filter(recipient=submission.student, kind=Notification.REVIEWED).count() == 1


@pytest.mark.django_db
def test_sets_graded_on_the_criterion_keep_their_points_unless_the_ta_replaces_them(client, ta, essays):
    criterion, ids = essays["criterion"], first_group_ids(client, essays)
    first = next(iter(ids))
    passages.grade(ta, essays["prompt"], {first: ids[first]}, criterion, 1)
    outcome = passages.grade(ta, essays["prompt"], ids, criterion, 3)
    assert (outcome.graded, outcome.kept) == (3, 1)
    essay = Essay.objects.get(pk=first)
    assert PassageGrade.objects.get(submission=essay.submission_id, criterion=criterion).points == 1
    outcome = passages.grade(ta, essays["prompt"], ids, criterion, 3, replace=True)
    assert (outcome.graded, outcome.kept) == (4, 0)
    assert PassageGrade.objects.get(submission=essay.submission_id, criterion=criterion).points == 3
    assert AuditEvent.objects.filter(action="group_grade", target_id=essay.submission_id).first().changes["before"] == 1


@pytest.mark.django_db
def test_a_grade_on_another_criterion_stays_with_the_set(client, ta, essays):
    ids = first_group_ids(client, essays)
    criteria = rubrics.criteria_for(essays["sets"][0])
    passages.grade(ta, essays["prompt"], ids, criteria[2], 2)
    outcome = passages.grade(ta, essays["prompt"], ids, criteria[3], 1)
    assert outcome.graded == 4
    assert PassageGrade.objects.filter(criterion=criteria[2]).count() == PassageGrade.objects.filter(
        criterion=criteria[3]).count() == 4


@pytest.mark.django_db
def test_a_reviewed_set_is_not_overwritten_without_asking_and_is_reviewed_again_when_replaced(client, ta, essays):
    submission, criterion = essays["sets"][0], essays["criterion"]
    criteria = rubrics.criteria_for(submission)
    reviews.review(submission, ta, {c.pk: rubrics.Mark(0) for c in criteria}, "Seen.")
    ids = first_group_ids(client, essays)
    outcome = passages.grade(ta, essays["prompt"], ids, criterion, 3)
    assert (outcome.graded, outcome.kept) == (3, 1)
    submission.refresh_from_db()
    assert submission.score == 0 and submission.review_version == 1
    outcome = passages.grade(ta, essays["prompt"], ids, criterion, 3, replace=True)
    assert outcome.reviews_completed == 0
    submission.refresh_from_db()
    assert submission.score == 0 and submission.review_version == 1  # the saved review stands until a TA saves another
    assert passages.marks_for(submission)[criterion.pk].points == 3  # the new grade waits in its form


@pytest.mark.django_db
def test_a_feedback_only_review_is_not_turned_into_a_score_without_asking(client, ta, essays):
    submission = essays["sets"][0]
    reviews.review(submission, ta, {}, "Read it, see me.", feedback_only=True)
    outcome = passages.grade(ta, essays["prompt"], first_group_ids(client, essays), essays["criterion"], 2)
    assert outcome.kept == 1
    assert not PassageGrade.objects.filter(submission=submission).exists()
    submission.refresh_from_db()
    assert submission.feedback_only and submission.score is None


@pytest.mark.django_db
def test_sets_another_ta_holds_are_left_alone_and_shown_as_held(client, ta, essays):
    other = make_ta("ta2")
    make_profile(other)
    held = essays["sets"][1]
    claims.claim(held, other)
    group = page(client, essays["prompt"]).context["groups"][0]
    assert next(m for m in group.members if m.submission_id == held.pk).held_by == "Ta2"
    outcome = passages.grade(ta, essays["prompt"], passages.parse_ids(group.ids), essays["criterion"], 2)
    assert (outcome.graded, outcome.held) == (3, 1)
    assert not PassageGrade.objects.filter(submission=held).exists()


@pytest.mark.django_db
def test_adjusting_one_essay_on_the_group_page_changes_it_alone(client, ta, essays):
    url = reverse("ta_passage_groups", args=[essays["prompt"].pk])
    criterion = essays["criterion"]
    group = page(client, essays["prompt"]).context["groups"][0]
    client.post(url, {"criterion": criterion.pk, "points": "2", "passages": group.ids})
    member = group.members[2]
    client.post(url, {"criterion": criterion.pk, "points": "1", "passages": member.ids, "replace": "1"})
    points = {g.submission_id: g.points for g in PassageGrade.objects.all()}
    assert points == {m.submission_id: 1 if m is member else 2 for m in group.members}


@pytest.mark.django_db
def test_the_essays_review_page_is_filled_with_the_group_grade_and_the_ta_adjusts_it_there(client, ta, essays):
    criterion, submission = essays["criterion"], essays["sets"][0]
    passages.grade(ta, essays["prompt"], first_group_ids(client, essays), criterion, 2, "Clear account.")
    response = client.get(reverse("ta_review_essays", args=[submission.pk]))
    assert response.context["form"].initial[f"criterion-{criterion.pk}"] == "2"
    assert response.context["form"].initial[f"criterion-{criterion.pk}-comment"] == "Clear account."
    assert "Given with groups of similar passages" in response.content.decode()
    # The TA gives this one 1 on its own review: the review keeps the TA's points.
    data = {"feedback": "", "version": "0"}
    for c in rubrics.criteria_for(submission):
        data[f"criterion-{c.pk}"] = "1"
    client.post(reverse("ta_review_essays", args=[submission.pk]), data)
    submission.refresh_from_db()
    assert submission.status == "reviewed"
    assert rubrics.marks_of(submission)[criterion.pk].points == 1
    # ...and the group page and the form now read the review, not the older group grade.
    member = next(m for m in page(client, essays["prompt"], criterion=criterion.pk).context["groups"][0].members
                  if m.submission_id == submission.pk)
    assert member.points == 1 and member.reviewed
    assert client.get(reverse("ta_review_essays", args=[submission.pk])).context["form"].initial[
        f"criterion-{criterion.pk}"] == "1"


@pytest.mark.django_db
def test_only_each_students_latest_handed_in_version_is_grouped_and_graded(client, ta, essays):
    ids = first_group_ids(client, essays)
    old = essays["sets"][0]
    essay_set(old.student, [own_paragraph(random.Random(1))], essays["prompt"], version=2)  # rewritten without it
    EssaySubmission.objects.filter(pk=essays["sets"][1].pk).update(status="resubmit")  # sent back
    group = page(client, essays["prompt"]).context["groups"][0]
    assert sorted(m.submission_id for m in group.members) == sorted(s.pk for s in essays["sets"][2:4])
    outcome = passages.grade(ta, essays["prompt"], ids, essays["criterion"], 2)
    assert (outcome.graded, outcome.gone) == (2, 2)
    assert not PassageGrade.objects.filter(submission__in=essays["sets"][:2]).exists()


@pytest.mark.django_db
def test_points_above_the_criterion_maximum_and_criteria_of_another_rubric_are_refused(client, ta, essays):
    url = reverse("ta_passage_groups", args=[essays["prompt"].pk])
    ids = page(client, essays["prompt"]).context["groups"][0].ids
    response = client.post(url, {"criterion": essays["criterion"].pk, "points": "9", "passages": ids}, follow=True)
    assert "more than its maximum" in response.content.decode()
    synthesis = RubricCriterion.objects.filter(assignment__kind=Assignment.SYNTHESIS).first()
    with pytest.raises(passages.GradeRefused):
        passages.grade(ta, essays["prompt"], passages.parse_ids(ids), synthesis, 1)
    assert not PassageGrade.objects.exists()


@pytest.mark.django_db
def test_malformed_or_foreign_passage_ids_grade_nothing(client, ta, essays):
    url = reverse("ta_passage_groups", args=[essays["prompt"].pk])
    other_prompt = essays["sets"][0].essays.exclude(prompt=essays["prompt"]).first()
    client.post(url, {"criterion": essays["criterion"].pk, "points": "2",
                      "passages": f"x:1,12:,:3,{'9' * 40}:0,{other_prompt.pk}:0"})
    assert not PassageGrade.objects.exists()


@pytest.mark.django_db
def test_script_in_a_passage_is_shown_as_text(client, ta, essays):
    for s in essays["sets"][:2]:
        Essay.objects.filter(submission=s, prompt=essays["prompt"]).update(
            text="<script>alert(1)</script> is what this whole essay paragraph says again and again.")
    body = page(client, essays["prompt"]).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


@pytest.mark.django_db
def test_the_prompt_list_counts_handed_in_essays_and_the_essay_queue_links_to_it(client, ta, essays):
    response = client.get(reverse("ta_essay_prompts"))
    counts = {p.order: n for p, n in response.context["prompts"]}
    assert counts[3] == len(WRITTEN)
    assert reverse("ta_passage_groups", args=[essays["prompt"].pk]) in response.content.decode()
    assert reverse("ta_essay_prompts") in client.get(reverse("ta_dashboard") + "?queue=essays").content.decode()


@pytest.mark.django_db
def test_a_student_cannot_open_the_passage_pages(client, essays):
    client.force_login(essays["sets"][0].student)
    assert client.get(reverse("ta_essay_prompts")).status_code == 404
    assert client.get(reverse("ta_passage_groups", args=[essays["prompt"].pk])).status_code == 404


@pytest.mark.django_db
def test_a_class_s_recurring_passages_come_as_groups_each_saying_one_thing(client, ta, course):
    prompt = EssayPrompt.objects.get(order=3)
    written = class_essays("neurons", 60, seed=3)
    for i, essay in enumerate(written):
        student = make_student(f"member{i}")
        submission = EssaySubmission.objects.create(student=student, version=1)
        Essay.objects.create(submission=submission, prompt=prompt, text=essay.text, meaningful_words=240)
    found = page(client, prompt).context
    assert found["essays"] == 60 and found["group_count"] >= 10
    meaning_of = {}
    for essay in written:
        for item in essay.items:
            meaning_of[item.text] = item.meaning
    for group in found["groups"]:
        assert len({meaning_of[w.text] for w in group.wordings}) == 1, [w.text for w in group.wordings]


def test_each_essay_s_share_of_passages_shrinks_as_a_prompt_s_essays_grow_but_never_below_ten():
    assert passages.share(6) == passages.MAX_PASSAGES_PER_ESSAY
    assert passages.share(1000) == 20
    assert passages.share(100_000) == passages.MIN_PASSAGES_PER_ESSAY
    assert passages.share(2000) * 2000 <= passages.MAX_PASSAGES_PER_PROMPT
