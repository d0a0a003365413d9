import pytest
from django.core.files.base import ContentFile

from coursework.models import Assignment, Submission
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
    Assignment.objects.filter(pk=graded.assignment_id).update(private_revealed=True)  # the whole set's figures
    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    assert "94.00%" in page and "The reference network scores 98.27%: you are 4.27 points below it." in page
    assert "finds these digits hardest:" in page and "<li><strong>8</strong> (80.0% right)" in page
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


FAILURE = {
    "error": "NotImplementedError", "cell": 10, "line": 2, "function": "predict(<b>images</b>)",
    "source": {"lines": [{"number": 1, "code": "def predict(images):", "current": False},
                         {"number": 2, "code": "    raise NotImplementedError", "current": True}],
               "cut_before": 0, "cut_after": 0},
    "frames": [{"own": True, "cell": 10, "where": "cell 10, line 2", "line": 2, "function": "predict(images)",
                "code": [{"number": 2, "code": "    raise NotImplementedError", "current": True}]}],
    "frames_hidden": 0,
    "mistake": {"key": "template_todo", "name": "A part of the template is not written yet",
                "fix": "`predict` still ends in the template's `raise NotImplementedError`."},
}


def test_a_failed_notebook_shows_the_named_mistake_its_fix_and_the_failing_line(client, settings, tmp_path):
    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path
    submission = make_submission(make_student("alice"), status=SubmissionStatus.FAILED, feedback={"failure": FAILURE},
                                 message="The grading step that calls predict(images) raised NotImplementedError",
                                 refunded_at=timezone.now())
    client.force_login(submission.student)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "A part of the template is not written yet" in page
    assert "<code>predict</code> still ends" in page  # the fix's code spans are shown as code
    assert '<span class="line current"><span class="ln">2</span><mark>    raise NotImplementedError</mark>' in page
    assert "does not count against today's uploads" in page
    assert "predict(&lt;b&gt;images&lt;/b&gt;)" in page and "<b>images</b>" not in page  # the traceback's text, escaped


