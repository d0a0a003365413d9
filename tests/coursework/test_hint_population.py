"""Every automatic hint against a population of answers: for each checked question, right
answers phrased many ways (orders, digits or words, extra context, typos) get no corrective
hint; wrong ones all get one; and no corrective hint ever contains the answer."""
import re

import pytest

from coursework.models import Question
from coursework.services.hints import CHECKS, hint_for
from tests.support.hint_population import POPULATION


def test_every_check_has_a_population():
    assert set(POPULATION) == set(CHECKS)
    for check, (right, wrong, _) in POPULATION.items():
        assert len(right) >= 10 and len(wrong) >= 10, check


def _cases(kind: int):
    return [(check, answer) for check, groups in POPULATION.items() for answer in groups[kind]]


def _hint(check: str, answer: str) -> dict | None:
    return hint_for(Question(answer_check=check, text="?"), answer)


@pytest.mark.parametrize("check, answer", _cases(0))
def test_a_right_answer_gets_no_corrective_hint(check, answer):
    hint = _hint(check, answer)
    assert hint is not None and hint["ok"], hint


@pytest.mark.parametrize("check, answer", _cases(1))
def test_a_wrong_answer_gets_a_hint_that_does_not_give_the_answer_away(check, answer):
    hint = _hint(check, answer)
    assert hint is not None and not hint["ok"]
    for secret in POPULATION[check][2]:
        assert not re.search(secret, hint["text"], re.IGNORECASE), hint["text"]
