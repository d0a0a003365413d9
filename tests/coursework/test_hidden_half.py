"""Hidden means hidden: until a TA reveals the private half, a student's pages and
fragments show the public half only (no full or private figure, no per-digit or confusion
figure, no gallery digit from the private half); after the reveal they show everything;
staff always see everything."""
import pytest

from coursework.grading import dispatch, store
from coursework.models import Assignment, Notification, Submission
from coursework.services import disclosure
from grader import feedback
from grader import data as mnist
from grader.result import GradeResult
from grader.scoring import halves
from tests.factories import make_profile, make_student, make_submission, make_ta

pytestmark = pytest.mark.django_db

# Figures no page would show by accident: each is looked for by its rounded text.
FULL, PUBLIC, PRIVATE = 0.9431, 0.9412, 0.9450
PER_DIGIT = [0.9876, 0.9765, 0.9654, 0.9543, 0.9432, 0.9321, 0.9210, 0.9109, 0.8765, 0.9098]
PUBLIC_HALF, PRIVATE_HALF = (h.tolist() for h in halves(10_000))


def grade_result() -> GradeResult:
    _, labels = mnist.test_set()
    # Four wrong digits from each half, as the grader's spread of mistakes would hold them.
    wrong = PUBLIC_HALF[:4] + PRIVATE_HALF[:4]
    return GradeResult(
        status="graded", message=f"Test accuracy {FULL:.2%} on 10,000 images.", accuracy=FULL,
        public_accuracy=PUBLIC, private_accuracy=PRIVATE,
        feedback={
            "per_digit": PER_DIGIT, "confusion": [[7 if t == p else 1 for p in range(10)] for t in range(10)],
            "reference": {"accuracy": 0.9827, "public_accuracy": 0.9833, "private_accuracy": 0.9821,
                          "per_digit": [0.99] * 10, "description": "NumPy network 784-512-256-128-10"},
            "probe": {"clean_accuracy": FULL, "noisy_accuracy": 0.9377, "gap": FULL - 0.9377, "noise_sigma": 0.05,
                      "max_gap": 0.15},
            "misclassified": [{"index": i, "true": int(labels[i]), "predicted": (int(labels[i]) + 1) % 10}
                              for i in wrong],
            "misclassified_total": 569,
        })


@pytest.fixture
def graded(settings, tmp_path, monkeypatch):
    """A notebook graded through the site's own path (record_result draws and stores its pictures)."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    student = make_student("alice")
    make_profile(student)
    submission = make_submission(student, status="running", attempts=1)
    assert store.record_result(submission.pk, 1, grade_result())
    return Submission.objects.get(pk=submission.pk)


def student_pages(client, submission) -> str:
    """Everything a student can open about a graded notebook, as one text."""
    client.force_login(submission.student)
    urls = [f"/submissions/{submission.pk}/", f"/submissions/{submission.pk}/status/", "/assignments/mnist/",
            "/progress/", "/inbox/", "/leaderboard/", "/leaderboard/rows/", f"/appeals/notebook/{submission.pk}/"]
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return "\n".join(pages)


def hidden_figures() -> list[str]:
    return ([f"{FULL:.2%}", f"{PRIVATE:.2%}", "93.77%", "569 test digits"] + [f"{d:.2%}" for d in PER_DIGIT]
            + [f"{FULL * 100:.2f}%"])


def gallery(client, submission) -> bytes | None:
    response = client.get(f"/submissions/{submission.pk}/figures/misclassified.png")
    return b"".join(response.streaming_content) if response.status_code == 200 else None


def public_gallery_bytes() -> bytes:
    images, _ = mnist.test_set()
    return feedback.gallery_png(images, disclosure.public_misclassified(grade_result().feedback["misclassified"]))


def full_gallery_bytes() -> bytes:
    images, _ = mnist.test_set()
    return feedback.gallery_png(images, grade_result().feedback["misclassified"])


def test_before_the_reveal_a_student_sees_the_public_half_and_nothing_computed_on_the_rest(client, graded):
    text = student_pages(client, graded)
    assert f"{PUBLIC:.2%}" in text and "public half" in text
    for figure in hidden_figures():
        assert figure not in text, figure
    assert "private half 9" not in text and "Digit by digit" not in text and "Consistency check" not in text


def test_before_the_reveal_the_students_gallery_holds_public_digits_only_and_no_confusion_matrix(client, graded):
    client.force_login(graded.student)
    assert gallery(client, graded) == public_gallery_bytes() != full_gallery_bytes()
    assert client.get(f"/submissions/{graded.pk}/figures/confusion.png").status_code == 404


def test_the_public_gallery_keeps_only_digits_of_the_public_half():
    items = grade_result().feedback["misclassified"]
    kept = disclosure.public_misclassified(items)
    assert [i["index"] for i in kept] == PUBLIC_HALF[:4]


def test_the_credit_a_student_sees_before_the_reveal_is_the_public_halfs_and_says_so(client, graded):
    Assignment.objects.filter(pk=graded.assignment_id).update(full_credit_accuracy=1.0)
    graded.refresh_from_db()
    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    credit = graded.assignment.score_for(PUBLIC)
    assert f'<strong class="credit-counts">{credit:.0%}</strong> of the credit (provisional)' in page
    assert f"{graded.assignment.score_for(FULL):.0%}</strong>" not in page


def test_the_graded_notification_names_the_public_half_only(graded):
    title = Notification.objects.get(recipient=graded.student, kind="graded").title
    assert f"{PUBLIC:.2%} on the public half" in title and f"{FULL:.2%}" not in title


def test_after_the_reveal_a_student_sees_both_halves_the_whole_figure_and_the_full_gallery(client, graded):
    Assignment.objects.filter(pk=graded.assignment_id).update(private_revealed=True)
    text = student_pages(client, graded)
    for figure in (f"{FULL:.2%}", f"{PUBLIC:.2%}", f"{PRIVATE:.2%}", f"{PER_DIGIT[8]:.2%}", "569 test digits", "93.77%"):
        assert figure in text, figure
    assert gallery(client, graded) == full_gallery_bytes()
    assert client.get(f"/submissions/{graded.pk}/figures/confusion.png").status_code == 200


def test_staff_see_every_figure_before_the_reveal(client, graded):
    client.force_login(make_ta())
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    for figure in (f"{FULL:.2%}", f"{PUBLIC:.2%}", f"{PRIVATE:.2%}", f"{PER_DIGIT[8]:.2%}", "569 test digits"):
        assert figure in page, figure
    assert "students see the public half only" in page
    assert gallery(client, graded) == full_gallery_bytes()


def test_another_student_cannot_open_any_of_it(client, graded):
    client.force_login(make_student("bob"))
    for url in (f"/submissions/{graded.pk}/", f"/submissions/{graded.pk}/status/",
                f"/submissions/{graded.pk}/figures/misclassified.png"):
        assert client.get(url).status_code == 404


def test_a_students_best_notebook_is_chosen_by_the_public_half_before_the_reveal(client, graded):
    # Better on the whole test set, worse on the public half: before the reveal it is not "best".
    make_submission(graded.student, status="graded", accuracy=0.96, public_accuracy=0.93, private_accuracy=0.99,
                    score=1.0)
    client.force_login(graded.student)
    page = client.get("/progress/").content.decode()
    assert f"best {PUBLIC:.2%} on the public half" in page and "96.00%" not in page and "99.00%" not in page
    Assignment.objects.filter(pk=graded.assignment_id).update(private_revealed=True)
    assert "best 96.00% test accuracy" in client.get("/progress/").content.decode()
