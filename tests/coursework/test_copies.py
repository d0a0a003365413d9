"""Copies go to a TA: the released solution uploaded as one's own, and two students' matching
uploads, are flagged, wait in the notebook queue and are shown side by side; honest work
from the template is not; the behaviour statistic tells identical mistakes from chance."""
import numpy as np
import pytest

from coursework import tasks
from coursework.grading import dispatch, store
from coursework.models import Assignment
from coursework.services import copies, integrity, project_files, reviews
from grader import copies as wrong_sets
from grader.result import GradeResult
from tests.factories import make_assignment, make_profile, make_student, make_submission, make_ta
from tests.support.notebooks import NEAREST_MEAN, SMALL_NETWORK, notebook

pytestmark = pytest.mark.django_db

TEMPLATE = project_files.TEMPLATE_NOTEBOOK
N = 10_000


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def template_with(*cells: str) -> bytes:
    """The template's data cells and self-check around a student's own cells."""
    import nbformat

    code = [c.source for c in nbformat.reads(TEMPLATE.read_text(), 4).cells if c.cell_type == "code"]
    return notebook(code[0], code[1], *cells, code[-1])


def wrong_mask(seed: int, accuracy: float = 0.97) -> np.ndarray:
    return np.random.default_rng(seed).random(N) > accuracy


def graded_upload(student, nb: bytes, wrong: np.ndarray, task=None):
    """A stored graded upload, screened as the worker screens it."""
    task = task or make_assignment(kind=Assignment.NOTEBOOK)
    accuracy = 1 - wrong.mean()
    result = integrity.screen(GradeResult(status="graded", message="", accuracy=accuracy, public_accuracy=accuracy,
                                          private_accuracy=accuracy, feedback={"wrong": wrong_sets.pack(wrong)}),
                              task, nb)
    return make_submission(student, nb, status="graded", accuracy=accuracy, public_accuracy=accuracy,
                           private_accuracy=accuracy, flagged=result.flagged, flag_reason=result.flag_reason,
                           feedback=result.feedback.to_json())


def test_the_solution_uploaded_unchanged_is_flagged_and_waits_in_the_ta_queue_with_a_side_by_side_link(client):
    student = make_student("late")
    make_profile(student)
    submission = graded_upload(student, project_files.SOLUTION_NOTEBOOK.read_bytes(), wrong_mask(1, 0.9794))
    assert submission.flagged and submission.feedback["flags"] == [copies.COPY]
    assert "Copy of the course's solution: code 100% the same" in submission.flag_reason
    assert f"at most {copies.HONEST_WORST_CODE:.0%}" in submission.flag_reason  # how far outside honest work

    client.force_login(make_ta())
    queue = client.get("/ta/?queue=notebooks&status=flagged").content.decode()
    assert f"/ta/notebooks/{submission.pk}/" in queue
    page = client.get(f"/ta/notebooks/{submission.pk}/").content.decode()
    assert "Flag: copy" in page and f"/ta/similarity/solution/{submission.pk}/" in page
    side = client.get(f"/ta/similarity/solution/{submission.pk}/").content.decode()
    assert "the course&#x27;s solution: 100% alike" in side and 'class="shared"' in side
    top = client.get("/ta/notebooks/top/").content.decode()
    assert "copy" in top


def test_two_students_identical_uploads_are_both_flagged_and_checking_twice_changes_nothing():
    nb = template_with(SMALL_NETWORK)
    wrong = wrong_mask(2)
    first = graded_upload(make_student("amy"), nb, wrong)
    second = graded_upload(make_student("ben"), nb, wrong)
    assert not first.flagged and not second.flagged  # another student's copy is found once stored
    assert tasks.check_copies.apply(args=[second.pk]).get() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    for mine, theirs in ((first, second), (second, first)):
        assert mine.flagged and mine.flag_resolution == "" and mine.feedback["flags"] == [copies.COPY]
        (match,) = mine.feedback["copies"]["matches"]
        assert match["other"] == theirs.pk and match["code"] == 1.0 and match["behaviour"] > 99
        assert f"Copy of {theirs.student.username}'s upload #{theirs.pk}: code 100% the same" in mine.flag_reason
    reason = first.flag_reason
    assert tasks.check_copies.apply(args=[first.pk]).get() == 1
    first.refresh_from_db()
    assert first.flag_reason == reason and len(first.feedback["copies"]["matches"]) == 1


