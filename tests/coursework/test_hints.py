"""Every hint, with a right, a wrong and a tricky answer: the checks read what the answer
states, not whether a word or a number occurs somewhere in it."""
import multiprocessing

import pytest

from coursework.models import Question
from coursework.services.hints import CHECKS, Check, checked_part, gives_hints, hint_for, stance, stated_number


def ask(check: str, answer: str) -> dict:
    return hint_for(Question(answer_check=check, text="?"), answer)


MSE = 'mse'


@pytest.mark.parametrize("answer", [
    "0.0625", "The loss is .0625 because...", "It is 0.125 if you sum", "1/16", "6.25%",
    "(0.25-0)^2 + (0.75-1)^2 = 0.0625 + 0.0625 = 0.125",
    "MSE = ((0.25)^2 + (0.25)^2)/2 = 0.0625",
    "The answer is 0.0625, not 0.125",
])
def test_the_right_mse_is_confirmed(answer):
    assert ask(MSE, answer)["ok"]


@pytest.mark.parametrize("answer", ["0.25", "0.5", "I think about 1", "loss = 0.3125", "The errors are 0.25 and 0.25"])
def test_a_wrong_mse_gets_a_nudge_not_the_answer(answer):
    hint = ask(MSE, answer)
    assert not hint["ok"] and "square each difference" in hint["text"] and "0.0625" not in hint["text"]


@pytest.mark.parametrize("answer", [
    "0.0625 is wrong, it's 0.5",  # the right number, rejected by the answer itself
    "not 0.0625 but 0.5",
    "I get 0.5 (I first thought 0.0625)",
])
def test_an_mse_answer_is_judged_by_the_number_it_states_not_one_it_mentions(answer):
    hint = ask(MSE, answer)
    assert not hint["ok"] and "0.5" in hint["text"]


def test_an_mse_answer_that_offers_two_numbers_is_asked_to_commit():
    hint = ask(MSE, "0.0625 or 0.5")
    assert not hint["ok"] and "commit to one" in hint["text"]


def test_the_stated_number_is_the_end_of_a_working_out_chain():
    assert stated_number("0.0625 + 0.0625 = 0.125") == pytest.approx(0.125)
    assert stated_number("no numbers here") is None


IS = 'is_or_is_not'


@pytest.mark.parametrize("answer, side", [
    ("A neural network IS just a function with many parameters", "is"),
    ("IS", "is"),
    ("I choose IS because weights are parameters", "is"),
    ("A network is nothing more than a function", "is"),  # a negation that still says IS
    ("It is not, because it learns", "is not"),
    ("isn't", "is not"),
    ("IS NOT. It learns.", "is not"),
    ("It is hard to say, but a network is not just a function", "is not"),  # an unrelated "is" first
    ("A network is more than just a function because it learns", "is not"),
    ("It is a function. But it is not just a function.", "is not"),
    ("A network is just a function. A network is not just a function.", "both"),
    ("IS / IS NOT", None),  # the question copied back
    ("This is interesting. Networks learn.", None),  # "is" about something else
])
def test_the_is_or_is_not_answer_is_read_from_its_claim_about_the_network(answer, side):
    assert stance(answer) == side


def test_is_gets_confirmed_and_is_not_gets_a_question_back():
    assert ask(IS, "A neural network IS just a function with many parameters")["ok"]
    assert "What is that, if not a function?" in ask(IS, "It is not, because it learns")["text"]
    assert not ask(IS, "isn't")["ok"]


def test_an_answer_that_chooses_neither_or_both_is_asked_to_choose():
    assert "Choose one" in ask(IS, "This is interesting. Networks learn.")["text"]
    assert "both sides" in ask(IS, "A network is just a function. A network is not just a function.")["text"]


@pytest.mark.parametrize("answer, ok", [
    ("784 neurons, one per pixel", True),
    ("Each pixel of the 28x28 image is one neuron", True),
    ("The image becomes 256 neurons", False),
    ("28 neurons", False),  # one row, not the picture
    ("each pixel becomes a neuron", False),  # the right idea, but the count is the checkable part
])
def test_the_input_layer_hint_checks_the_neuron_count(answer, ok):
    hint = ask('input_layer', answer)
    assert hint["ok"] is ok and (ok or "784" not in hint["text"])


@pytest.mark.parametrize("answer, ok", [
    ("10 neurons, one per digit", True),
    ("one neuron for each digit, its value is how sure the network is", True),
    ("It has 2 neurons", False),
    ("784 neurons", False),
    ("which digit it is", False),
])
def test_the_last_layer_hint_checks_one_neuron_per_digit(answer, ok):
    assert ask('output_layer', answer)["ok"] is ok


@pytest.mark.parametrize("answer, ok", [
    ("It squashes numbers into between 0 and 1", True),
    ("squashes into (0, 1)", True),
    ("between zero and one", True),
    ("It turns a weighted sum from minus one million to a million into a value between 0 and 1", True),
    ("It maps any number to between -1 and 1", False),  # tanh's range
    ("It makes the network nonlinear", False),  # no range at all
])
def test_the_sigmoid_hint_checks_the_range(answer, ok):
    hint = ask('sigmoid_range', answer)
    assert hint["ok"] is ok
    if "-1" in answer:
        assert "-1 to 1" in hint["text"]


