"""Essay passages to group, for tests/coursework/test_passages.py and benchmarks/passage_groups.py.

Written for this purpose (issue 24, grouping essay passages), not taken from students: for two
of the course's prompts, passages that students plausibly copy or write alike (a stock opening,
the textbook account of a neuron, the usual examples of applications). For each such passage
(a *family*):

- the passage itself;
- a close paraphrase: the same sentences with a few words swapped or moved, as a student
  "rewords" a copied paragraph (the engine may group it: same meaning, so that is right);
- a loose paraphrase: the same point in other words (the engine is not expected to group it);
- a variant differing in a deciding word the strata know (a negation, a number, a direction or
  comparison word): a different claim, which must never share a group with the passage;

plus near-duplicates of every one of them made the ways students make them (case, a filler
word, a typo, punctuation: tests/support/answer_population.near_duplicates), and the other
families of the prompt, on the same topic but saying something else.

LIMITS holds pairs the engine cannot tell apart by design (a deciding word its strata do not
know): benchmarks/passage_groups.py reports how they fare; no test pretends otherwise.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from tests.support.answer_population import near_duplicates
from tests.support.student_essays import ESSAYS

PROMPT_ORDERS = {"neurons": 3, "applications": 4}  # content/06-project-essays.md

# family: (passage, close paraphrase, loose paraphrase, variant in a deciding word)
FAMILIES = {
    "neurons": {
        "dendrites": (
            "A biological neuron receives signals from other neurons through its dendrites. When the total signal "
            "is strong enough, the neuron fires and sends a signal down its axon. An artificial neuron copies this "
            "idea with a weighted sum of its inputs and an activation function.",
            "A biological neuron gets signals from other neurons through its dendrites. When the total signal is "
            "strong enough, the neuron fires and passes a signal down its axon. An artificial neuron copies this "
            "idea using a weighted sum of its inputs and an activation function.",
            "Brain cells collect incoming messages on branches called dendrites and fire along the axon once enough "
            "has arrived. The artificial version adds up weighted inputs and runs the sum through an activation "
            "function, which is the same idea in arithmetic.",
            "A biological neuron receives signals from other neurons through its dendrites. When the total signal "
            "is strong enough, the neuron fires and sends a signal down its axon. An artificial neuron does not copy "
            "this idea with a weighted sum of its inputs and an activation function.",
        ),
        "synapses": (
            "The weights of a network play the part of synapses. A strong synapse passes more of a signal on, and a "
            "large weight makes an input count more in the weighted sum. Learning changes the weights, much as the "
            "brain strengthens the connections it uses.",
            "The weights of a network play the role of synapses. A strong synapse passes more of a signal along, and "
            "a large weight makes an input count more in the weighted sum. Learning changes the weights, just as the "
            "brain strengthens the connections it uses.",
            "Think of every weight as a synapse. How much one neuron influences the next depends on how strong the "
            "link between them is, and training a network tunes those links the way experience tunes the brain.",
            "The weights of a network play the part of synapses. A strong synapse passes less of a signal on, and a "
            "large weight makes an input count less in the weighted sum. Learning changes the weights, much as the "
            "brain strengthens the connections it uses.",
        ),
        "visual_cortex": (
            "The layers of a deep network are often compared to the visual cortex. The first layers respond to "
            "simple edges, and later layers combine them into shapes and whole objects. This hierarchy was inspired "
            "by experiments on the visual system of cats in the 1960s.",
            "The layers of a deep network are often compared with the visual cortex. The first layers react to "
            "simple edges, and later layers combine these into shapes and whole objects. This hierarchy was "
            "inspired by experiments on the visual system of cats in the 1960s.",
            "Hubel and Wiesel found cells in a cat's brain that react only to lines at one angle, feeding cells "
            "that react to more complex patterns. Convolutional networks stack their layers in a similar way, from "
            "edges up to objects.",
            "The layers of a deep network are often compared to the visual cortex. The last layers respond to "
            "simple edges, and earlier layers combine them into shapes and whole objects. This hierarchy was "
            "inspired by experiments on the visual system of cats in the 1960s.",
        ),
        "scale": (
            "The human brain has about 86 billion neurons, each connected to thousands of others. Even the largest "
            "artificial networks have far fewer units, although they may have billions of weights. So the "
            "comparison is about the idea, not about the scale.",
            "The human brain has around 86 billion neurons, each one connected to thousands of others. Even the "
            "largest artificial networks have far fewer units, even if they may have billions of weights. So the "
            "comparison is about the idea, not about the scale.",
            "Size is where the analogy breaks down: our heads hold tens of billions of nerve cells with trillions "
            "of links, while a network that reads digits gets by with a few hundred units.",
            "The human brain has about 100 billion neurons, each connected to thousands of others. Even the largest "
            "artificial networks have far fewer units, although they may have billions of weights. So the "
            "comparison is about the idea, not about the scale.",
        ),
        "spikes": (
            "Real neurons communicate with short electrical spikes, and the timing of the spikes carries "
            "information. Artificial neurons pass on a single continuous number instead. This is one of the biggest "
            "differences between the two.",
            "Real neurons talk to each other with short electrical spikes, and the timing of the spikes carries "
            "information. Artificial neurons pass on one continuous number instead. This is one of the biggest "
            "differences between the two.",
            "A brain cell's message is a pattern of pulses in time, while a unit in a network just hands a number "
            "to the next layer, with no notion of when.",
            "Real neurons communicate with short electrical spikes, and the timing of the spikes carries "
            "information. Artificial neurons pass on a single continuous number instead. This is not one of the "
            "biggest differences between the two.",
        ),
        "backprop": (
            "Backpropagation is probably not how the brain learns. It needs the error to travel backwards through "
            "the same connections, which real synapses cannot do. Researchers are still looking for learning rules "
            "that the brain could actually use.",
            "Backpropagation is probably not the way the brain learns. It needs the error to travel backwards "
            "through the very same connections, which real synapses cannot do. Researchers are still searching for "
            "learning rules that the brain could actually use.",
            "Nobody has found a way for real synapses to send errors back the way they came, so the brain must be "
            "learning by some other rule than the one we use to train networks.",
            "Backpropagation is probably how the brain learns. It needs the error to travel backwards through the "
            "same connections, which real synapses can do. Researchers are still looking for learning rules that "
            "the brain could actually use.",
        ),
        "activation": (
            "The activation function plays the role of the neuron's firing threshold. A sigmoid squashes the "
            "weighted sum into a value between 0 and 1, like a firing rate from silent to fully active. ReLU is "
            "simpler: it outputs zero for negative input and passes positive input on unchanged.",
            "The activation function plays the part of the neuron's firing threshold. A sigmoid squashes the "
            "weighted sum to a value between 0 and 1, like a firing rate from silent to fully active. ReLU is "
            "simpler: it gives zero for negative input and passes positive input through unchanged.",
            "Whether a unit 'fires' is decided by its activation function: the sigmoid turns any sum into something "
            "like a firing rate, and the ReLU simply cuts off everything below zero.",
            "The activation function plays the role of the neuron's firing threshold. A sigmoid squashes the "
            "weighted sum into a value between -1 and 1, like a firing rate from silent to fully active. ReLU is "
            "simpler: it outputs zero for negative input and passes positive input on unchanged.",
        ),
        "opening": (
            "Artificial neural networks are inspired by the human brain. Like the brain, they are made of many "
            "simple units that are connected to each other. Each unit does very little on its own, but together "
            "they can learn complicated tasks.",
            "Artificial neural networks are inspired by the human brain. Just like the brain, they are made of many "
            "simple units that are connected to one another. Each unit does very little by itself, but together "
            "they can learn complicated tasks.",
            "The brain was the model for neural networks: lots of small, simple parts wired together, none of them "
            "clever alone, that between them manage hard problems.",
            "Artificial neural networks are not inspired by the human brain. Like the brain, they are made of many "
            "simple units that are connected to each other. Each unit does very little on its own, but together "
            "they can learn complicated tasks.",
        ),
    },
    "applications": {
        "medical": (
            "Neural networks are used in hospitals to read medical images. A network trained on thousands of "
            "labelled X-rays can spot signs of pneumonia or cancer, sometimes as accurately as a radiologist. "
            "Doctors still check the result, because the network cannot explain its decision.",
            "Neural networks are used in hospitals to read medical scans. A network trained on thousands of "
            "labelled X-rays can spot signs of pneumonia or cancer, at times as accurately as a radiologist. "
            "Doctors still check the result, because the network cannot explain its decision.",
            "Radiology is a good example: after seeing enough labelled scans, a model flags likely tumours about as "
            "reliably as a specialist, although a doctor has the final word since the model gives no reasons.",
            "Neural networks are used in hospitals to read medical images. A network trained on thousands of "
            "labelled X-rays can spot signs of pneumonia or cancer, sometimes more accurately than a radiologist. "
            "Doctors still check the result, because the network cannot explain its decision.",
        ),
        "driving": (
            "Self-driving cars use convolutional networks to recognise pedestrians, traffic lights and other cars "
            "in camera images. The network has to decide in a fraction of a second, so it runs on special hardware "
            "inside the car. Waymo says its cars have driven more than 20 million miles on public roads.",
            "Self-driving cars use convolutional networks to recognise pedestrians, traffic lights and other "
            "vehicles in camera images. The network must decide in a fraction of a second, so it runs on special "
            "hardware inside the car. Waymo says its cars have driven more than 20 million miles on public roads.",
            "Autonomous vehicles look at the road through cameras, and a vision network picks out people, signals "
            "and traffic quickly enough to brake in time, using chips built into the car.",
            "Self-driving cars use convolutional networks to recognise pedestrians, traffic lights and other cars "
            "in camera images. The network has to decide in a fraction of a second, so it runs on special hardware "
            "inside the car. Waymo says its cars have driven more than 2 million miles on public roads.",
        ),
        "translation": (
            "Machine translation improved enormously when Google switched to neural networks in 2016. The network "
            "reads a whole sentence before it translates it, so the result sounds more natural than the old "
            "phrase-by-phrase systems. It still makes mistakes with rare words and idioms.",
            "Machine translation improved a lot when Google switched to neural networks in 2016. The network reads "
            "the whole sentence before translating it, so the result sounds more natural than the old "
            "phrase-by-phrase systems. It still makes mistakes with rare words and idioms.",
            "Online translators got far better once they began using networks that take in the entire sentence "
            "first; word-by-word output gave way to fluent text, though idioms still trip them up.",
            "Machine translation improved enormously when Google switched to neural networks in 2014. The network "
            "reads a whole sentence before it translates it, so the result sounds more natural than the old "
            "phrase-by-phrase systems. It still makes mistakes with rare words and idioms.",
        ),
        "recommendations": (
            "Streaming services like Netflix and YouTube use neural networks to recommend what to watch next. The "
            "network learns from what millions of users clicked on and how long they watched. The more you watch, "
            "the better its guesses about your taste become.",
            "Streaming services such as Netflix and YouTube use neural networks to suggest what to watch next. The "
            "network learns from what millions of users clicked on and how long they kept watching. The more you "
            "watch, the better its guesses about your taste become.",
            "What a video site puts on your home page is chosen by a model trained on everybody's viewing history, "
            "and it keeps adjusting to you with every video you finish.",
            "Streaming services like Netflix and YouTube use neural networks to recommend what to watch next. The "
            "network learns from what millions of users clicked on and how long they watched. The more you watch, "
            "the worse its guesses about your taste become.",
        ),
        "speech": (
            "Voice assistants such as Siri and Alexa use neural networks to turn speech into text. The sound is cut "
            "into short frames, and a network predicts which sounds and words were spoken. This works well in a "
            "quiet room but worse with background noise or strong accents.",
            "Voice assistants like Siri and Alexa use neural networks to turn speech into text. The sound is split "
            "into short frames, and a network predicts which sounds and words were spoken. This works well in a "
            "quiet room but worse with background noise or strong accents.",
            "When you talk to your phone, a network listens to tiny slices of the recording and guesses the words; "
            "it copes with a calm kitchen far better than with a crowded bus.",
            "Voice assistants such as Siri and Alexa use neural networks to turn speech into text. The sound is cut "
            "into short frames, and a network predicts which sounds and words were spoken. This does not work well "
            "in a quiet room but worse with background noise or strong accents.",
        ),
        "fraud": (
            "Banks use neural networks to detect credit card fraud. The network learns what a customer's normal "
            "spending looks like and flags payments that do not fit the pattern. A flagged payment is checked with "
            "the customer before the card is blocked.",
            "Banks use neural networks to catch credit card fraud. The network learns what a customer's normal "
            "spending looks like and flags payments that do not fit that pattern. A flagged payment is checked with "
            "the customer before the card gets blocked.",
            "Your bank's fraud alert comes from a model that knows your usual purchases and notices when a payment "
            "looks unlike you, so it asks you first instead of freezing the card.",
            "Banks use neural networks to detect credit card fraud. The network learns what a customer's normal "
            "spending looks like and flags payments that fit the pattern. A flagged payment is checked with the "
            "customer before the card is blocked.",
        ),
        "proteins": (
            "In 2020 DeepMind's AlphaFold used a neural network to predict the 3D shape of proteins from their "
            "amino acid sequence. Biologists had worked on this problem for fifty years. Knowing a protein's shape "
            "helps scientists design new medicines.",
            "In 2020 DeepMind's AlphaFold used a neural network to predict the 3D shape of a protein from its amino "
            "acid sequence. Biologists had been working on this problem for fifty years. Knowing the shape of a "
            "protein helps scientists design new medicines.",
            "Protein folding, a puzzle that had stood for half a century, was largely cracked by a deep learning "
            "system that reads the chain of amino acids and outputs the molecule's structure.",
            "In 2018 DeepMind's AlphaFold used a neural network to predict the 3D shape of proteins from their "
            "amino acid sequence. Biologists had worked on this problem for fifty years. Knowing a protein's shape "
            "helps scientists design new medicines.",
        ),
        "opening": (
            "Neural networks are used everywhere in the modern world, often without us noticing. Every time we "
            "unlock a phone with our face, search for a photo or talk to a voice assistant, a neural network is "
            "doing the work. Here are a few examples.",
            "Neural networks are used everywhere in the modern world, often without us even noticing. Every time we "
            "unlock our phone with our face, search for a photo or speak to a voice assistant, a neural network is "
            "doing the work. Here are some examples.",
            "Most of us use deep learning dozens of times a day: face unlock, photo search and voice commands all "
            "run on it. I will look at a handful of these uses.",
            "Neural networks are not used everywhere in the modern world, often without us noticing. Every time we "
            "unlock a phone with our face, search for a photo or talk to a voice assistant, a neural network is "
            "doing the work. Here are a few examples.",
        ),
    },
}

# Different claims the strata cannot see: the deciding words ("harmless", "fraud") are not
# numbers, negations or direction words. Grouped if the rest is alike: the page shows every
# wording of a group before a TA grades it.
LIMITS = [
    ("Banks use neural networks to detect credit card fraud. Most payments the network flags turn out to be "
     "harmless, so the bank asks the customer before blocking the card.",
     "Banks use neural networks to detect credit card fraud. Most payments the network flags turn out to be "
     "fraudulent, so the bank asks the customer before blocking the card."),
]

KINDS = ("passage", "close", "loose", "decisive")


@dataclass(frozen=True)
class Item:
    text: str
    family: str
    kind: str  # "passage", "close" or "loose" (paraphrases), "decisive"; a near-duplicate keeps its source's
    copy: bool  # a near-duplicate made here

    @property
    def meaning(self) -> tuple[str, bool]:
        """What the passage says: a family's passage and its paraphrases say one thing, its
        variant in a deciding word another."""
        return (self.family, self.kind == "decisive")


def population(prompt: str, seed: int = 0, copies: bool = True) -> list[Item]:
    """Every family's four passages, each followed by its near-duplicates."""
    rng = random.Random(f"{seed}-{prompt}")
    items = []
    for family, texts in FAMILIES[prompt].items():
        for kind, text in zip(KINDS, texts):
            items.append(Item(text, family, kind, False))
            if copies:
                items.extend(Item(v, family, kind, True) for v in near_duplicates(text, rng))
    return items


