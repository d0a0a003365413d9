"""The slips PyTorch notebooks make, named with their fix: graded through the real sandbox in
the pytorch environment, since each one's words come from torch itself."""
import pytest

from tests.support import environments
from tests.support.notebooks import notebook

pytestmark = environments.needs("pytorch")
FAST = {"cell_timeout_s": 60, "total_timeout_s": 120}
MODEL = "import numpy as np\nimport torch\nmodel = torch.nn.Linear(784, 10)"


@pytest.mark.parametrize("predict, key, words", [
    # a tensor straight from the model, gradients and all
    ("def predict(images):\n    return model(torch.from_numpy(images)).argmax(dim=1).float().requires_grad_()",
     "tensor", "torch.no_grad()"),
    # ten scores per image instead of a label
    ("def predict(images):\n    with torch.no_grad():\n        return model(torch.from_numpy(images))",
     "probabilities", "argmax(dim=1)"),
    # a GPU the grader does not have
    ("model = model.to('cuda')\ndef predict(images):\n    return np.zeros(len(images), dtype=int)",
     "cuda", "torch.cuda.is_available()"),
    # a dataset downloaded instead of read from MNIST_DATA_DIR
    ("from torchvision import datasets\ntrain = datasets.MNIST('data', download=True)", "missing_module", "MNIST_DATA_DIR"),
    ("torch.hub.download_url_to_file('https://example.org/weights.pt', 'weights.pt')", "no_internet", "torch.hub"),
    # torch's allocator says 'out of memory' in a RuntimeError of its own
    ("hoard = torch.ones(4 * 1024 ** 3)", "memory", "float32"),
])
def test_a_torch_slip_is_named_with_its_fix(grade, predict, key, words):
    result = grade(notebook(MODEL, predict), environment="pytorch", **FAST)
    assert result.status == "failed"
    mistake = result.feedback["failure"]["mistake"]
    assert mistake["key"] == key and words in mistake["fix"], (result.message, mistake)


DROPOUT = ("import numpy as np\nimport torch\ntorch.manual_seed(0)\n"
           "model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Dropout(0.5),"
           " torch.nn.Linear(64, 10))\n")
PREDICT = "def predict(images):\n    with torch.no_grad():\n        return model(torch.from_numpy(images)).argmax(dim=1).numpy()"


@pytest.mark.parametrize("evaluation, changes", [("", True), ("model.eval()\n", False)])
def test_dropout_left_on_is_seen_as_two_answers_for_the_same_images(grade, evaluation, changes):
    """Asked twice about the same 64 training images before the test, a model in training
    mode changes its labels; one in evaluation mode never does. The grade stands either way."""
    result = grade(notebook(DROPOUT + evaluation, PREDICT), environment="pytorch", **FAST)
    assert result.status == "graded", result.message
    declared = result.feedback["declared"]
    assert declared["predict_asked_twice"] == 64
    assert (declared["predict_disagreed"] > 0) is changes
