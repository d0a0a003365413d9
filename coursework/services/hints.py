"""Immediate hints for the synthesis questions with a part that can be checked.

Each check reads the answer's structure (the number it states as its answer, the side it
chooses, the range it gives, which way it says something points) rather than looking for a
word or a number anywhere: "0.0625 is wrong, it's 0.5" states 0.5. A hint only confirms
the checkable part; the rest of the answer is the TA's to read. When the checkable part is
missing, the hint asks for it without giving it away.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..models import Question

Hint = dict  # {"ok": bool, "text": str}


# --- The registry -----------------------------------------------------------------------------
# A new hint is one function with @check and its test: the key is what content/ names in a
# question's `check:`, the label what staff see when choosing a question's check (the model
# field's choices come from here), `reads` what the mark beside the question says it reads.
@dataclass(frozen=True)
class Check:
    key: str
    label: str
    reads: str
    run: Callable[[str], Hint | None]


CHECKS: dict[str, Check] = {}


def check(key: str, label: str, reads: str):
    def register(run):
        if key in CHECKS:
            raise ValueError(f"two hints are registered as {key!r}")
        CHECKS[key] = Check(key, label, reads, run)
        return run

    return register


def choices() -> list[tuple[str, str]]:
    """Question.answer_check's choices: no check, then every registered one."""
    return [("", "none")] + [(c.key, c.label) for c in CHECKS.values()]

# A number as students write it: 0.0625, .0625, 6.25e-2, 1/16, 6.25%.
NUMBER = re.compile(
    r"(?<![\w.])(?P<minus>-\s?)?(?P<whole>\d+(?:\.\d+)?(?:e-?\d+)?|\.\d+)"
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?))?(?P<pct>\s*%)?(?!\.\d|[a-z_])",
    re.IGNORECASE,
)
# Words that say a number next to them is not the answer ("not 0.5", "0.5 is wrong").
REJECTED_BEFORE = re.compile(r"(?:\bnot|n't|\binstead of|\brather than|\bthan|\bthought|\bwrongly|\bnor)\s*(?:\w+\s+){0,1}$")
REJECTED_AFTER = re.compile(r"^\s*(?:is|was|would be|seems)?\s*(?:wrong|incorrect|not right|a mistake|isn't|is not)\b")
# Words that introduce the answer ("the loss is 0.125", "= 0.125", "I get 0.125").
STATED_BEFORE = re.compile(
    r"(?:=|≈|\bequals?|\bis|\bit's|\bget|\bgot|\bgives?|\bcomes? (?:out )?to|\banswer:?|\bloss:?|\bmse:?|\bresult:?)\s*"
    r"(?:about|approximately|roughly|exactly|just|then|=)?\s*$",
    re.IGNORECASE,
)


def _value(match: re.Match) -> float | None:
    try:
        value = float(match["whole"])
        if match["den"]:
            value /= float(match["den"])
    except (ValueError, ZeroDivisionError):
        return None
    if match["pct"]:
        value /= 100
    return -value if match["minus"] else value


def _numbers(text: str) -> list[tuple[float, bool, bool]]:
    """(value, stated as the answer, rejected) for each number in the text, in order."""
    found = []
    for match in NUMBER.finditer(text):
        value = _value(match)
        if value is None:
            continue
        before, after = text[max(0, match.start() - 40):match.start()], text[match.end():match.end() + 40]
        rejected = bool(REJECTED_BEFORE.search(before.lower()) or REJECTED_AFTER.search(after.lower()))
        found.append((value, bool(STATED_BEFORE.search(before)), rejected))
    return found


def stated_number(text: str, givens: tuple[float, ...] = ()) -> float | None | str:
    """The number the answer gives as its answer, None without one, "several" when it
    offers two answers ("0.0625 or 0.5") and so commits to neither."""
    numbers = [(v, stated) for v, stated, rejected in _numbers(text) if not rejected]
    hedged = re.search(r"(?<![\w.])(\d++(?:\.\d++)?+|\.\d++)\s*+(?:,\s*)?or(?: maybe| perhaps)?\s++"
                       r"(\d++(?:\.\d++)?+|\.\d++)", text)
    if hedged and abs(float(hedged[1]) - float(hedged[2])) > 1e-9:
        return "several"
    stated = [v for v, is_stated in numbers if is_stated]
    if stated:
        return stated[-1]  # the end of a working-out chain: "= 0.0625 + 0.0625 = 0.125"
    # Numbers the question gives ("the errors are 0.25 and 0.25") are working, unless
    # they are all the answer offers.
    unstated = [v for v, _ in numbers if not any(abs(v - g) < 1e-9 for g in givens)] or [v for v, _ in numbers]
    return unstated[-1] if unstated else None


