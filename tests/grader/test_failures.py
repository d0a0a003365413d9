"""The catalogue of named failures: how a run ended, as the worker saw it and the harness
reported it, becomes whose fault it is, a message and a named mistake (no sandbox: the
outcomes are given as the worker would hold them)."""
import pytest

from grader import failures
from grader.errors import HostBusy, StudentFault, SystemFault
from grader.harness import protocol
from grader.limits import Limits
from grader.runner import RunOutcome
from grader.scoring import RawPredictions

LIMITS = Limits(memory_mb=2048, total_timeout_s=600, cell_timeout_s=300, address_space_mb=1536, cpu_seconds=900,
                processes=64, disk_mb=256)
LABELS = RawPredictions(dtype="<i8", shape=[10], data=bytes(80))


def outcome(result=None, **fields) -> RunOutcome:
    return RunOutcome(**{"result": result if result is not None else {}, "notebook": None, "predictions": None,
                         "wall_seconds": 2000.0, "timed_out": False, "log_tail": "", **fields})


def failed(kind, **fields) -> RunOutcome:
    return outcome({**protocol.failed(kind, **{k: v for k, v in fields.items() if k in protocol.FIELDS[kind]}),
                    **{k: v for k, v in fields.items() if k not in protocol.FIELDS[kind]}})


def diagnosed(run: RunOutcome):
    diagnosis = failures.diagnose(run, LIMITS)
    assert diagnosis is not None
    return diagnosis.failure, diagnosis.message, diagnosis.error()


# Every kind the harness can send, with what the student is told and the mistake named.
HARNESS_KINDS = {
    protocol.TOTAL_TIMEOUT: ({}, "The notebook did not finish within 600 seconds in total and was stopped.",
                             "total_time"),
    protocol.CELL_TIMEOUT: ({"cell": 2}, "Cell 3 ran longer than 300 seconds and was stopped.", "cell_time"),
    protocol.DEAD_KERNEL: ({"cell": 0}, "The Python kernel died while running cell 1: it crashed (for example a "
                           "segmentation fault or os._exit) or was killed for exceeding a limit (2048 MB of memory, "
                           "900 CPU seconds, 64 processes).", None),
    protocol.EXCEPTION: ({"cell": 4, "ename": "KeyError", "evalue": "'w1'"}, "Cell 5 raised KeyError: 'w1'", None),
    protocol.KERNEL_MESSAGE: ({"cell": 1, "detail": "ValueError: bad json"},
                              "While cell 2 ran, the kernel sent the grader a message it could not read "
                              "(ValueError: bad json), and the run was stopped.", None),
    protocol.ISOLATION: ({"in_harness": True, "detail": "it left a file in /tmp"},
                         "While the grader asked predict(images), it left a file in /tmp. predict must answer from "
                         "what the notebook holds in memory", "sealed"),
    protocol.PREDICTIONS_UNREADABLE: ({"detail": "unsupported .npy format version (3, 0)"},
                                      "The labels predict(images) returned could not be read: unsupported .npy "
                                      "format version (3, 0).", None),
    protocol.NO_PREDICTIONS: ({}, "The notebook ran, but predict(images) produced no labels.", None),
    protocol.HARNESS_MEMORY: ({}, "The notebook's output was too large for the grader to collect.", None),
}


def test_every_kind_the_harness_can_send_has_one_entry_in_the_catalogue():
    assert set(HARNESS_KINDS) == set(protocol.KINDS)
    assert set(protocol.KINDS) <= set(failures.FAILURES)


@pytest.mark.parametrize("kind", sorted(HARNESS_KINDS))
def test_each_kind_the_harness_reports_is_the_students_with_its_message_and_mistake(kind):
    fields, message, mistake = HARNESS_KINDS[kind]
    failure, said, error = diagnosed(failed(kind, **fields))
    assert failure.fault == failures.STUDENT and isinstance(error, StudentFault)
    assert said.startswith(message)
    assert error.mistake == mistake


