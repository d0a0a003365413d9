"""How the test set is asked, through the real sandbox: no test image file anywhere, predict
sees one small batch at a time, in a sealed process of its own per phase (the probe first)
while everything else in the sandbox is stopped, so notebooks that know the test labels
cannot carry anything from one phase to the next, and the probe's evidence flags them."""
import shutil
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from grader.limits import Limits
from grader.pipeline import grade_notebook_bytes
from reference_nn.reference import load_mnist
from tests.support.notebooks import (
    CHEATS,
    IMAGE_KEY,
    LOAD_MNIST,
    NEAREST_MEAN,
    cross_phase_pairing_notebook,
    label_table,
    nearest_mean_notebook,
    notebook,
    png_output_notebook,
    with_label_table,
)

# Probe accuracies of two runs of one network differ only by the fresh perturbation.
SAME_NETWORK = 0.01


@pytest.fixture(scope="module")
def test_set():
    return load_mnist(settings.MNIST_DATA_DIR)[2:]


@pytest.fixture(scope="module")
def honest_probe_accuracy():
    """What the nearest-mean classifier, every cheat's fallback here, scores on the probe."""
    job_dir = Path(settings.GRADER_WORK_ROOT) / f"test-{uuid.uuid4().hex}"
    try:
        result = grade_notebook_bytes(nearest_mean_notebook(), job_dir, Limits.from_settings())
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    assert result.status == "graded" and not result.flagged, result.message
    return result.feedback["probe"]["noisy_accuracy"]


def assert_caught(result, honest_probe_accuracy):
    """Perfect on the test images it knows, no better than honest on the probe, and flagged;
    or refused, when the cheat needs what a sealed predict cannot do (files, here)."""
    if result.status == "failed":
        assert "raised PermissionError" in result.message, result.message
        assert result.feedback["failure"]["mistake"]["key"] == "sealed"
        return
    assert result.status == "graded", result.message
    probe = result.feedback["probe"]
    print(f"clean {probe['clean_accuracy']:.4f}, probe {probe['noisy_accuracy']:.4f}, "
          f"honest probe {honest_probe_accuracy:.4f}, z {probe['z']:+.1f}")
    assert result.accuracy == 1.0
    assert probe["noisy_accuracy"] <= honest_probe_accuracy + SAME_NETWORK
    assert result.flagged and "Integrity probe" in result.flag_reason


def test_no_file_holds_a_test_image_and_predict_can_open_no_file_while_it_is_asked(grade):
    """The sandbox has the training files and the notebook, no test image file; and predict,
    asked in a sealed process, can open nothing at all (nor could anything else read what
    it might leave: the rest of the sandbox is stopped)."""
    cells = """
import os
import numpy as np
assert sorted(os.listdir('/data/mnist')) == ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']
assert sorted(os.listdir('/grader-input')) == ['config.json', 'seal.bpf', 'submission.ipynb']
harness = os.getppid()  # the kernel's parent
for private in [f'/proc/{harness}/mem', f'/proc/{harness}/fd', f'/proc/{harness}/environ', '/proc/1/fd']:
    try:
        os.listdir(private) if private.endswith('fd') else open(private, 'rb').read(1)
        raise AssertionError(f'could read {private}')
    except PermissionError:
        pass

def predict(images):
    for path, mode in [('/data/mnist/train-labels-idx1-ubyte', 'rb'), ('/tmp/notes', 'w'), ('/dev/shm/x', 'w')]:
        try:
            open(path, mode)
        except PermissionError:
            continue
        raise AssertionError(f'predict opened {path}')
    for attempt in (os.fork, lambda: __import__('socket').socket()):
        try:
            attempt()
        except PermissionError:
            continue
        raise AssertionError('predict started a process or opened a socket')
    return np.zeros(len(images), dtype=int)
"""
    result = grade(notebook(cells), cell_timeout_s=300, total_timeout_s=400)
    assert result.status == "graded", result.message