def _clauses(text: str) -> list[str]:
    """The answer cut where one claim ends and the next begins."""
    parts = re.split(r"[.;:!?\n]+|,|\b(?:but|whereas|while|so|because|since|then|and)\b", text.lower())
    return [p.strip() for p in parts if p and p.strip()]


NEGATED = re.compile(r"\b(?:not|never|no longer|isn't|doesn't|don't|aren't|won't|cannot|can't)\b|n't\b")


# --- MSE of [0.25, 0.75] against [0, 1] ------------------------------------------------
# Squared errors 0.0625 and 0.0625: their mean is 0.0625; their sum, the convention the
# video uses for the cost, is 0.125. Both are accepted.
MSE_ACCEPTED = (0.0625, 0.125)
MSE_GIVENS = (0.25, 0.75, 0.0, 1.0, 2.0)


@check('mse', label='MSE of [0.25, 0.75] against [0, 1]',
       reads='the number you give as the loss')
def _mse(text: str) -> Hint:
    # "0,0625": a decimal comma (a thousands comma never follows a lone 0)
    text = re.sub(r"(?<![\d.,])0,(\d)", r"0.\1", text)
    value = stated_number(text, MSE_GIVENS)
    if value == "several":
        return {"ok": False, "text": "Your answer gives more than one number as the loss: commit to one."}
    if value is None:
        return {"ok": False, "text": "Give the loss as a number: subtract the label from each output, square each "
                                     "difference, then average them (or add them up, as the video does)."}
    if any(abs(value - target) < 5e-4 for target in MSE_ACCEPTED):
        return {"ok": True, "text": "That matches: each output is off by 0.25, so each squared error is 0.0625; "
                                    "averaged that is 0.0625 (summed, as the video's cost does, 0.125)."}
    return {"ok": False, "text": f"Your answer comes to {value:g}, which is not quite it. Subtract the label from each "
                                 "output, square each difference, then average them (or add them up, as the video does)."}


# --- IS / IS NOT -------------------------------------------------------------------------
SUBJECT = r"(?:a |the )?(?:(?:deep |artificial )?neural )?(?:network|net|nn|ann|dnn|it|they|one)s?"
# Said after "is": these keep the claim that a network is (just) a function...
ONLY_A_FUNCTION = re.compile(r"^(?:really |basically |essentially |indeed |in fact |still |ultimately )*"
                             r"(?:nothing (?:more|else|other) than|nothing but|no more than|not anything (?:more|other) than|"
                             r"just|only|simply|merely)")
# ...and these deny it.
MORE_THAN_A_FUNCTION = re.compile(r"^(?:really |actually |much |far )*(?:more than|not (?:just|only|simply|merely|a |an |really))")


BARE = ("", "one", "not", "not one")  # "It is.", "It is not, because ..."