# --- whole essays, for a class ---------------------------------------------------------------

_OWN_WORDS = sorted({w.lower() for text in ESSAYS.values() for w in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)})


def own_paragraph(rng: random.Random) -> str:
    """Three sentences nobody else writes: words of tests/support/student_essays.py drawn at
    random, so English's letters and its little and deciding words come at their usual rates."""
    sentences = []
    for _ in range(3):
        words = rng.choices(_OWN_WORDS, k=rng.randint(12, 20))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


@dataclass(frozen=True)
class ClassEssay:
    text: str
    items: tuple[Item, ...]  # the population's passages in it, one paragraph each


def class_essays(prompt: str, students: int, seed: int = 0) -> list[ClassEssay]:
    """`students` essays on one prompt as a class writes them: each has two or three of the
    prompt's recurring passages (as written, as a near-duplicate or a paraphrase of one) between
    paragraphs of the student's own (about 250 to 350 words in all)."""
    rng = random.Random(f"class-{seed}-{prompt}")
    pool = population(prompt, seed)
    out = []
    for _ in range(students):
        chosen = rng.sample(pool, rng.randint(2, 3))
        paragraphs = [own_paragraph(rng)]
        for item in chosen:
            paragraphs.append(item.text)
            paragraphs.append(own_paragraph(rng))
        out.append(ClassEssay("\n\n".join(paragraphs), tuple(chosen)))
    return out
