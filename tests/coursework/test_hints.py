import pytest

from coursework.models import Question
from coursework.services.hints import hint_for

MSE = Question(answer_check=Question.MSE, text="MSE?")
IS = Question(answer_check=Question.IS_OR_IS_NOT, text="IS / IS NOT")


@pytest.mark.parametrize("answer", ["0.0625", "The loss is .0625 because...", "It is 0.125 if you sum", "1/16"])
def test_the_right_mse_is_confirmed(answer):
    assert hint_for(MSE, answer)["ok"]


@pytest.mark.parametrize("answer", ["0.25", "0.5", "I think about 1"])
def test_a_wrong_mse_gets_a_nudge_not_the_answer(answer):
    hint = hint_for(MSE, answer)
    assert not hint["ok"] and "square each difference" in hint["text"] and "0.0625" not in hint["text"]


def test_is_gets_confirmed_and_is_not_gets_a_question_back():
    assert hint_for(IS, "A neural network IS just a function with many parameters")["ok"]
    assert not hint_for(IS, "It is not, because it learns")["ok"]
    assert not hint_for(IS, "isn't")["ok"]


def test_blank_answers_and_unchecked_questions_get_no_hint():
    assert hint_for(MSE, "  ") is None
    assert hint_for(Question(text="Why?"), "because") is None