def stance(text: str) -> str | None:
    """"is", "is not", "both" (the answer takes both sides) or None (it takes neither)."""
    lowered = " ".join(text.lower().split())
    found = set()
    # An answer that opens with its choice: "IS NOT.", "Is - because ...", "I choose IS".
    opening = re.match(r"^(?:i (?:would |'d )?(?:choose|pick|say|think|go with|believe)\s*:?\s*)?"
                       rf"(?:{SUBJECT}\s+)?[\"'*]*"
                       r"(is\s*not|isn'?t|is)\b[\"'*]*\s*(?:[.,:;!\-–—(]|$|because|since|as\b)",
                       lowered)
    if opening:
        found.add("is" if opening[1] == "is" else "is not")
    for clause in _clauses(lowered):
        # the question copied back ("IS / IS NOT") is no choice
        clause = re.sub(r"\bis\s*/\s*is\s*not\b", "", clause)
        claim = re.search(rf"\b{SUBJECT}\s+(?:is|are|'s)\s+(?P<rest>.*)", clause) or re.search(
            rf"\b{SUBJECT}\s+(?P<neg>isn'?t|is not|aren'?t|are not)\s+(?P<rest>.*)", clause)
        if not claim:
            continue
        rest = claim["rest"]
        if "function" not in rest and rest.strip() not in BARE:
            continue
        if claim.groupdict().get("neg"):
            found.add("is" if re.match(r"^(?:anything (?:more|other) than)", rest) else "is not")
        elif ONLY_A_FUNCTION.match(rest):
            found.add("is")
        elif MORE_THAN_A_FUNCTION.match(rest) or NEGATED.match(rest):
            found.add("is not")
        elif rest.strip() in BARE or "function" in rest:
            # "It is a function, but not just a function" chooses IS NOT: a plain "is a
            # function" gives way to a "not just", a "just a function" does not.
            found.add("is, plainly")
    if "is not" in found:
        return "both" if "is" in found else "is not"
    return "is" if found else None


@check('is_or_is_not', label='IS / IS NOT',
       reads='which side you choose')
def _is_or_is_not(text: str) -> Hint:
    side = stance(text)
    if side == "is":
        return {"ok": True, "text": "Yes: a network is a function, with its weights and biases as the parameters. "
                                    "Now say why that matters."}
    if side == "is not":
        return {"ok": False, "text": "Think again: given its weights and biases, a network maps every input to an "
                                     "output by a fixed formula. What is that, if not a function?"}
    if side == "both":
        return {"ok": False, "text": "Your answer argues both sides: the question asks you to choose one, IS or IS NOT."}
    return {"ok": False, "text": "Choose one: say whether a network IS or IS NOT just a function, then say why."}


# --- How a 28 × 28 picture becomes the input layer ----------------------------------------
PIXELS = re.compile(r"\b28\s*(?:x|×|\*|by|times)\s*28\b")
NEURONS = r"(?:n(?:eu|ue)rons?|nodes?|units?)"  # "nuerons" too
COUNTED = re.compile(r"(?<![\w.,])(\d[\d,]*+)\s+(?:input\s+|separate\s+)?(?:n(?:eu|ue)rons?|nodes?|inputs?|units?|pixels?|"
                     r"numbers?|values?)\b")


@check('input_layer', label='input layer: 784 neurons',
       reads='how many input neurons you say the picture needs')
def _input_layer(text: str) -> Hint:
    lowered = text.lower()
    counts = {int(n.replace(",", "")) for n in COUNTED.findall(lowered) if n.replace(",", "").isdigit()}
    says_784 = bool(re.search(r"(?<![\w.])784(?![\w.])|(?<![\w.])784\.(?!\d)|\bseven hundred (?:and )?eighty[- ]four\b",
                              lowered)) or bool(PIXELS.search(lowered))
    wrong = sorted(c for c in counts if c != 784)
    if wrong and not says_784:
        return {"ok": False, "text": f"Count again: a layer with {wrong[0]:,} neurons would not hold the picture. "
                                     "How many pixels does a 28 × 28 image have?"}
    if says_784:
        return {"ok": True, "text": "Right: one input neuron per pixel, 28 × 28 = 784 of them. Say too what each "
                                    "neuron holds (how bright its pixel is)."}
    return {"ok": False, "text": "Be concrete: how many neurons does the input layer need for a 28 × 28 picture, "
                                 "and what number does each one hold?"}


