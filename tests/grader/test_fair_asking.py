"""How the test set is asked, through the real sandbox: no test image file anywhere, predict
sees one small batch at a time, the probe is answered in full (in a process of its own)
before any test image is in the sandbox, so notebooks that know the test labels cannot
carry their knowledge over to the probe, and the probe's gap flags them."""
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from grader.limits import Limits
from grader.pipeline import grade_notebook_bytes
from reference_nn.reference import load_mnist
from tests.support.notebooks import CHEATS, IMAGE_KEY, label_table, nearest_mean_notebook, notebook, with_label_table

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
    """Perfect on the test images it knows, no better than honest on the probe, and flagged."""
    assert result.status == "graded", result.message
    probe = result.feedback["probe"]
    print(f"clean {probe['clean_accuracy']:.4f}, probe {probe['noisy_accuracy']:.4f}, "
          f"honest probe {honest_probe_accuracy:.4f}, gap {probe['gap']:+.4f}")
    assert result.accuracy == 1.0
    assert probe["noisy_accuracy"] <= honest_probe_accuracy + SAME_NETWORK
    assert result.flagged and "Integrity probe" in result.flag_reason


def test_no_file_in_the_sandbox_holds_a_test_image_while_predict_is_asked(grade, test_set):
    """Looked for while predict answers (when the images are in flight), in both the form
    the MNIST file stores (bytes) and the one predict receives (float32)."""
    images, _ = test_set
    first = images[0]
    search = f'''
import os
FORMS = [bytes.fromhex({np.rint(first * 255).astype(np.uint8).tobytes().hex()!r}),
         bytes.fromhex({first.astype(np.float32).tobytes().hex()!r})]
assert sorted(os.listdir('/data/mnist')) == ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']
assert sorted(os.listdir('/grader-input')) == ['config.json', 'submission.ipynb']
harness = os.getppid()  # the kernel's parent
for private in [f'/proc/{{harness}}/mem', f'/proc/{{harness}}/fd', f'/proc/{{harness}}/environ', '/proc/1/fd']:
    try:
        os.listdir(private) if private.endswith('fd') else open(private, 'rb').read(1)
        raise AssertionError(f'could read {{private}}')
    except PermissionError:
        pass

def files_holding_a_test_image():
    found = []
    for top in ['/tmp', '/submission', '/dev/shm', '/grader-input', '/data', '/grader-harness']:
        for root, _, names in os.walk(top):
            for name in names:
                path = os.path.join(root, name)
                try:
                    data = open(path, 'rb').read()
                except OSError:
                    continue
                if any(form in data for form in FORMS):
                    found.append(path)
    return found

asked = []
def predict(images):
    asked.append(len(images))
    found = files_holding_a_test_image()
    assert not found, f'test images in {{found}}'
    assert max(asked) <= {settings.GRADER_PREDICT_BATCH}, asked
    return np.zeros(len(images), dtype=int)
'''
    result = grade(notebook("import numpy as np", search), cell_timeout_s=300, total_timeout_s=400)
    assert result.status == "graded", result.message


def test_predict_sees_batches_of_the_setting_and_the_probe_in_a_process_before_the_test_images(grade, test_set):
    """Each call writes who it was and what it saw to /dev/shm, which every process of the
    job shares; the last call reports it all by failing with it."""
    images, labels = test_set
    spy = IMAGE_KEY + label_table(images, labels) + '''
import json, os
def predict(images):
    known = sum(image_key(image) in TABLE for image in images)
    with open('/dev/shm/calls', 'a') as log:
        log.write(json.dumps([os.getpid(), len(images), known]) + '\\n')
    calls = [json.loads(line) for line in open('/dev/shm/calls')]
    if sum(n for _, n, _ in calls) == 20000:
        raise RuntimeError(json.dumps(calls))
    return np.zeros(len(images), dtype=int)
'''
    result = grade(notebook("import numpy as np", spy), cell_timeout_s=300, total_timeout_s=400)
    assert result.message.startswith("The grading step that calls predict(images) raised RuntimeError: ")
    import json

    calls = json.loads(result.message.split("RuntimeError: ", 1)[1])
    assert [n for _, n, _ in calls] == [500] * 40
    probe, clean = calls[:20], calls[20:]
    assert {pid for pid, _, _ in probe} & {pid for pid, _, _ in clean} == set()  # two processes, no overlap
    assert len({pid for pid, _, _ in probe}) == 1 and len({pid for pid, _, _ in clean}) == 1
    assert sum(k for _, _, k in probe) == 0  # no probe image is a test image, by hash
    assert all(k == 500 for _, _, k in clean)  # and every test image is one


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_notebook_that_knows_the_test_labels_gains_nothing_on_the_probe_and_is_flagged(
        grade, test_set, honest_probe_accuracy, cheat):
    """Each cheat is perfect on the test images it recognises, and the probe (answered in
    full before any test image is asked) shows it: separating the probe from the test
    images by their values, pairing each probe image with its twin (within a call, or
    across calls and processes through /dev/shm), ranking the test set by hash, or a
    plain table of labels."""
    assert_caught(grade(CHEATS[cheat](*test_set)), honest_probe_accuracy)


def test_the_solution_with_a_label_table_on_top_is_flagged(grade, test_set):
    """The hardest case for the threshold: a good network answers the probe, so the gap
    is only what the network misses on the test set, about two points."""
    solution = (Path(__file__).resolve().parents[2] / "assignments" / "mnist_solution.ipynb").read_bytes()
    result = grade(with_label_table(solution, *test_set))
    assert result.status == "graded", result.message
    probe = result.feedback["probe"]
    print(f"clean {probe['clean_accuracy']:.4f}, probe {probe['noisy_accuracy']:.4f}, gap {probe['gap']:+.4f}")
    assert result.accuracy == 1.0
    assert probe["noisy_accuracy"] <= result.feedback["reference"]["accuracy"]  # an honest network's, no more
    assert result.flagged and "Integrity probe" in result.flag_reason