def test_two_honest_different_notebooks_from_the_template_are_not_flagged():
    first = graded_upload(make_student("amy"), template_with(SMALL_NETWORK), wrong_mask(3))
    second = graded_upload(make_student("ben"), template_with(NEAREST_MEAN), wrong_mask(4))
    third = graded_upload(make_student("cal"), TEMPLATE.read_bytes(), wrong_mask(5))
    for submission in (first, second, third):
        assert tasks.check_copies.apply(args=[submission.pk]).get() == 0
        submission.refresh_from_db()
        assert not submission.flagged and submission.feedback["flags"] == []


def test_the_same_mistakes_flag_two_uploads_whose_code_differs():
    wrong = wrong_mask(6)
    first = graded_upload(make_student("amy"), template_with(SMALL_NETWORK), wrong)
    second = graded_upload(make_student("ben"), template_with(NEAREST_MEAN), wrong)
    assert tasks.check_copies.apply(args=[first.pk]).get() == 1
    second.refresh_from_db()
    (match,) = second.feedback["copies"]["matches"]
    assert match["code"] < copies.CODE_THRESHOLD and match["behaviour"] >= copies.BEHAVIOUR_THRESHOLD
    assert "of the same test images wrong" in second.flag_reason and "honest networks reached at most" in second.flag_reason


def test_a_copy_of_a_result_cleared_of_another_flag_sends_it_back_to_the_queue_and_one_of_the_same_student_does_not():
    nb = template_with(SMALL_NETWORK)
    wrong = wrong_mask(7)
    amy = make_student("amy")
    earlier = graded_upload(amy, nb, wrong)
    cleared = make_submission(amy, nb, status="graded", accuracy=0.97, public_accuracy=0.97, flagged=True,
                              flag_reason="Implausible accuracy", feedback={"flags": ["accuracy"],
                                                                            "wrong": wrong_sets.pack(wrong)})
    reviews.resolve_flag(cleared, make_ta(), "cleared")
    assert tasks.check_copies.apply(args=[cleared.pk]).get() == 0  # her own uploads are never a pair
    copier = graded_upload(make_student("ben"), nb, wrong)
    assert tasks.check_copies.apply(args=[copier.pk]).get() == 1  # amy's latest upload
    cleared.refresh_from_db()
    earlier.refresh_from_db()
    assert cleared.flagged and cleared.flag_resolution == "" and cleared.feedback["flags"] == ["accuracy", "copy"]
    assert cleared.flag_reason.startswith("Implausible accuracy\nCopy of ben's upload")
    assert not earlier.flagged


def test_a_stored_grade_sends_the_copy_check_after_commit(monkeypatch, django_capture_on_commit_callbacks):
    from coursework import states

    sent = []
    monkeypatch.setattr(store, "send_copy_check", sent.append)
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    submission = make_submission(make_student(), template_with(NEAREST_MEAN))
    attempt = states.claim(submission.pk)
    wrong = wrong_mask(8)
    result = GradeResult(status="graded", message="Test accuracy 97%", accuracy=0.97, public_accuracy=0.97,
                         private_accuracy=0.97, feedback={"wrong": wrong_sets.pack(wrong), "confusion": [[0] * 10] * 10,
                                                          "misclassified": []})
    with django_capture_on_commit_callbacks(execute=True):
        assert store.record_result(submission.pk, attempt, result)
    assert sent == [submission.pk]


def test_the_behaviour_statistic_is_about_100_for_identical_wrong_sets_and_about_0_for_independent_ones():
    a, b = wrong_mask(10), wrong_mask(11)
    same, shared, _ = wrong_sets.overlap_z(a, a)
    assert same == pytest.approx(np.sqrt(N - 1)) and shared == a.sum()
    apart, _, expected = wrong_sets.overlap_z(a, b)
    assert abs(apart) < 4 and expected == pytest.approx(a.sum() * b.sum() / N)
    # accuracies alone explain nothing: a network twice as wrong, sharing only chance mistakes, is not close
    assert abs(wrong_sets.overlap_z(a, wrong_mask(12, 0.94))[0]) < 4
    # shared hard images raise it, but well short of identical predictions
    hard = np.zeros(N, bool)
    hard[:150] = True
    c, d = hard | wrong_mask(13, 0.985), hard | wrong_mask(14, 0.985)
    assert 30 < wrong_sets.overlap_z(c, d)[0] < copies.BEHAVIOUR_THRESHOLD
    assert wrong_sets.unpack(wrong_sets.pack(c)).tolist() == c.tolist() and wrong_sets.unpack("not a mask") is None
