import pytest
from django.core.files.base import ContentFile

from coursework.models import Submission
from tests.factories import make_student, make_submission, make_ta
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db

FEEDBACK = {
    "per_digit": [0.99, 0.98, 0.9, 0.95, 0.97, 0.96, 0.97, 0.95, 0.8, 0.94],
    "reference": {"accuracy": 0.9827, "per_digit": [0.99] * 10, "description": "NumPy network 784-512-256-128-10"},
    "probe": {"clean_accuracy": 0.94, "noisy_accuracy": 0.93, "gap": 0.01, "noise_sigma": 0.05, "max_gap": 0.15},
    "misclassified_total": 600,
    "confusion": [[0] * 10] * 10,
}


@pytest.fixture
def graded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    submission = make_submission(make_student("alice"), status=SubmissionStatus.GRADED, accuracy=0.94, public_accuracy=0.941,
                                 private_accuracy=0.939, score=1.0, feedback=FEEDBACK)
    submission.executed_html.save("n.html", ContentFile(b"<html><script>alert(document.cookie)</script></html>"))
    submission.confusion_png.save("c.png", ContentFile(b"\x89PNG fake"))
    return submission


def test_the_page_compares_the_student_with_the_reference_digit_by_digit(client, graded):
    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    assert "94.00%" in page and "The reference network scores 98.27%: you are 4.27 points below it." in page
    assert "finds these digits hardest: <strong>8</strong> (80.0%)" in page
    assert "−19.00 pts" in page  # digit 8: 80% against 99%


def test_the_executed_notebook_is_served_so_that_its_scripts_cannot_run(client, graded):
    client.force_login(graded.student)
    response = client.get(f"/submissions/{graded.pk}/notebook/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'none' covers scripts
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    assert '<iframe class="notebook" sandbox src=' in page


def test_the_framed_notebook_opens_with_its_signed_link_and_not_with_a_forged_one(client, graded):
    from coursework.views.student.notebooks import notebook_link_token

    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").context
    client.logout()  # the sandboxed frame sends no session cookie
    assert client.get(f"/submissions/{graded.pk}/notebook/?token={page['notebook_token']}").status_code == 200
    assert client.get(f"/submissions/{graded.pk}/notebook/?token=forged").status_code == 404
    other = make_submission(make_student("carol"))
    assert client.get(f"/submissions/{other.pk}/notebook/?token={notebook_link_token(graded.pk)}").status_code == 404
    assert client.get(f"/submissions/{graded.pk}/notebook/").status_code == 302  # to the login page


def test_figures_and_notebooks_of_another_student_are_404(client, graded):
    client.force_login(make_student("bob"))
    assert client.get(f"/submissions/{graded.pk}/notebook/").status_code == 404
    assert client.get(f"/submissions/{graded.pk}/figures/confusion.png").status_code == 404


def test_a_ta_sees_any_submissions_figures(client, graded):
    client.force_login(make_ta())
    response = client.get(f"/submissions/{graded.pk}/figures/confusion.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_a_flag_is_explained_to_tas_and_only_announced_to_the_student(client, graded):
    Submission.objects.filter(pk=graded.pk).update(flagged=True, flag_reason="Integrity probe: gap 80%")
    client.force_login(graded.student)
    assert "Integrity probe" not in client.get(f"/submissions/{graded.pk}/").content.decode()
    client.force_login(make_ta())
    assert "Integrity probe: gap 80%" in client.get(f"/submissions/{graded.pk}/").content.decode()


def test_the_confusion_matrix_and_the_wrong_digits_are_html_that_reflows(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    confusion = [[980 if t == p else 0 for p in range(10)] for t in range(10)]
    confusion[4][9] = 23
    feedback = {**FEEDBACK, "confusion": confusion, "misclassified": [{"index": 0, "true": 7, "predicted": 1}]}
    submission = make_submission(make_student("dora"), status=SubmissionStatus.GRADED, accuracy=0.95,
                                 public_accuracy=0.95, private_accuracy=0.95, feedback=feedback)
    client.force_login(submission.student)

    page = client.get(f"/submissions/{submission.pk}/").content.decode()

    table = page[page.index('<table class="confusion">'):page.index("</table>", page.index('<table class="confusion">'))]
    row4 = table[table.index('<th scope="row">4</th>'):table.index('<th scope="row">5</th>')]
    assert row4.count('class="wrong"') == 1 and ">23</td>" in row4 and 'class="correct"' in row4 and ">980</td>" in row4
    assert table.count('<td class="correct"') == 10
    assert '<img src="data:image/png;base64,' in page and "true <strong>7</strong>, got <strong>1</strong>" in page


def test_every_shade_of_the_matrix_keeps_its_number_readable():
    from coursework.services.pictures import _luminance, _shade

    for step in range(101):
        background, ink = _shade(step / 100)
        lum = [_luminance(tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))) for c in (background, ink)]
        ratio = (max(lum) + 0.05) / (min(lum) + 0.05)
        assert ratio >= 4.5, (step, background, ink, ratio)
