import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import StudentFault
from grader.scoring import (
    RawPredictions,
    accuracy,
    check_predictions,
    decode_predictions,
    unpermute,
)


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


# --- Labels as the harness sends them: a header, then exactly n labels' bytes ------------


def sent(array: np.ndarray, data: bytes | None = None) -> RawPredictions:
    return RawPredictions(array.dtype.str, list(array.shape), array.tobytes() if data is None else data, str(array.dtype))


@pytest.mark.parametrize("dtype", ["<i8", ">i4", "|u1", "<f4", "|b1"])
def test_it_decodes_labels_of_every_allowed_type(dtype):
    labels = np.array([0, 1, 1, 0], dtype=dtype)
    np.testing.assert_array_equal(decode_predictions(sent(labels), 4), [0, 1, 1, 0])


@pytest.mark.parametrize(
    "raw, message",
    [
        (None, "produced no labels"),
        (RawPredictions("<i8", [2**40], b"", "int64"), r"must return 3 labels, shape \(3,\); it returned shape \(1099511627776,\)"),
        (RawPredictions("<f8", [3, 10], None, "float64"), "argmax"),
        (RawPredictions("|O", [3], None, "object"), "Python objects"),
        (RawPredictions("<U1", [3], None, "<U1"), "type <U1"),
        (RawPredictions("<c16", [3], None, "complex128"), "type complex128"),
        (RawPredictions("<f16", [3], None, "float128"), "type float128"),
        (RawPredictions("<i8", [3], b"\0" * 8, "int64"), "does not match their shape"),
        (RawPredictions("<i8", [3], None, "int64"), "does not match their shape"),
        (RawPredictions("<i8", "3", None, "int64"), "unreadable shape"),
        (RawPredictions("<i8", [True, 2], None, "int64"), "unreadable shape"),
        (RawPredictions(["<i8"], [3], None, "<script>"), "type unknown"),
    ],
)
def test_it_explains_a_bad_header_before_reading_any_data(raw, message):
    with pytest.raises(StudentFault, match=message):
        decode_predictions(raw, 3)


def test_it_keeps_every_message_of_the_array_checks():
    with pytest.raises(StudentFault, match="fractional"):
        decode_predictions(sent(np.array([0.5, 1.0, 2.0])), 3)
    with pytest.raises(StudentFault, match="outside 0-9"):
        decode_predictions(sent(np.array([0, 10, 1])), 3)


@settings(max_examples=400, deadline=None)
@given(
    dtype=st.sampled_from(sorted(["<i8", "|u1", "<f8", "|b1", ">u2", "|O", "<U3", "<M8[s]", "|V4", ""])) | st.text(max_size=8),
    shape=st.lists(st.integers(-5, 2**62), max_size=4) | st.lists(st.just(3), max_size=2),
    data=st.none() | st.binary(max_size=64),
    name=st.text(max_size=70) | st.none(),
)
def test_no_header_or_data_makes_decoding_raise_or_allocate_past_n(dtype, shape, data, name):
    try:
        labels = decode_predictions(RawPredictions(dtype, shape, data, name), 3)
    except StudentFault as fault:
        assert len(str(fault)) < 400  # a message, not an echo of whatever was sent
        return
    assert labels.dtype == np.int64 and labels.shape == (3,) and ((labels >= 0) & (labels <= 9)).all()


# --- The integrity probe's images ---------------------------------------------------------


def digits(n: int = 200) -> np.ndarray:
    from django.conf import settings

    from reference_nn.idx import load_images

    return load_images(settings.MNIST_DATA_DIR / "t10k-images-idx3-ubyte")[:n]


def test_probe_images_lie_on_the_1_255_grid_like_the_test_images():
    from grader.scoring import probe_images

    probe = probe_images(digits(), np.random.default_rng(0))
    assert probe.dtype == np.float32 and probe.shape == (200, 784)
    assert np.array_equal(np.rint(probe * 255) / np.float32(255), probe)  # no exact-value test tells them apart
    assert probe.min() >= 0 and probe.max() <= 1


def test_no_probe_image_equals_or_keeps_the_ink_pattern_of_its_original_and_each_run_makes_new_ones():
    from grader.scoring import probe_images

    images = digits()
    first, second = (probe_images(images, np.random.default_rng(seed)) for seed in (1, 2))
    assert not any(np.array_equal(p, c) for p, c in zip(first, images))
    assert not any(np.array_equal(p > 0, c > 0) for p, c in zip(first, images))  # not even which pixels have ink
    assert not any(np.array_equal(a, b) for a, b in zip(first, second))


def test_the_probe_changes_grey_levels_a_little_and_leaves_pixels_far_from_the_ink_empty():
    """Standardising networks divide by each pixel's training spread, almost zero far from
    the ink, and binarising ones look at > 0: neither may see a changed background."""
    from grader.scoring import PROBE_EDGE_CHANGES, PROBE_FAINT, PROBE_JITTER, probe_images

    images = digits()
    probe = probe_images(images, np.random.default_rng(3))
    ink = (images > 0).reshape(-1, 28, 28)
    near = ink.copy()
    near[:, 1:] |= ink[:, :-1]
    near[:, :-1] |= ink[:, 1:]
    near[:, :, 1:] |= ink[:, :, :-1]
    near[:, :, :-1] |= ink[:, :, 1:]
    far = ~near.reshape(len(images), -1)
    assert not probe[far].any()
    change = np.abs(np.rint(probe * 255) - np.rint(images * 255))
    both = (images > 0) & (probe > 0)
    assert change[both].max() <= PROBE_JITTER
    lit = (images == 0) & (probe > 0)
    cleared = (images > 0) & (probe == 0)
    assert lit.sum(1).max() <= PROBE_EDGE_CHANGES and cleared.sum(1).max() <= PROBE_EDGE_CHANGES
    assert np.rint(probe[lit] * 255).max() <= PROBE_FAINT and np.rint(images[cleared] * 255).max() <= PROBE_FAINT


def test_the_evidence_counts_changed_answers_each_way_and_scales_their_excess_by_its_noise():
    from grader.scoring import probe_evidence

    labels = np.arange(1000) % 10
    clean = labels.copy()
    clean[:100] = (labels[:100] + 1) % 10  # 100 wrong on the test images
    honest = clean.copy()
    honest[:10] = labels[:10]  # 10 of those turn right on the probe
    honest[500:512] = (labels[500:512] + 1) % 10  # and 12 right ones turn wrong
    evidence = probe_evidence(clean, honest, labels)
    assert (evidence["right_to_wrong"], evidence["wrong_to_right"]) == (12, 10)
    assert evidence["gap"] == 2 / 1000 and abs(evidence["z"] - 2 / np.sqrt(22)) < 1e-9
    knows = labels.copy()  # right on every test image, its network's answers on the probe
    table = probe_evidence(knows, clean, labels)
    assert (table["right_to_wrong"], table["wrong_to_right"]) == (100, 0) and table["z"] == 10.0