# --- What the last layer stands for -------------------------------------------------------
SMALL_NUMBERS = {word: n for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
ONE_PER_DIGIT = re.compile(
    rf"\b(?:one|an?|each)\s+(?:output\s+)?(?:{NEURONS}|outputs?)\s+(?:for|per)\s+(?:each\s+|every\s+)?(?:possible\s+)?"
    r"(?:digit|number|class)|\b(?:0|zero)\s*(?:-|–|to|through)\s*(?:9|nine)\b|\b(?:ten|10) (?:possible )?digits\b|"
    r"\beach (?:of the )?(?:possible )?digits?\b|"
    rf"\b(?:one|an?)\s+(?:output\s+)?(?:{NEURONS}|outputs?)\s+(?:each|apiece)\b")
# A count of the layer: "10 output neurons", "ten nodes", "the output has 10", "the last layer is 28".
LAYER_COUNT = re.compile(
    rf"(?<![\w.,])(\d++|{'|'.join(SMALL_NUMBERS)})\s+(?:(?:output|final|last|separate)\s+)?(?:{NEURONS}|outputs?)\b|"
    rf"\b(?:has|have|had|is|are|of|with|contains?)\s+(?:only\s+|just\s+|exactly\s+)?(\d++|{'|'.join(SMALL_NUMBERS)})\b"
    r"(?!\s*(?:-|–|to|through)\s*\w)")
OTHER_LAYER = re.compile(r"\b(?:input|first|hidden|pixels?|middle)\b")
THIS_LAYER = re.compile(r"\b(?:output|last|final)\b")


@check('output_layer', label='last layer: 10 neurons, one per digit',
       reads='how many neurons you say the last layer has')
def _output_layer(text: str) -> Hint:
    """The count the answer gives for the last layer: a number said of another layer ("the
    input has 784") is not this answer's."""
    counts, per_digit = set(), False
    for clause in re.split(r"[.;!?\n]+|\b(?:and|but|while|whereas)\b", text.lower()):
        if OTHER_LAYER.search(clause) and not THIS_LAYER.search(clause):
            continue
        if ONE_PER_DIGIT.search(clause):
            per_digit = True
            clause = ONE_PER_DIGIT.sub(" ", clause)  # "one neuron for each digit" is no count of one
        for match in LAYER_COUNT.finditer(clause):
            word = match[1] or match[2]
            counts.add(int(word) if word.isdigit() else SMALL_NUMBERS[word])
    wrong = sorted(c for c in counts if c != 10)
    if wrong and 10 not in counts:
        return {"ok": False, "text": f"Count again: how many different answers can the network give for a picture of a "
                                     f"digit? The last layer needs one neuron for each (not {wrong[0]:,} in all)."}
    if 10 in counts or per_digit:
        return {"ok": True, "text": "Right: ten neurons, one per digit. Say too what a neuron's value means for the "
                                    "picture shown."}
    return {"ok": False, "text": "Be concrete: how many neurons does the last layer have for the digit task, and what "
                                 "does each one's value say?"}


# --- The sigmoid's range --------------------------------------------------------------------
RANGE = re.compile(
    r"(?<![\d.])(?P<low>-?\s?(?:\d++(?:\.\d++)?+|\.\d++)|zero|one|minus one|negative one)\s*+"
    r"(?:,|and|to|-|–|…|\.\.)\s*+(?P<high>-?(?:\d++(?:\.\d++)?+|\.\d++)|zero|one|infinity|∞)")


def _range_value(word: str) -> float:
    word = word.replace(" ", "")
    return {"zero": 0.0, "one": 1.0, "minusone": -1.0, "negativeone": -1.0, "infinity": float("inf"),
            "∞": float("inf")}.get(word, None) if not re.match(r"-?\d*\.?\d+$", word) else float(word)


@check('sigmoid_range', label='sigmoid: the range 0 to 1',
       reads='the range you give for the sigmoid')
def _sigmoid(text: str) -> Hint:
    ranges = []
    for match in RANGE.finditer(text.lower()):
        low, high = _range_value(match["low"]), _range_value(match["high"])
        if low is not None and high is not None and low < high:
            ranges.append((low, high))
    if (0.0, 1.0) in ranges:
        return {"ok": True, "text": "Right: it squashes any number into the range 0 to 1. Say too why a network "
                                    "wants that after each weighted sum."}
    if ranges:
        low, high = ranges[0]
        return {"ok": False, "text": f"Check the range: {low:g} to {high:g} is not what the sigmoid gives. What is "
                                     "1 / (1 + e^-x) for a very negative x, and for a very large one?"}
    return {"ok": False, "text": "Be concrete: into what range does the sigmoid squash a neuron's weighted sum?"}


# --- Which way the gradient points -----------------------------------------------------------
UP = re.compile(r"\b(?:increas\w*|ascent|uphill|up|rise|rises|grows?|higher|steepest increase|maximi\w*|largest increase)\b")
DOWN = re.compile(r"\b(?:decreas\w*|descent|downhill|down|lower\w*|smaller|minim\w*|fall\w*|reduc\w*)\b")
AGAINST = re.compile(r"\b(?:opposite|negative|against|minus|reverse|away from|backwards?)\b")


@check('gradient_direction', label='gradient up, gradient descent against it',
       reads='which way you say the gradient and gradient descent point')
def _gradient(text: str) -> Hint:
    text = re.sub(r"\bgradiant", "gradient", text.lower())
    text = re.sub(r"\bgradient\s+decent\b", "gradient descent", text)
    gradient_says, descent_says = set(), set()
    # A clause that names neither ("..., and points where the function increases fastest")
    # goes on about the last one named; an answer opening with "It" is about the gradient.
    subject = "gradient"
    for clause in _clauses(text):
        flip = bool(NEGATED.search(clause))
        if re.search(r"\bdescent\b", clause):
            subject, rest = "descent", clause.split("descent", 1)[1]
        elif "gradient" in clause:
            subject, rest = "gradient", clause.split("gradient", 1)[1]
            if AGAINST.search(clause):
                continue  # "the negative gradient", "against the gradient": the way descent steps, not the gradient's
        else:
            rest = clause
        if subject == "descent":
            if AGAINST.search(rest) or DOWN.search(rest):
                descent_says.add("up" if flip else "down")
            elif UP.search(rest) or re.search(r"\b(?:along|follow\w*|in the direction of)\b.*gradient", rest):
                descent_says.add("down" if flip else "up")
        else:
            if AGAINST.search(rest):
                continue
            if UP.search(rest):
                gradient_says.add("down" if flip else "up")
            elif DOWN.search(rest):
                gradient_says.add("up" if flip else "down")
    if "down" in gradient_says:
        return {"ok": False, "text": "Check the direction: take f(x) = x² at x = 1. Its gradient there is 2x = 2, a "
                                     "positive number. Does f grow or shrink as x moves that way?"}
    if "up" in descent_says:
        return {"ok": False, "text": "Check the direction: gradient descent wants a smaller cost, so does it step with "
                                     "the gradient or against it?"}
    if "up" in gradient_says and "down" in descent_says:
        return {"ok": True, "text": "Right: the gradient points the way the function increases fastest, and gradient "
                                    "descent takes small steps the opposite way to lower the cost."}
    if "up" in gradient_says:
        return {"ok": True, "text": "Right about the gradient: it points the way the function increases fastest. Now "
                                    "say which way gradient descent steps, and why."}
    return {"ok": False, "text": "Be concrete: which way does the gradient point (the function increasing or "
                                 "decreasing fastest), and which way does gradient descent step?"}


# --- What a high or a low cost means ------------------------------------------------------------
HIGH = re.compile(r"\b(?:high\w*|hgih|hihg|large\w*|big\w*|bigger|greater)\b")
LOW = re.compile(r"\b(?:low\w*|small\w*|little|close to (?:0|zero)|near (?:0|zero))\b")
BAD = re.compile(r"\b(?:bad\w*|poor\w*|wrong|far|worse|inaccurat\w*|off|errors?|mistakes?|badly|struggl\w*|incorrect\w*|lousy)\b")
GOOD = re.compile(r"\b(?:good|accurat\w*|close|right|better|well|correct\w*|confident\w*|near)\b")


@check('cost_meaning', label='cost: high means far from the label, low close',
       reads='which way round you say a high and a low cost are')
def _cost_meaning(text: str) -> Hint:
    says = set()
    # Cut as _clauses does but not at a colon: "High: the prediction is wrong" is one claim.
    for clause in re.split(r"[.;!?\n]+|,|\b(?:but|whereas|while|so|because|since|then|and)\b", text.lower()):
        flip = bool(NEGATED.search(clause))
        level = "high" if HIGH.search(clause) else "low" if LOW.search(clause) else None
        if level is None:
            continue
        rest = (HIGH if level == "high" else LOW).split(clause, 1)[1]
        verdict = "bad" if BAD.search(rest) else "good" if GOOD.search(rest) else None
        if verdict is None:
            continue
        if flip:
            verdict = "good" if verdict == "bad" else "bad"
        says.add((level, verdict))
    if ("high", "good") in says or ("low", "bad") in says:
        return {"ok": False, "text": "Check which way round it is: the cost adds up squared differences from the label. "
                                     "When the outputs are far from the label, is that sum high or low?"}
    if ("high", "bad") in says and ("low", "good") in says:
        return {"ok": True, "text": "Right: a high cost means the outputs are far from the label, a low one that they "
                                    "are close. Say too how the cost is computed for one example."}
    if says:
        missing = "a low" if ("high", "bad") in says else "a high"
        return {"ok": False, "text": f"Half way: say too what {missing} value tells you."}
    return {"ok": False, "text": "Be concrete: what does a high cost tell you about the network's outputs for this "
                                 "example, and what does a low one?"}


# --- When AlexNet won -------------------------------------------------------------------------
YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")


@check('alexnet_year', label='AlexNet: 2012, if a year is given',
       reads='the year, if you give one for AlexNet')
def _alexnet_year(text: str) -> Hint | None:
    """Only a year the answer gives for AlexNet is checked: the question does not ask for one."""
    for clause in re.split(r"[.;!?\n]+", text):
        if "alexnet" not in clause.lower():
            continue
        years = {int(y) for y in YEAR.findall(clause)}
        if years == {2012}:
            return {"ok": True, "text": "Right year: AlexNet won the ImageNet challenge in 2012. The question is why "
                                        "that mattered: say what it showed about deep networks and GPUs."}
        if years and 2012 not in years:
            return {"ok": False, "text": f"Check the year: AlexNet's ImageNet win was not in {min(years)}. Look up "
                                         "which year's ImageNet challenge it won."}
    return None


# --- Performance as the loss is minimised ---------------------------------------------------------
PERFORMANCE = re.compile(r"\b(?:performance|accuracy|accurate|predictions?|results?|outputs?|network|it)\b")
BETTER = re.compile(r"\b(?:improv\w*|bett?er|increas\w*|rises?|grows?|goes up|higher|more accurate)\b")
WORSE = re.compile(r"\b(?:wors\w*|decreas\w*|drops?|falls?|goes down|lower|less accurate|degrad\w*)\b")
GENERALISING = re.compile(r"\b(?:overfit\w*|test|unseen|validation|new (?:data|examples|images)|eventually|too long)\b")


@check('performance_time', label='performance rises as the loss falls',
       reads='whether you say performance rises or falls')
def _performance_over_time(text: str) -> Hint:
    says = set()
    # "It gets better as the loss goes down": the loss's part is its own claim
    parts = [part for clause in _clauses(text) for part in re.split(r"\b(?:as|when|once)\b", clause)]
    for clause in parts:
        if GENERALISING.search(clause) or "loss" in clause or "cost" in clause or "error" in clause:
            continue  # the loss itself falls; performance on unseen data may rightly drop: not this check's business
        if not PERFORMANCE.search(clause):
            continue
        flip = bool(NEGATED.search(clause))
        if BETTER.search(clause):
            says.add("worse" if flip else "better")
        elif WORSE.search(clause):
            says.add("better" if flip else "worse")
    if "worse" in says:
        return {"ok": False, "text": "Check the direction: the loss measures how wrong the network is. As it is "
                                     "minimised, does the network's performance on its training data rise or fall?"}
    if "better" in says:
        return {"ok": True, "text": "Right: as the loss falls the network gets better, at least on the data it "
                                    "trains on. Say too what can happen on data it has never seen."}
    return {"ok": False, "text": "Be concrete: as the loss is minimised, does the network's performance rise or fall?"}


def gives_hints(question: Question) -> bool:
    return question.answer_check in CHECKS


def checked_part(question: Question) -> str:
    """What a question's hint checks ("" for a question without one)."""
    found = CHECKS.get(question.answer_check)
    return found.reads if found else ""


# An answer is a paragraph or two: longer text is checked on its start, which keeps every
# check's time bounded whatever is pasted into the box.
MAX_CHECKED_CHARS = 5000


def hint_for(question: Question, text: str) -> Hint | None:
    """{"ok": bool, "text": str} for a checkable question with an answer (None when there is no
    answer, no check, or, for a check of an optional detail, no such detail in the answer)."""
    text = (text or "").strip()[:MAX_CHECKED_CHARS]
    found = CHECKS.get(question.answer_check)
    if not text or found is None:
        return None
    return found.run(text)
