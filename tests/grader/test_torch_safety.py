"""PyTorch notebooks are graded as safely as NumPy ones: torch's thread pool, its import and
its downloads meet the sandbox's limits with a clear result. (The attacks common to both
environments are in test_hostile_notebooks.py, run in each.)"""
from tests.support import environments
from tests.support.notebooks import notebook

pytestmark = environments.needs("pytorch")
FAST = {"cell_timeout_s": 60, "total_timeout_s": 120}
LABEL_ONES = 1135  # how many of the 10,000 test images are ones

THREAD_POOL_THEN_PREDICT = '''
import numpy as np
import torch

started_with = torch.get_num_threads()
torch.set_num_threads(4)  # past the sandbox's one thread: GNU OpenMP now holds a pool of four
x = torch.randn(1500, 1500)
for _ in range(3):
    (x @ x).relu_().sum()
w = torch.randn(784, 10)


def predict(images):
    t = torch.from_numpy(images)
    t.repeat(40, 1).relu().sum()  # work large enough for the intra-op pool, in the forked process
    # The answer is the thread count, so the test sees it: 1 labels 1,135 test images right.
    return np.full(len(images), torch.get_num_threads() if started_with == 1 else 9)
'''


def test_a_kernel_that_used_torchs_thread_pool_is_forked_for_predict_without_hanging(grade):
    """Forked after a four-thread OpenMP region, the predict process used to wait for threads
    that did not survive the fork until the 600 s cell limit; the harness now sets torch to
    one thread before it forks. Torch started at one thread (OMP_NUM_THREADS=1)."""
    result = grade(notebook(THREAD_POOL_THEN_PREDICT), environment="pytorch", **FAST)
    assert result.status == "graded", result.message
    assert round(result.accuracy * 10_000) == LABEL_ONES  # one thread in the child, and one at the start


def test_torch_hub_cannot_download_and_says_there_is_no_internet(grade):
    result = grade(notebook("import torch\nmodel = torch.hub.load('pytorch/vision', 'resnet18', weights=None)"),
                   environment="pytorch", **FAST)
    assert result.status == "failed" and "no internet connection" in result.message


def test_torch_imports_and_trains_in_a_1_gb_job_given_the_address_space_it_reserves(grade):
    """torch's import holds about 240 MB but reserves 1.3 GB of address space (measured in the
    sandbox: 720 MB before, 1,271 MB after, 1,353 MB after a few Adam steps), so RLIMIT_AS,
    not the job's memory, is what it needs room in."""
    train = ("import numpy as np\nimport torch\nm = torch.nn.Linear(784, 10)\nopt = torch.optim.Adam(m.parameters())\n"
             "x = torch.zeros(100, 1024, 1024, dtype=torch.uint8)\nfor _ in range(20):\n"
             "    opt.zero_grad(); m(torch.randn(128, 784)).sum().backward(); opt.step()")
    predict = "def predict(images):\n    return np.ones(len(images), dtype=int)"
    squeezed = grade(notebook(train, predict), memory_mb=1024, environment="pytorch", **FAST)
    assert squeezed.status == "failed" and "libtorch_cpu.so: failed to map segment" in squeezed.message
    result = grade(notebook(train, predict), memory_mb=1024, address_space_mb=environments.FLOOR_MB,
                   environment="pytorch", **FAST)
    assert result.status == "graded", result.message
    assert result.peak_memory_mb < 1024


def test_threads_raised_inside_predict_after_the_fork_do_not_hang_it(grade):
    """Called in the forked predict process, set_num_threads(4) and a parallel region waited
    out the cell limit; the harness makes set_num_threads do nothing once it has forked."""
    predict = ("def predict(images):\n    torch.set_num_threads(4)\n    t = torch.from_numpy(images)\n"
               "    t.repeat(40, 1).relu().sum()\n    return np.full(len(images), torch.get_num_threads())")
    result = grade(notebook("import numpy as np\nimport torch", predict), environment="pytorch", **FAST)
    assert result.status == "graded", result.message
    assert round(result.accuracy * 10_000) == LABEL_ONES


def test_torch_save_from_predict_is_the_sealed_mistake(grade):
    predict = "def predict(images):\n    torch.save(torch.from_numpy(images), '/tmp/seen.pt')\n    return images[:, 0]"
    result = grade(notebook("import torch", predict), environment="pytorch", **FAST)
    assert result.status == "failed" and "Operation not permitted" in result.message
    assert result.feedback["failure"]["mistake"]["key"] == "sealed"
