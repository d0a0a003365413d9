"""Every automatic hint against a population of answers: for each checked question, right
answers phrased many ways (orders, digits or words, extra context, typos) get no corrective
hint; wrong ones all get one; and no corrective hint ever contains the answer."""
import re

import pytest

from coursework.models import Question
from coursework.services.hints import CHECKS, hint_for

# For each check: (right answers, wrong answers, what a corrective hint must never say, as
# regular expressions).
POPULATION = {
    'mse': ([
        "0.0625",
        "The loss is 0.0625.",
        "Each error is 0.25, squared that is 0.0625, and the mean of two of those is 0.0625.",
        "(0.25 - 0)^2 = 0.0625 and (0.75 - 1)^2 = 0.0625, so MSE = (0.0625 + 0.0625) / 2 = 0.0625",
        "If you add them up like the video does it comes to 0.125",
        "MSE = 1/16",
        "about 0.06 (exactly 0.0625)",
        "I got 6.25%",
        "0,0625",  # a decimal comma
        "The loss for this example is .0625 since both outputs are off by a quarter",
        "sum of squares: 0.125",
    ], [
        "0.25",
        "The loss is 0.5",
        "It is 0.3125",
        "MSE = 0.75",
        "I think the loss is 1",
        "The errors are 0.25 and 0.25 so the loss is 0.25",
        "0.0625 + 0.5625 = 0.625",
        "loss = 0.375",
        "It's zero because the network chose the right class",
        "the loss is large, about 2",
    ], [r"0\.0625", r"0\.125\b", r"1/16"]),
    'is_or_is_not': ([
        "IS",
        "It IS just a function: weights and biases are its parameters.",
        "I choose IS, because given the weights every input maps to one output.",
        "A neural network is just a function with lots of parameters.",
        "is - a network is a very big function, nothing more",
        "Yes it is just a function. Training only picks its parameters.",
        "A neural net is nothing more than a function of its inputs and thirteen thousand parameters.",
        "IS. Once trained it always gives the same output for the same input, which is what a function does.",
        "i would say it is: networks are just functions with many parameters",
        "Neural networks are simply functions with a huge number of parameters.",
    ], [
        "IS NOT",
        "It is not just a function, because it learns.",
        "isn't",
        "I choose IS NOT: a network is more than a function, it can learn from data.",
        "A network is not just a function; it is a model of the brain.",
        "IS NOT. It changes as it trains.",
        "A neural network is more than just a function because it has layers.",
        "I would say it isn't, networks have memory.",
        "No, it is not only a function, it is a learning system.",
        "Networks are not just functions because they adapt.",
    ], []),
    'input_layer': ([
        "784 neurons, one per pixel",
        "Each pixel of the 28x28 image is one neuron",
        "The picture has 28 × 28 = 784 pixels, so the input layer has 784 neurons, each holding a brightness.",
        "The input has 784 neurons and the output has 10, one per digit 0-9.",
        "The last layer has 10 output neurons. The first layer has 784.",
        "The first layer has seven hundred eighty-four neurons, one for each pixel's greyscale value.",
        "It is flattened into a vector of 784 numbers between 0 and 1.",
        "28 by 28 pixels makes 784 input neurons holding how bright each pixel is",
        "There are 784 inputs (28*28), each the grey level of a pixel from 0 for black to 1 for white.",
        "Each of the 784 pixels becomes the activation of one input neuron.",
        "784 nuerons, one per pixle",  # typos
    ], [
        "The image becomes 256 neurons",
        "28 neurons",
        "each pixel becomes a neuron",
        "The input layer has 100 neurons.",
        "It has 10 neurons, one per digit.",
        "The picture is 28 pixels wide so 56 neurons",
        "There are 1000 input neurons",
        "The network reads the picture row by row",
        "The input layer is 28 neurons, one per row, and the output has 10",
        "It becomes 16 neurons that detect edges",
    ], [r"784", r"28 × 28 =", r"seven hundred"]),
    'output_layer': ([
        "10 neurons, one per digit",
        "one neuron for each digit, its value is how sure the network is",
        "The input has 784 neurons and the output has 10, one per digit 0-9.",
        "The last layer has 10 output neurons. The first layer has 784.",
        "Ten neurons: each says how much the network thinks the picture is that digit.",
        "It stands for the digits 0 to 9, one neuron each; the brightest one is the answer.",
        "The output layer has ten nodes, one per possible digit.",
        "Each of the 10 output neurons stands for one digit, and its activation is the network's confidence.",
        "There is an output neuron for every digit from zero to nine.",
        "the last layer has 10 nuerons (one for each digit)",  # a typo
    ], [
        "It has 2 neurons",
        "784 neurons",
        "which digit it is",
        "The last layer has one neuron that outputs the digit.",
        "The output layer has 9 neurons, for the digits 1 to 9.",
        "It has 784 outputs, one per pixel.",
        "The last layer has 16 neurons.",
        "The first layer has 784 neurons and the last has 100.",
        "It stands for the answer",
        "The output is 28 neurons",
    ], [r"\b10\b", r"\bten\b", r"one per digit"]),
    'sigmoid_range': ([
        "It squashes numbers into between 0 and 1",
        "squashes into (0, 1)",
        "between zero and one",
        "It turns a weighted sum from minus one million to a million into a value between 0 and 1",
        "It maps any real number to the range 0 to 1, so an activation reads like a probability.",
        "Its output is always between 0 and 1: very negative sums give almost 0, very positive almost 1.",
        "sigmoid(x) = 1/(1+e^-x), which lies in (0,1)",
        "The sigmoid makes the output fall between 0 and 1 so it can act as an activation.",
        "To squeeze the weighted sum into the interval [0, 1].",
        "it keeps activations betwen 0 and 1",  # a typo
    ], [
        "It maps any number to between -1 and 1",
        "It makes the network nonlinear",
        "It squashes values into the range 0 to 10.",
        "The output is between -1 and 1.",
        "It keeps values between 0 and 100 percent... I mean between 0 and 255",
        "It squashes into (-1, 1)",
        "It gives values from 0 to infinity",
        "It turns negative numbers to 0 and keeps positive ones",
        "Between 1 and 10",
        "It is for adding a bias.",
    ], [r"\b0 and 1\b", r"\b0 to 1\b", r"\(0, 1\)", r"zero and one"]),
    'gradient_direction': ([
        "The gradient points in the direction of steepest increase; gradient descent steps the opposite way",
        "The gradient points uphill, so gradient descent walks downhill",
        "The gradient is the vector of partial derivatives and points where the function increases fastest. "
        "Gradient descent repeatedly steps against it to reduce the cost.",
        "Gradient: the direction of steepest ascent. Gradient descent: moving in the negative gradient direction "
        "to minimise the loss.",
        "The gradient tells you which way is up the fastest, and gradient descent goes the other way, down.",
        "It points toward the greatest increase of the function, while gradient descent follows the negative "
        "gradient to find a minimum.",
        "The gradient of a function shows the direction in which it grows the most. Gradient descent takes small "
        "steps in the opposite direction so the loss decreases.",
        "The gradient is the direction of steepest increase. Gradient descent subtracts a small multiple of it "
        "from the weights, which lowers the cost.",
        "gradient = direction of fastest increase, gradient descent = step the opposite way to go downhill",
        "The gradiant points uphill (steepest ascent) and gradient decent walks downhill.",  # typos
    ], [
        "The gradient points where the function decreases fastest",
        "The gradient doesn't point uphill, it points downhill",
        "Gradient descent follows the gradient uphill",
        "The gradient is the slope",
        "The gradient points to the minimum of the function.",
        "Gradient descent moves in the direction of the gradient to increase the cost.",
        "The gradient points downhill and gradient descent follows it.",
        "The gradient shows the direction of steepest descent.",
        "Gradient descent climbs up the cost to find the maximum.",
        "It is a way to train the network.",
    ], [r"increases fastest", r"grows fastest", r"steepest", r"the opposite way"]),
    'cost_meaning': ([
        "A high value means the network is bad at this example, a low value means it is good",
        "The MSE is the average of the squared differences between outputs and label. High means the outputs are "
        "far from the label; low means they are close.",
        "A low cost means the network got the example nearly right, a high cost means it is way off.",
        "High: the prediction is wrong. Low: the prediction is accurate.",
        "If it is large the network performs poorly on this example; if it is small it performs well.",
        "A low value tells you the outputs are close to the label; a high value tells you they are far from it.",
        "Big cost = bad prediction, small cost = good prediction.",
        "A high MSE tells you the network made big errors, and a low MSE tells you it is doing well.",
        "When the cost is near zero the network is right; when it is high it is wrong.",
        "a hgih value means bad, a low value means good",  # a typo
    ], [
        "A high value means it is accurate",
        "A low value doesn't mean the network is good: a high value means it is far off",
        "It is the sum of squared differences",
        "A high value means the network is good and a low value means it is bad.",
        "A low cost means the network is wrong.",
        "High cost: the network is confident and right. Low cost: it is unsure.",
        "A high value means the prediction is close to the label.",
        "A low value means the outputs are far from the label, a high value that they are close.",
        "It measures the error.",
        "The higher the better.",
    ], [r"high (?:cost|value) means", r"low (?:cost|value) means", r"means the outputs? (?:is|are) far"]),
    'alexnet_year': ([
        "AlexNet won ImageNet in 2012 with a deep convolutional network trained on GPUs",
        "In 2012 AlexNet cut the error rate by about ten points.",
        "AlexNet (2012) showed that deep networks on GPUs beat hand-made features.",
        "ImageNet gave a big labelled dataset; AlexNet won the 2012 challenge by a wide margin.",
        "When AlexNet won in 2012 people finally took deep learning seriously.",
        "The 2012 win of AlexNet started the deep learning boom.",
        "AlexNet, in 2012, used ReLU and dropout and two GPUs.",
        "Alexnet won the competition in 2012.",
        "In the 2012 ImageNet challenge, AlexNet beat the runner-up by over ten percentage points.",
        "AlexNet's victory (ILSVRC 2012) proved GPUs could train big networks.",
    ], [
        "AlexNet (2015) showed deep networks work",
        "AlexNet won ImageNet in 2010.",
        "In 2014 AlexNet won the challenge.",
        "AlexNet won in 2009 when ImageNet started.",
        "AlexNet beat everyone in 2016.",
        "AlexNet was the 2011 winner.",
        "AlexNet, from 1998, read handwritten digits.",
        "The 2013 AlexNet paper used GPUs.",
        "AlexNet won in 2017 and made deep learning famous.",
        "AlexNet in 2006 showed deep networks could be trained.",
    ], [r"2012"]),
    'performance_time': ([
        "The network's accuracy improves over time",
        "Its predictions get better as the loss goes down",
        "It gets better on the training data, but test accuracy can drop if it overfits",
        "Performance increases: lower loss means outputs closer to the labels.",
        "As the loss is minimised, the network gets more accurate.",
        "It performs better and better, until it levels off.",
        "The accuracy goes up while the loss goes down.",
        "The network improves, at least on the examples it is trained on.",
        "Over time the network makes fewer mistakes and its performance rises.",
        "it gets beter at classifying the digits",  # a typo
    ], [
        "The performance gets worse",
        "The accuracy does not improve",
        "The loss goes down",
        "The network gets worse as the loss is minimised.",
        "Its accuracy decreases over time.",
        "Performance drops as training goes on.",
        "The network's predictions become less accurate.",
        "Nothing happens to the performance.",
        "It stays the same.",
        "The performance falls while the loss falls.",
    ], [r"gets better", r"performance rises", r"it improves"]),
}


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