def test_a_failure_in_the_prediction_step_is_told_as_that_step_not_as_a_cell():
    _, said, _ = diagnosed(failed(protocol.EXCEPTION, cell=7, in_harness=True, ename="ZeroDivisionError",
                                  evalue="division by zero"))
    assert said == "The grading step that calls predict(images) raised ZeroDivisionError: division by zero"


def test_an_exception_without_a_message_names_only_the_error():
    assert diagnosed(failed(protocol.EXCEPTION, cell=0, ename="StopIteration"))[1] == "Cell 1 raised StopIteration"


def test_a_memory_error_is_told_as_running_out_of_memory_with_the_per_process_limit():
    failure, said, error = diagnosed(failed(protocol.EXCEPTION, cell=1, ename="MemoryError", evalue=""))
    assert failure.key == failures.OUT_OF_MEMORY
    assert said == "Cell 2 ran out of memory (the limit is 1536 MB): MemoryError"
    assert error.mistake == "memory"


def test_the_watchdogs_memory_stop_names_the_step_the_job_was_in():
    for last_cell, where in [("3", "stopped in cell 4."), ("predict", "stopped in the grading step that calls "
                             "predict(images)."), ("render", "stopped in turning the executed notebook into a page."),
                             (None, "stopped before its first cell ran.")]:
        failure, said, error = diagnosed(outcome(memory_exceeded=True, last_cell=last_cell))
        assert said == f"Your notebook used more than 2048 MB in total (all its processes together) and was {where}"
        assert failure.key == failures.MEMORY_LIMIT and error.mistake == "memory"


def test_the_workers_wall_clock_is_the_notebooks_fault_only_when_it_kept_its_core_busy_all_along():
    failure, said, error = diagnosed(outcome(timed_out=True, cpu_seconds=600.0))
    assert (failure.fault, error.mistake) == (failures.STUDENT, "total_time")
    assert said == "The notebook did not finish within 600 seconds in total and was stopped."
    failure, said, error = diagnosed(outcome(timed_out=True, cpu_seconds=12.25))
    assert failure.fault == failures.HOST and isinstance(error, HostBusy)
    assert said == ("the host was busy: the sandbox was stopped by the wall clock after 2000 s, the job having used "
                    "12.2 s of CPU (total limit 600 s)")


def test_the_harness_saying_the_host_starved_it_is_the_hosts_condition_with_its_figures():
    busy = outcome(protocol.host_busy("backstop") | {"seconds": 1800.0, "charged_seconds": 31.5,
                                                     "starved_seconds": 1768.5})
    failure, said, error = diagnosed(busy)
    assert isinstance(error, HostBusy)
    assert said == ("the host was busy: a cell reached the wall-clock backstop after 1800 s with 31.5 s charged "
                    "(1768 s spent waiting for a CPU)")


def test_the_harness_failing_is_a_system_fault_with_the_end_of_its_traceback():
    failure, said, error = diagnosed(outcome(protocol.harness_error("x" * 3000 + "Traceback end")))
    assert isinstance(error, SystemFault) and not isinstance(error, HostBusy)
    assert said.startswith("the grading harness failed: ") and said.endswith("Traceback end")
    assert len(said) == len("the grading harness failed: ") + 1500


def test_a_harness_that_sent_nothing_was_overwhelmed_by_the_notebook():
    failure, said, error = diagnosed(outcome({}))
    assert failure.key == failures.NOTHING_SENT and isinstance(error, StudentFault)
    assert said.startswith("The grader could not collect your notebook's results: the notebook exhausted a limit "
                           "of the sandbox (memory 2048 MB, 64 processes, 256 MB of disk)")


def test_a_run_that_ended_well_but_sent_no_labels_is_told_so():
    assert diagnosed(outcome({"status": protocol.OK}))[1] == "The notebook ran, but predict(images) produced no labels."


def test_a_run_that_ended_well_with_labels_is_no_failure():
    assert failures.diagnose(outcome({"status": protocol.OK}, predictions=LABELS), LIMITS) is None


