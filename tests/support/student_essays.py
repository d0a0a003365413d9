"""Essays in the voices students write in, each about 220 words as a word processor counts
them, for calibrating the meaningful-word counter (tests/coursework/test_word_count_population.py)."""

PLAIN = """Artificial neural networks borrow a loose idea from the brain. A biological neuron receives
signals from many other neurons through its dendrites, and when the combined signal is strong enough it
fires and passes a signal along its axon. An artificial neuron does something similar with numbers: it
multiplies each input by a weight, adds the results together with a bias, and passes the total through an
activation function such as the sigmoid or ReLU.

The comparison should not be pushed too far. Real neurons communicate with spikes in time, they change
their connections through chemistry, and the brain has around eighty billion of them wired in ways we still
do not understand. A network that recognises handwritten digits is tiny by comparison and it learns in a
completely different way, by gradient descent on a cost function rather than by anything we know happens in
the cortex.

Still, the analogy was useful historically. It suggested that intelligence might come from many simple
units working together instead of one clever program written by hand. That idea turned out to be right for
problems like image recognition, where writing rules by hand failed for decades. When I trained my own
small network on MNIST I was surprised that nothing in the code says what a seven looks like, yet after a
few epochs it recognised most of them correctly."""

SHORT_SENTENCES = """I think the cost function is the heart of training. It tells the network how wrong it is.
The network makes a guess. The guess is compared with the label. The differences are squared. Then they are
added up. A big number means a bad guess. A small number means a good guess. Training tries to make this
number small.

How does it do that? It uses the gradient. The gradient is a vector of slopes. Each slope belongs to one
weight or one bias. It says how the cost changes when that parameter changes a little. We step against the
gradient. Then the cost goes down a bit. We repeat this many times. Each step is small. The step size is
called the learning rate. If it is too big, training jumps around. If it is too small, training takes
forever.

The data matters too. MNIST has sixty thousand training images. Each image is a handwritten digit. We do not
use all of them at once. We use small batches. This is called stochastic gradient descent. It is noisy. But
it is much faster. My network reached about ninety seven percent accuracy. I was happy with that. It is not
perfect. Some digits are really hard to read. Even I could not read a few of them."""

TECHNICAL = """The network in the project is a multilayer perceptron with three layers: 784 inputs, one
hidden layer of 128 ReLU units and 10 outputs followed by softmax. Each 28x28 image is flattened into a
vector of 784 values scaled to [0, 1]. The hidden layer computes h = ReLU(W1 x + b1) where W1 is 128 x 784,
and the output layer computes p = softmax(W2 h + b2) with W2 of shape 10 x 128. In total that is
784*128 + 128 + 128*10 + 10 = 101,770 parameters.

Training used mini-batch SGD with a batch size of 64, a learning rate of 0.1 and cross-entropy loss for
10 epochs. Back-propagation computes the gradient layer by layer: the error at the output is p - y, which is
multiplied by h transposed to give dW2, then sent back through W2 and the ReLU's derivative (1 where the
pre-activation was positive, 0 elsewhere) to give dW1. I checked the gradients numerically on a small batch
with finite differences (epsilon = 1e-5) and the relative error was below 1e-7.

Results: training accuracy 99.1%, test accuracy 97.8% after 10 epochs, about 40 seconds per epoch on a
laptop CPU. With sigmoid instead of ReLU the test accuracy after the same 10 epochs was 95.2%, which matches
the vanishing-gradient argument: the sigmoid's derivative is at most 0.25, so the signal shrinks at every
layer it crosses. Initialising weights with He initialisation (variance 2/n_in) mattered as well."""

LIST = """Three things I learned about why deep learning took off after 2012:

1. Data. ImageNet gave researchers more than a million labelled images in 1,000 classes. Earlier datasets
   were far too small for networks with millions of weights, which simply memorised them.
2. Hardware. Graphics cards do thousands of multiplications in parallel. AlexNet was trained on two GPUs
   in about a week; on the CPUs of the time the same training would have taken months.
3. Better tricks. ReLU activations, dropout and careful initialisation made deep networks trainable.
   Before, gradients often vanished in the early layers, so those layers barely learned.

What the win showed:
- Features learned from data beat features designed by experts, at least for images.
- Depth matters: the first layers learn edges, later ones textures and parts of objects.
- Error rates dropped from about 26% to about 15%, a jump the field had never seen in one year.

What it did not show:
- That networks understand images the way people do. Small changes invisible to us can fool them.
- That bigger is always better. Later networks such as ResNet needed new ideas (skip connections) to go
  deeper without training getting worse.

My own view: the most important lesson is that an old idea (backprop dates from the 1980s) can wait decades
for the data and the computers that make it work. Several ideas we dismiss today may be in the same
situation now."""

NON_NATIVE = """In my opinion the neural network is not only a function, but in the same time it is exactly
a function, depend how we look. When the training is finish, all the weights and the biases are fixed, so for
each input image the network give always the same output. This is the definition of function in
mathematic, so from this side the answer is IS.

But I think the interesting part is the number of parameter. For the small network of the video there is
around thirteen thousand parameter, and for the big models of today there is billions. Nobody choose these
numbers by hand, they are find by the training with the gradient descent. So the function is not write by
a person, it is learn from the examples. For me this is the big difference with a normal program, where
the programmer decide every step.

Also the function is very flexible. With enough neurons in the hidden layer, the network can approximate
almost any continuous function, this is the universal approximation theorem which we saw in the reading. Of
course, to can approximate is not the same like to find it easily, the training can stuck in a bad place
or need too much data.

So my answer is: yes it IS a function with many parameters, but the way how we obtain this function is the
special thing, and this is why the people call it learning and not programming."""

CASUAL = """Honestly before this unit I thought AI was basically magic, like something that thinks. After
watching the videos I see it is more like a really big calculator that tunes itself. The network takes the
pixels of an image, does a lot of multiplying and adding, squashes things with an activation function, and
spits out ten numbers. Whichever number is biggest is the digit it guesses.

The part that clicked for me was the cost function. You basically tell the network how bad it did, as one
number, and then calculus tells you which way to nudge every single weight so that number goes down. Do
that a few thousand times with different pictures and it actually gets good. I found it kind of funny that
the "learning" is just rolling downhill on a giant landscape with thousands of dimensions that nobody can
picture.

What still bugs me is that when you look inside a trained network the weights look like noise. The video
hoped the hidden layers would find edges and loops, but mostly they do not, at least not in a way we can
see. So it works, but we can't really say why it works for a particular image. That seems like a problem if
these systems are used for things like medical scans or loans, where someone should be able to explain a
decision to the person it affects."""

ESSAYS = {"plain": PLAIN, "short sentences": SHORT_SENTENCES, "technical": TECHNICAL, "list": LIST,
          "non-native": NON_NATIVE, "casual": CASUAL}
