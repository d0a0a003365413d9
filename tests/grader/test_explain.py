"""Explaining a failed run from what the sandbox sent back (no sandbox needed: the
harness's account and the executed notebook are given as the sandbox sends them)."""
import json

from grader.explain import explain
from grader.limits import Limits

RED, END = "\x1b[31m", "\x1b[39m"
TRACEBACK = [
    f"{RED}-----------{END}",
    f"{RED}NotImplementedError{END}                       Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m In[3], line 19\n\x1b[32m---> \x1b[39m\x1b[32m19\x1b[39m _grader_predict()\n",
    "Cell In[2], line 3, in predict(images)\n      1 def predict(images):\n      2     # TODO\n----> 3     raise NotImplementedError\n",
    f"{RED}NotImplementedError{END}: ",
]


def notebook(*sources):
    cells = [{"cell_type": "markdown", "source": "# Title"}]
    cells += [{"cell_type": "code", "execution_count": k, "source": s, "outputs": []} for k, s in enumerate(sources, 1)]
    return json.dumps({"cells": cells})


def test_a_failure_in_the_prediction_step_is_shown_in_the_students_own_cell():
    result = {"status": "failed", "kind": "exception", "ename": "NotImplementedError", "cell": 3, "in_harness": True,
              "error": {"ename": "NotImplementedError", "evalue": "", "traceback": TRACEBACK}}
    failure = explain(result, notebook("x = 1", "def predict(images):\n    # TODO\n    raise NotImplementedError"),
                      None, Limits.from_settings({}))
    assert failure["cell"] == 3 and failure["line"] == 3 and failure["function"] == "predict(images)"
    assert [f["where"] for f in failure["frames"]] == ["cell 3, line 3"]  # the grader's frame (In[3]) is not shown
    assert failure["source"]["lines"][2] == {"number": 3, "code": "    raise NotImplementedError", "current": True}
    assert failure["mistake"]["key"] == "template_todo" and "`predict` still ends" in failure["mistake"]["fix"]


def test_a_long_cell_is_shown_around_the_failing_line():
    source = "\n".join(f"x{i} = {i}" for i in range(100))
    traceback = ["Cell In[1], line 80\n----> 80 x79 = 79\n", "ValueError: no"]
    result = {"cell": 1, "error": {"ename": "ValueError", "evalue": "no", "traceback": traceback}}
    failure = explain(result, notebook(source), None, Limits.from_settings({}))
    lines = failure["source"]["lines"]
    assert any(line["current"] and line["number"] == 80 for line in lines)
    assert failure["source"]["cut_before"] + len(lines) + failure["source"]["cut_after"] == 100
    assert "mistake" not in failure


def test_library_frames_are_named_by_their_package_not_the_sandboxs_paths():
    traceback = ["Cell In[1], line 1\n----> 1 np.zeros(-1)\n",
                 "File /opt/kernel/lib/python3.11/site-packages/numpy/core/numeric.py:12, in zeros(shape)\n----> 12 x\n",
                 "ValueError: negative dimensions"]
    failure = explain({"cell": 1, "error": {"ename": "ValueError", "evalue": "negative", "traceback": traceback}},
                      notebook("np.zeros(-1)"), "...", None, Limits.from_settings({}))
    assert [(f["own"], f["where"]) for f in failure["frames"]] == [
        (True, "cell 2, line 1"), (False, "numpy/core/numeric.py, line 12")]


def test_memory_and_time_mistakes_carry_the_figures_that_were_hit():
    limits = Limits.from_settings({"memory_mb": 1024, "total_timeout_s": 300})
    memory = explain({}, None, "memory", limits, peak_memory_mb=1030.4)
    assert "The limit is 1,024 MB" in memory["mistake"]["fix"] and "it held 1,030 MB" in memory["mistake"]["fix"]
    time = explain({}, None, "total_time", limits, wall_seconds=301.2)
    assert "The limit is 300 s" in time["mistake"]["fix"] and "it had run for 301 s" in time["mistake"]["fix"]


def test_whatever_the_sandbox_sends_becomes_an_explanation_without_failing():
    for result, nb in [({"error": "x", "cell": "3"}, "not json"), ({"error": {"traceback": [None, 3, "Cell In[x]"]}}, "{}"),
                       ({"cell": 99}, notebook("x")), ({}, json.dumps({"cells": [3, None]}))]:
        assert isinstance(explain(result, nb, None, Limits.from_settings({})), dict)


def test_declared_values_are_kept_only_in_the_shape_the_contract_asks_for():
    from grader.pipeline import declared

    assert declared({"layer_sizes": [784, 128, 10], "train_accuracy": 0.97}) == {
        "layer_sizes": [784, 128, 10], "train_accuracy": 0.97}
    for odd in [None, [], "x", {"layer_sizes": [784]}, {"layer_sizes": [784, True, 10]}, {"layer_sizes": [784, -1, 10]},
                {"layer_sizes": list(range(1, 100))}, {"train_accuracy": 1.5}, {"train_accuracy": float("nan")},
                {"train_accuracy": "0.9"}, {"layer_sizes": "784,10"}]:
        assert declared(odd) == {}


def test_numpys_shape_errors_are_named_as_arrays_that_do_not_fit():
    traceback = ["Cell In[1], line 2\n      1 W = np.zeros((10, 784))\n----> 2 out = X @ W\n",
                 "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0"]
    result = {"cell": 1, "error": {"ename": "ValueError", "evalue": "matmul: Input operand 1 has a mismatch in its "
                                   "core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) (size 10 is different "
                                   "from 784)", "traceback": traceback}}
    failure = explain(result, notebook("W = np.zeros((10, 784))\nout = X @ W"), None, Limits.from_settings({}))
    assert failure["mistake"]["key"] == "array_shapes" and "a.shape[1] == W.shape[0]" in failure["mistake"]["fix"]
    assert [line["code"] for line in failure["source"]["lines"] if line["current"]] == ["out = X @ W"]
    broadcast = {"error": {"ename": "ValueError", "evalue": "operands could not be broadcast together with shapes (5,3) (4,)"}}
    assert explain(broadcast, None, None, Limits.from_settings({}))["mistake"]["key"] == "array_shapes"
    other = {"error": {"ename": "ValueError", "evalue": "invalid literal for int()"}}
    assert "mistake" not in explain(other, None, None, Limits.from_settings({}))