@pytest.mark.parametrize("result", [{"status": "failed", "kind": "gremlins"}, {"status": "weird"},
                                    {"status": "failed"}])
def test_a_result_no_entry_reads_is_a_system_fault(result):
    failure, said, error = diagnosed(outcome(result))
    assert failure.key == failures.UNKNOWN and isinstance(error, SystemFault)
    assert said.startswith("the harness ended in an unknown state: {")


def test_what_the_sandbox_sends_is_substituted_into_our_words_never_read_as_a_template():
    _, said, _ = diagnosed(failed(protocol.EXCEPTION, cell=0, ename="{limits}", evalue="{0} {where!r}"))
    assert said == "Cell 1 raised {limits}: {0} {where!r}"


def test_an_answer_the_grader_could_not_read_points_the_student_to_the_staff():
    assert failures.FAILURES[failures.UNREADABLE].says.startswith("The grader could not read your notebook's results")


def test_every_failure_has_a_fault_that_decides_whether_it_is_retried():
    for failure in failures.FAILURES.values():
        assert failure.fault in (failures.STUDENT, failures.HOST, failures.SYSTEM), failure.key


@pytest.mark.parametrize("ename, evalue, in_harness, key", [
    ("NotImplementedError", "", False, "template_todo"),
    ("FileNotFoundError", "[Errno 2] No such file: 't10k-labels-idx1-ubyte'", False, "test_labels"),
    ("MemoryError", "", False, "memory"),
    ("PermissionError", "[Errno 1] Operation not permitted", True, "sealed"),
    ("PermissionError", "[Errno 1] Operation not permitted", False, None),  # the notebook's own, not the seal's
    ("ValueError", "operands could not be broadcast together with shapes (5,3) (4,)", False, "array_shapes"),
    ("NameError", protocol.NO_PREDICT_MESSAGE, True, "no_predict"),
    ("NameError", "name 'x' is not defined", True, None),
    ("KeyError", "'w1'", False, None),
])
def test_an_error_the_notebook_raised_names_the_mistake_it_shows(ename, evalue, in_harness, key):
    named = failures.mistake_raised(ename, evalue, in_harness)
    assert (named.key if named else None) == key


def test_every_mistake_has_a_fix_that_fills_in():
    for mistake in failures.MISTAKES.values():
        fix = failures.fix(mistake, LIMITS, "predict", peak_memory_mb=2050.0, seconds=601.0)
        assert fix and "{" not in fix, mistake.key


def test_the_fixes_for_limits_quote_the_figures_that_were_hit():
    assert failures.fix(failures.MEMORY, LIMITS, "predict", peak_memory_mb=2050.4).startswith(
        "The limit is 2,048 MB for the whole notebook; it held 2,050 MB when it was stopped.")
    assert failures.fix(failures.TOTAL_TIME, LIMITS, "predict", seconds=601.2).startswith(
        "The limit is 600 s for the whole notebook; it had run for 601 s.")
    assert failures.fix(failures.TEMPLATE_TODO, LIMITS, "train").startswith("`train` still ends")


@pytest.mark.parametrize("render, message", [
    ({"problem": protocol.RENDER_TIMEOUT, "cell": 2, "allowed_s": 7.5},
     "Cell 3 could not be displayed: showing it took longer than 7.5 seconds"),
    ({"problem": protocol.RENDER_TOO_LARGE, "cell": None}, "The executed notebook is too large to display"),
    ({"problem": protocol.RENDER_CRASHED, "cell": 0, "detail": "exit status -9"},
     "Cell 1 could not be displayed: the renderer stopped (exit status -9)."),
    ({"problem": protocol.RENDER_ERROR, "cell": 4, "detail": "bad svg"},
     "Cell 5 has an output the grader cannot display: bad svg."),
])
def test_a_page_that_could_not_be_drawn_says_which_cell_and_why(render, message):
    assert failures.render_problem(render, LIMITS).startswith(message)
