import numpy as np
import pytest

from grader.errors import StudentFault
from grader.scoring import accuracy, check_predictions, unpermute


def test_integer_labels_pass_through_as_int64():
    assert check_predictions(np.array([0, 9, 3], dtype=np.uint8), 3).dtype == np.int64


def test_whole_floats_are_accepted_as_labels():
    np.testing.assert_array_equal(check_predictions(np.array([1.0, 2.0]), 2), [1, 2])


@pytest.mark.parametrize(
    "raw, message",
    [
        (np.zeros((3, 10)), "argmax"),
        (np.zeros(2, dtype=np.int64), r"must return 3 labels"),
        (np.array([0.5, 1.0, 2.0]), "fractional"),
        (np.array([np.nan, 1.0, 2.0]), "NaN"),
        (np.array([0, 10, 1]), "outside 0-9"),
        (np.array(["a", "b", "c"]), "type <U1"),
    ],
)
def test_it_names_what_is_wrong_with_bad_predictions(raw, message):
    with pytest.raises(StudentFault, match=message):
        check_predictions(raw, 3)


def test_unpermute_restores_test_set_order():
    labels = np.array([5, 6, 7, 8])
    order = np.array([2, 0, 3, 1])
    predictions_for_shuffled = labels[order]
    np.testing.assert_array_equal(unpermute(predictions_for_shuffled, order), labels)
    assert accuracy(unpermute(predictions_for_shuffled, order), labels) == 1.0
