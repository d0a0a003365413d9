"""The typed grade: a result's feedback read from and written to the JSON stored on a
submission, losslessly, for rows stored today and rows stored by older code."""
import json

import pytest

from grader.result import ABSENT, Feedback, FailureShown, Flags, GradeResult, Probe, RunFacts, Scores, with_flags

GRADED = {
    "limits": {"memory_mb": 2048, "total_timeout_s": 900}, "truncated_cells": [3], "widget_state_dropped": False,
    "render_seconds": 1.25, "charged_seconds": None,
    "per_digit": [0.99] * 10, "confusion": [[1] * 10] * 10,
    "reference": {"accuracy": 0.98, "public_accuracy": 0.981, "private_accuracy": 0.979, "per_digit": [0.98] * 10,
                  "description": "NumPy network", "public_per_digit": None},
    "per_digit_delta": [0.01] * 10,
    "probe": {"clean_accuracy": 0.97, "noisy_accuracy": 0.969, "gap": 0.001, "right_to_wrong": 12, "wrong_to_right": 9,
              "changed": 40, "z": 0.66, "flag_z": 8.0, "honest_worst_z": 4.1, "batch_size": 100},
    "misclassified": [{"index": 5, "true": 3, "predicted": 5}], "misclassified_total": 300, "wrong": "eJwDAAAAAAE=",
    "baseline": {"nearest_mean_accuracy": 0.82}, "confused_pairs": [{"true": 3, "predicted": 5, "count": 1,
                                                                     "images": ["iVBOR"]}],
    "declared": {"layer_sizes": [784, 10]},
    "public": {"per_digit": [0.99] * 10, "confusion": [[1] * 10] * 10, "confused_pairs": []},
    "embedded": {"bytes": 900, "findings": []}, "flags": ["probe"],
    "copies": {"code": "abc", "matches": []},
}
FAILED = {"limits": {"memory_mb": 2048}, "truncated_cells": [], "widget_state_dropped": False,
          "render_seconds": None, "charged_seconds": 3.5,
          "failure": {"error": "NotImplementedError", "cell": 3, "line": 3, "function": "predict(images)",
                      "source": {"lines": [], "cut_before": 0, "cut_after": 0}, "frames": [], "frames_hidden": 0,
                      "mistake": {"key": "template_todo", "name": "A part of the template", "fix": "..."}}}
CHECK = {"limits": {}, "truncated_cells": [], "widget_state_dropped": True,
         "check": {"sample_size": 100, "passed": True, "correct": 91, "labels_seen": [0, 1], "dtype": "int64"}}
# Rows older code stored: fewer keys, keys no section knows, and odd values a row may hold.
OLD_ROWS = [
    {},
    {"per_digit": [0.9] * 10, "reference": {"accuracy": 0.98}, "probe": {"clean_accuracy": 0.9, "noise_sigma": 0.05,
                                                                         "max_gap": 0.15}, "misclassified_total": 600},
    {"failure": {"mistake": {"key": "memory"}}},
    {"flags": ["accuracy"], "legacy_note": {"anything": [1, 2]}, "public": None, "probe": "not an object"},
    {"check": {"sample_size": 100, "passed": False}, "render_seconds": None},
]


@pytest.mark.parametrize("row", [GRADED, FAILED, CHECK, *OLD_ROWS])
def test_any_stored_feedback_reads_back_and_writes_out_exactly_as_it_was_stored(row):
    feedback = Feedback.from_json(json.loads(json.dumps(row)))
    assert feedback.to_json() == row
    assert json.loads(json.dumps(feedback.to_json())) == row
    assert Feedback.from_json(feedback.to_json()) == feedback


def test_each_part_of_the_feedback_lands_in_its_typed_section():
    feedback = Feedback.from_json(GRADED)
    assert feedback.run.truncated_cells == [3] and feedback.run.charged_seconds is None
    assert feedback.scores.misclassified_total == 300 and feedback.scores.declared == {"layer_sizes": [784, 10]}
    assert feedback.public.per_digit == [0.99] * 10
    assert feedback.probe.z == 0.66 and feedback.probe.flag_z == 8.0
    assert feedback.flags.flags == ["probe"] and feedback.flags.embedded["bytes"] == 900
    assert feedback.failure is None and feedback.check is None
    assert Feedback.from_json(FAILED).failure.mistake["key"] == "template_todo"


def test_a_key_a_row_never_had_stays_absent_rather_than_becoming_null():
    feedback = Feedback.from_json({"per_digit": [0.5] * 10})
    assert feedback.scores.confusion is ABSENT and "confusion" not in feedback.to_json()
    assert feedback.run.render_seconds is ABSENT and "render_seconds" not in feedback.to_json()


def test_keys_no_section_knows_are_kept_where_they_were():
    feedback = Feedback.from_json({"probe": {"z": 1.0, "noise_sigma": 0.05}, "legacy": 1})
    assert feedback.probe.extra == {"noise_sigma": 0.05} and feedback.extra == {"legacy": 1}
    assert feedback.to_json() == {"probe": {"z": 1.0, "noise_sigma": 0.05}, "legacy": 1}


def test_a_feedback_built_from_sections_writes_the_keys_the_site_reads():
    feedback = Feedback(run=RunFacts(limits={}, truncated_cells=[]), scores=Scores(per_digit=[1.0] * 10),
                        probe=Probe(z=0.5), failure=FailureShown(error="ValueError: x"))
    assert feedback.to_json() == {"limits": {}, "truncated_cells": [], "per_digit": [1.0] * 10, "probe": {"z": 0.5},
                                  "failure": {"error": "ValueError: x"}}


def test_a_feedback_reads_as_the_mapping_it_stores():
    feedback = Feedback.from_json(GRADED)
    assert feedback["per_digit"] == GRADED["per_digit"] and feedback.get("failure") is None
    assert dict(feedback) == GRADED and {**feedback} == GRADED and feedback == GRADED
    assert not Feedback() and Feedback() == {}


def test_a_result_given_stored_json_holds_it_typed():
    result = GradeResult(status="failed", message="x", feedback=FAILED)
    assert isinstance(result.feedback, Feedback) and result.feedback.to_json() == FAILED
    assert GradeResult(status="failed", message="x").feedback.to_json() == {}


def test_flags_raised_by_a_screen_are_added_to_what_was_there():
    result = GradeResult(status="graded", message="x", accuracy=0.99, feedback=GRADED)
    flagged = with_flags(result, ["probe", "copies"], "two reasons", copies={"code": "c", "matches": [1]})
    assert flagged.flagged and flagged.flag_reason == "two reasons"
    assert flagged.feedback.to_json() == {**GRADED, "flags": ["probe", "copies"], "copies": {"code": "c", "matches": [1]}}
    assert result.feedback.flags.copies == {"code": "abc", "matches": []}  # the original is unchanged
    assert not with_flags(result, [], "").flagged
    assert Flags().to_json() == {}