def test_predict_sees_batches_of_the_setting_and_the_test_images_in_a_fresh_process_of_their_own(grade, test_set):
    """predict keeps a list of what it was asked in the kernel's globals; the process asked
    about the test images reports its own list on its last batch: 20 batches of 500, every
    image a test image, and nothing of the probe phase's calls (which came first, in
    another process) in it."""
    images, labels = test_set
    spy = IMAGE_KEY + label_table(images, labels) + '''
import json, os
asked = []
def predict(images):
    known = sum(image_key(image) in TABLE for image in images)
    asked.append([os.getpid(), len(images), known])
    if known and sum(n for _, n, _ in asked) == 10000:
        raise RuntimeError(json.dumps(asked))
    return np.zeros(len(images), dtype=int)
'''
    result = grade(notebook("import numpy as np", spy), cell_timeout_s=300, total_timeout_s=400)
    assert result.message.startswith("The grading step that calls predict(images) raised RuntimeError: "), result.message
    import json

    calls = json.loads(result.message.split("RuntimeError: ", 1)[1])
    assert [n for _, n, _ in calls] == [500] * 20
    assert all(k == 500 for _, _, k in calls)  # only test images, none of the probe's
    assert len({pid for pid, _, _ in calls}) == 1


def test_labels_hidden_in_a_saved_output_of_the_upload_cannot_be_read_back(grade, test_set, honest_probe_accuracy):
    """The sandbox gets a copy of the notebook without outputs: the notebook that read its
    labels back from its own saved PNG scores what its network scores."""
    result = grade(png_output_notebook(*test_set))
    assert result.status == "graded", result.message
    assert abs(result.accuracy - 0.8203) < 0.01  # the nearest-mean classifier's own accuracy


def test_a_notebook_that_pairs_images_across_phases_through_files_is_flagged(grade, test_set, honest_probe_accuracy):
    """It means to give each test image its probe twin's answer (so that its gap is what it
    chooses); sealed, it can keep nothing between phases and is left with its table."""
    assert_caught(grade(cross_phase_pairing_notebook(*test_set)), honest_probe_accuracy)


def test_a_notebook_that_turns_off_the_seal_is_refused(grade):
    """The seal is the kernel's own code, which the notebook can change; the harness checks
    it from outside before any image is sent."""
    disarm = """
import ctypes
class _Nothing:
    def __getattr__(self, name):
        return lambda *args: 0
ctypes.CDLL = lambda *args, **kwargs: _Nothing()
"""
    result = grade(notebook(LOAD_MNIST, NEAREST_MEAN, disarm))
    assert result.status == "failed"
    assert "did not load the grader's seccomp filter" in result.message, result.message


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_notebook_that_knows_the_test_labels_gains_nothing_on_the_probe_and_is_flagged(
        grade, test_set, honest_probe_accuracy, cheat):
    """Each cheat is perfect on the test images it recognises, and the probe (answered in
    full, sealed, before any test image is asked) shows it: separating the probe from the
    test images by their values, pairing each probe image with its twin (within a call,
    or across calls through /dev/shm, which a sealed predict cannot open: refused),
    ranking the test set by hash, or a plain table of labels."""
    assert_caught(grade(CHEATS[cheat](*test_set)), honest_probe_accuracy)


def test_the_solution_with_a_label_table_on_top_is_flagged(grade, test_set):
    """The hardest case: a good network answers the probe, so the excess is only what the
    network misses on the test set, about two points, all of it one way."""
    solution = (Path(__file__).resolve().parents[2] / "assignments" / "mnist_solution.ipynb").read_bytes()
    result = grade(with_label_table(solution, *test_set))
    assert result.status == "graded", result.message
    probe = result.feedback["probe"]
    print(f"clean {probe['clean_accuracy']:.4f}, probe {probe['noisy_accuracy']:.4f}, z {probe['z']:+.1f}")
    assert result.accuracy == 1.0
    assert probe["noisy_accuracy"] <= result.feedback["reference"]["accuracy"]  # an honest network's, no more
    assert result.flagged and "Integrity probe" in result.flag_reason
