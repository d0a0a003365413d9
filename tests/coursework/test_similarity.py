import pytest

from coursework.models import EssayPrompt, EssaySubmission, Essay
from coursework.services import similarity
from coursework.services.content import load_content
from tests.factories import make_assignment, make_student, make_submission, make_ta
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db

ORIGINAL = '''
import numpy as np
def relu(x):
    return np.maximum(x, 0)
weights = [np.random.randn(784, 128) * 0.01, np.random.randn(128, 10) * 0.01]
def forward(batch):
    hidden = relu(batch @ weights[0])
    scores = hidden @ weights[1]
    return scores.argmax(axis=1)
def predict(images):
    return forward(images)
'''
# The same code with every name changed, comments added and the layout shuffled.
DISGUISED = '''
import numpy as np
# my own work!
def activation(z):
    return np.maximum(z, 0)

w = [np.random.randn(784, 128) * 0.01, np.random.randn(128, 10) * 0.01]

def run(b):
    h = activation(b @ w[0])   # hidden layer
    s = h @ w[1]
    return s.argmax(axis=1)
def predict(imgs):
    return run(imgs)
'''
DIFFERENT = '''
import numpy as np
means = None
def predict(images):
    distances = ((images[:, None, :] - images[None, :10, :]) ** 2).sum(-1)
    return distances.argmin(1) % 10
'''


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_renamed_and_recommented_code_is_still_found_and_different_code_is_not():
    assignment = make_assignment()
    a, b, c = make_student("a"), make_student("b"), make_student("c")
    make_submission(a, notebook(ORIGINAL))
    make_submission(b, notebook(DISGUISED))
    make_submission(c, notebook(DIFFERENT))
    pairs = similarity.notebook_pairs(assignment)
    assert [(p.a.owner_id, p.b.owner_id) for p in pairs] in ([(a.pk, b.pk)], [(b.pk, a.pk)])
    assert pairs[0].score > 0.8


def test_two_notebooks_of_one_student_are_never_a_pair():
    assignment = make_assignment()
    a = make_student("a")
    make_submission(a, notebook(ORIGINAL))
    make_submission(a, notebook(ORIGINAL))
    assert similarity.notebook_pairs(assignment) == []


def test_copied_essays_are_found_and_shown_side_by_side(client):
    load_content()
    prompt = EssayPrompt.objects.first()
    text = ("Dendrites gather signals from many neighbours and the soma integrates them before an axon fires. "
            "Artificial units copy this by summing weighted inputs and applying a nonlinearity such as the sigmoid. ") * 3
    for name, body in (("amy", text), ("ben", "Honestly I wrote this myself. " + text), ("cal", "Entirely different thoughts about ethics, privacy and consent in medicine.")):
        submission = EssaySubmission.objects.create(student=make_student(name), version=1)
        Essay.objects.create(submission=submission, prompt=prompt, text=body, meaningful_words=250)
    pairs = similarity.essay_pairs()
    assert len(pairs) == 1 and {pairs[0].a.owner_name, pairs[0].b.owner_name} == {"amy", "ben"}
    client.force_login(make_ta())
    page = client.get(f"/ta/similarity/essays/{pairs[0].a.ref[1]}/{pairs[0].b.ref[1]}/").content.decode()
    assert 'class="shared"' in page and "Dendrites gather signals" in page
    assert "side by side" in client.get("/ta/similarity/").content.decode()