def test_a_failed_notebook_without_a_named_mistake_opens_its_traceback(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    failure = {k: v for k, v in FAILURE.items() if k != "mistake"}
    submission = make_submission(make_student("alice"), status=SubmissionStatus.FAILED, feedback={"failure": failure})
    client.force_login(submission.student)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "Where it failed" in page and '<details class="frames" open>' in page and 'id="refunded"' not in page


def coached(settings, tmp_path, accuracy=0.94, revealed=True, **extra):
    """A graded submission whose 8s are mostly mistaken for 3s, then 5s."""
    settings.MEDIA_ROOT = tmp_path
    confusion = [[1000 if p == t else 0 for p in range(10)] for t in range(10)]
    confusion[8] = [0, 0, 0, 150, 0, 40, 0, 0, 800, 10]
    pairs = [{"true": 8, "predicted": 3, "count": 150, "images": ["iVBORw0KGgo="]},
             {"true": 8, "predicted": 5, "count": 40, "images": ["iVBORw0KGgp=", "<script>"]}]
    feedback = {**FEEDBACK, "confusion": confusion, "confused_pairs": pairs, **extra}
    submission = make_submission(make_student("alice"), status=SubmissionStatus.GRADED, accuracy=accuracy,
                                 public_accuracy=accuracy, private_accuracy=accuracy, score=1.0, feedback=feedback)
    if revealed:  # the whole test set's figures are the student's to see
        submission.assignment.private_revealed = True
        submission.assignment.save(update_fields=["private_revealed"])
    return submission


def test_before_the_reveal_the_coaching_is_the_public_halfs_alone(client, settings, tmp_path):
    public_confusion = [[500 if p == t else 0 for p in range(10)] for t in range(10)]
    public_confusion[8] = [0, 0, 0, 20, 0, 0, 0, 70, 400, 0]
    public = {"per_digit": [1.0] * 8 + [0.8, 1.0], "confusion": public_confusion,
              "confused_pairs": [{"true": 8, "predicted": 7, "count": 70, "images": ["cHVibGlj"]}]}
    reference = {**FEEDBACK["reference"], "public_per_digit": [0.99] * 10}
    submission = coached(settings, tmp_path, revealed=False, public=public, reference=reference)
    client.force_login(submission.student)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "a <strong>7</strong> (70 times)" in page and "base64,cHVibGlj" in page  # the public half's
    assert "(150 times)" not in page and "iVBORw0KGgo=" not in page  # never the whole set's


def test_the_weakest_digits_come_with_what_they_are_mistaken_for_and_examples(client, settings, tmp_path):
    submission = coached(settings, tmp_path)
    client.force_login(submission.student)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "a <strong>3</strong> (150 times)" in page and "a <strong>5</strong> (40 times)" in page
    assert page.index("a <strong>3</strong> (150 times)") < page.index("a <strong>5</strong> (40 times)")  # most first
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page and 'alt="an 8 your network read as 3"' in page
    assert "base64,<script>" not in page and "base64,&lt;script&gt;" in page


def test_a_difference_inside_the_tests_noise_is_about_the_same_not_red(client, settings, tmp_path):
    reference = {**FEEDBACK["reference"], "accuracy": 0.9810, "per_digit": [0.99] * 10}
    per_digit = [0.989] + FEEDBACK["per_digit"][1:]  # digit 0: 0.1 points below, on ~1,000 images
    submission = coached(settings, tmp_path, accuracy=0.9800, reference=reference, per_digit=per_digit)
    client.force_login(submission.student)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "About the same as the reference network (98.10%): 0.10 points below it is within the ±0.3 points" in page
    assert '<td class="same">about the same <span class="muted">(−0.10 pts)</span></td>' in page
    assert '<td class="worse">−19.00 pts</td>' in page  # digit 8: far outside the noise, still red


def test_next_steps_name_too_few_hidden_layers_memorising_and_a_network_near_the_baseline(client, settings, tmp_path):
    submission = coached(settings, tmp_path, accuracy=0.83,
                         declared={"layer_sizes": [784, 100, 10], "train_accuracy": 0.995},
                         baseline={"nearest_mean_accuracy": 0.8203})
    client.force_login(submission.student)
    steps = client.get(f"/submissions/{submission.pk}/").context["steps"]
    assert steps[0].startswith("The project asks for at least three hidden layers; yours has one (784 → 100 → 10).")
    assert "99.5% of its training images right but 83.0% of the test images" in steps[1]
    assert "with no training at all, scores 82.0%; your network scores 83.0%" in steps[2]


def test_a_network_that_does_what_the_project_asks_gets_no_scolding(client, settings, tmp_path):
    submission = coached(settings, tmp_path, accuracy=0.975,
                         declared={"layer_sizes": [784, 256, 128, 64, 10], "train_accuracy": 0.985},
                         baseline={"nearest_mean_accuracy": 0.8203})
    client.force_login(submission.student)
    steps = client.get(f"/submissions/{submission.pk}/").context["steps"]
    assert len(steps) == 1 and steps[0].startswith("Your architecture is what the project asks for")


def test_the_ta_sees_which_mistake_the_student_was_told_and_that_the_upload_was_given_back(client, settings, tmp_path):
    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path
    submission = make_submission(make_student("alice"), status=SubmissionStatus.FAILED, feedback={"failure": FAILURE},
                                 refunded_at=timezone.now())
    client.force_login(make_ta())
    page = client.get(f"/ta/notebooks/{submission.pk}/").content.decode()
    assert "The student was told: <strong>A part of the template is not written yet</strong>" in page
    assert "the upload was given back" in page


def test_the_confusion_matrix_and_the_wrong_digits_are_html_that_reflows(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    confusion = [[980 if t == p else 0 for p in range(10)] for t in range(10)]
    confusion[4][9] = 23
    feedback = {**FEEDBACK, "confusion": confusion, "misclassified": [{"index": 0, "true": 7, "predicted": 1}]}
    submission = make_submission(make_student("dora"), status=SubmissionStatus.GRADED, accuracy=0.95,
                                 public_accuracy=0.95, private_accuracy=0.95, feedback=feedback)
    submission.assignment.private_revealed = True  # the whole test set's pictures are the student's to see
    submission.assignment.save(update_fields=["private_revealed"])
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


TIMED_OUT = "Cell 3 could not be displayed: showing it took longer than 45 seconds, the time allowed for turning the " \
            "executed notebook into a page."


def test_a_page_still_being_drawn_is_announced_to_the_student_under_a_grade_that_stands(client, graded):
    Submission.objects.filter(pk=graded.pk).update(render_status="pending", render_problem=TIMED_OUT, render_attempts=1)
    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    assert "Test accuracy" in page and 'id="page-pending"' in page
    assert "Your executed notebook will appear here." in page and "does not change your result" in page
    assert "Meanwhile, here is what it could draw." in page and '<iframe class="notebook"' in page
    assert TIMED_OUT not in page  # the reason is the student's only once it is final


def test_a_page_that_could_not_be_drawn_at_all_says_why_naming_the_cell(client, graded):
    graded.executed_html = ""
    graded.render_status, graded.render_problem = "failed", TIMED_OUT
    graded.save()
    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    assert 'id="page-problem"' in page and TIMED_OUT in page and "does not change your result" in page
    assert '<iframe class="notebook"' not in page and 'id="page-pending"' not in page


def test_a_whole_page_has_no_note_about_drawing_it(client, graded):
    client.force_login(graded.student)
    page = client.get(f"/submissions/{graded.pk}/").content.decode()
    assert '<iframe class="notebook"' in page
    assert 'id="page-pending"' not in page and 'id="page-problem"' not in page


def test_the_ta_sees_whether_the_page_is_pending_or_failed_and_why(client, graded):
    ta = make_ta()
    client.force_login(ta)
    Submission.objects.filter(pk=graded.pk).update(render_status="pending", render_problem=TIMED_OUT, render_attempts=1)
    page = client.get(f"/ta/notebooks/{graded.pk}/").content.decode()
    assert "Executed notebook&#x27;s page:" in page or "Executed notebook's page:" in page
    assert "<strong>pending</strong>" in page and "1 of 3 tries made" in page and TIMED_OUT in page
    widget = "Cell 2 has an output the grader cannot display: a widget view without a model_id."
    Submission.objects.filter(pk=graded.pk).update(render_status="failed", render_problem=widget, render_attempts=2)
    page = client.get(f"/ta/notebooks/{graded.pk}/").content.decode()
    assert "<strong>failed</strong> after 2 tries" in page and widget in page and "as far as it could be drawn" in page
    Submission.objects.filter(pk=graded.pk).update(render_status="done", render_problem="", render_attempts=1)
    assert "drawn again in full after 1 try" in client.get(f"/ta/notebooks/{graded.pk}/").content.decode()


@pytest.mark.parametrize("number, said", [(8, "an 8"), (3, "a 3"), (11, "an 11"), (18, "an 18"), (80, "an 80"),
                                          (100, "a 100"), (8000, "an 8000"), (11000, "an 11000"), (1100, "a 1100")])
def test_a_number_gets_the_article_it_is_said_with(number, said):
    from coursework.templatetags.coursework_extras import article

    assert f"{article(number)} {number}" == said


def test_a_digit_mistaken_for_an_8_is_written_with_an(client, settings, tmp_path):
    pairs = [{"true": 8, "predicted": 3, "count": 150, "images": []}]
    confusion = [[1000 if p == t else 0 for p in range(10)] for t in range(10)]
    confusion[8] = [0, 0, 0, 150, 0, 0, 0, 0, 850, 0]
    confusion[2] = [0, 0, 800, 0, 0, 0, 0, 0, 200, 0]  # 2s read as 8s
    submission = coached(settings, tmp_path, confusion=confusion,
                         confused_pairs=pairs + [{"true": 2, "predicted": 8, "count": 200, "images": ["iVBORw0KGgo="]}])
    client.force_login(submission.student)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "an <strong>8</strong> (200 times)" in page and 'alt="a 2 your network read as 8"' in page
    assert "a <strong>8</strong>" not in page


def test_next_steps_say_dropout_is_on_when_predict_changed_its_answer_for_the_same_images(client, settings, tmp_path):
    submission = coached(settings, tmp_path, accuracy=0.93,
                         declared={"layer_sizes": [784, 256, 128, 64, 10], "predict_asked_twice": 64,
                                   "predict_disagreed": 7},
                         baseline={"nearest_mean_accuracy": 0.8203})
    client.force_login(submission.student)
    steps = client.get(f"/submissions/{submission.pk}/").context["steps"]
    assert steps[0].startswith("predict gave different labels for the same images: asked twice about seven of 64")
    assert "model.eval()" in steps[0]