@pytest.mark.parametrize("answer, ok", [
    ("The gradient points in the direction of steepest increase; gradient descent steps the opposite way", True),
    ("The gradient points uphill, so gradient descent walks downhill", True),
    ("The gradient points where the function decreases fastest", False),
    ("The gradient doesn't point uphill, it points downhill", False),  # a negation
    ("Gradient descent follows the gradient uphill", False),
    ("The gradient is the slope", False),
])
def test_the_gradient_hint_checks_which_way_each_points(answer, ok):
    assert ask('gradient_direction', answer)["ok"] is ok


@pytest.mark.parametrize("answer, ok", [
    ("A high value means the network is bad at this example, a low value means it is good", True),
    ("A high value means it is accurate", False),
    ("A low value doesn't mean the network is good: a high value means it is far off", False),  # turned round
    ("It is the sum of squared differences", False),  # says neither
])
def test_the_cost_hint_checks_which_way_round_high_and_low_are(answer, ok):
    assert ask('cost_meaning', answer)["ok"] is ok


@pytest.mark.parametrize("answer, ok", [
    ("AlexNet won ImageNet in 2012 with a deep convolutional network trained on GPUs", True),
    ("AlexNet (2015) showed deep networks work", False),
    ("ImageNet started in 2009. AlexNet won by a wide margin.", None),  # a year, but not AlexNet's: not checked
    ("It showed that deep networks trained on GPUs beat hand-made features", None),  # no year: nothing to check
])
def test_the_alexnet_hint_checks_only_a_year_given_for_alexnet(answer, ok):
    hint = ask('alexnet_year', answer)
    assert (hint is None) if ok is None else hint["ok"] is ok


@pytest.mark.parametrize("answer, ok", [
    ("The network's accuracy improves over time", True),
    ("Its predictions get better as the loss goes down", True),
    ("The performance gets worse", False),
    ("The accuracy does not improve", False),  # a negation
    ("It gets better on the training data, but test accuracy can drop if it overfits", True),  # a right nuance
    ("The loss goes down", False),  # about the loss, not performance
])
def test_the_performance_hint_checks_which_way_performance_goes(answer, ok):
    assert ask('performance_time', answer)["ok"] is ok


def test_the_checks_a_question_can_choose_are_the_registered_hints_and_each_says_what_it_reads():
    field = Question._meta.get_field("answer_check")
    assert {value for value, _ in field.choices if value} == set(CHECKS)
    assert all(c.reads and c.label for c in CHECKS.values())
    assert checked_part(Question(answer_check=MSE)) == "the number you give as the loss"
    assert checked_part(Question(text="Why?")) == ""


def test_blank_answers_and_unchecked_questions_get_no_hint():
    assert ask(MSE, "  ") is None
    assert hint_for(Question(text="Why?"), "because") is None
    assert not gives_hints(Question(text="Why?")) and gives_hints(Question(answer_check=MSE))


ATTACKS = ["1" * 20_000, "1." * 10_000, "1," * 10_000, "1/" * 10_000, " " * 19_999 + "x", "it is " * 3_000,
           "0.25 is not " * 1_500, "between 1" + " 1" * 9_000]


# Each attack takes a few milliseconds; this much on a busy shared machine means a pattern
# that backtracks (the sigmoid's range took 50 s on 2,000 digits before its quantifiers were
# made possessive).
ATTACK_SECONDS = 20


def _read_attacks(check: str, progress) -> None:
    for number, attack in enumerate(ATTACKS):
        progress.value = number
        hint = ask(check, attack)
        assert hint is None or isinstance(hint["ok"], bool)
    progress.value = len(ATTACKS)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_hint_answers_text_shaped_to_make_a_regex_backtrack(check):
    read_every_attack_or_fail(check, ATTACK_SECONDS)


def read_every_attack_or_fail(check: str, seconds: float) -> None:
    # In a child process: a regex stuck backtracking holds the GIL, so no thread could stop it,
    # and the test must fail, naming the attack, rather than hang.
    context = multiprocessing.get_context("fork")
    progress = context.Value("i", -1)
    child = context.Process(target=_read_attacks, args=(check, progress), daemon=True)
    child.start()
    child.join(seconds)
    if child.is_alive():
        child.kill()
        child.join()
        attack = ATTACKS[progress.value]
        pytest.fail(f"the {check} hint was still reading attack {progress.value} ({attack[:12]!r}..., "
                    f"{len(attack):,} characters) after {seconds} s: a pattern backtracking on it?")
    assert child.exitcode == 0 and progress.value == len(ATTACKS), f"the {check} hint failed on attack {progress.value}"


def test_only_the_start_of_a_very_long_answer_is_checked():
    from coursework.services.hints import MAX_CHECKED_CHARS

    assert ask(MSE, "0.0625 " + "x" * MAX_CHECKED_CHARS)["ok"]
    assert not ask(MSE, "x" * MAX_CHECKED_CHARS + " 0.0625")["ok"]


def test_a_check_that_backtracks_fails_its_test_naming_the_attack_instead_of_hanging(monkeypatch):
    import re

    backtracking = lambda text: re.match(r"(1+)+x", text) and None  # noqa: E731  (exponential on "111...1")
    monkeypatch.setitem(CHECKS, MSE, Check(MSE, "a slow check", "nothing", backtracking))
    with pytest.raises(pytest.fail.Exception, match=r"the mse hint was still reading attack 0 \('111111111111'"):
        read_every_attack_or_fail(MSE, 3)
