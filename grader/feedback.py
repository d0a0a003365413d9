"""Pictures and pages that explain a grade: confusion matrix, misclassified digits, the executed notebook."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a worker
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def confusion_png(confusion: list[list[int]]) -> bytes:
    counts = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    # Log colour scale: the diagonal (thousands) would otherwise hide the mistakes (tens).
    shown = ax.imshow(np.log10(counts + 1), cmap="Blues")
    for t in range(10):
        for p in range(10):
            if counts[t, p]:
                ax.text(p, t, str(counts[t, p]), ha="center", va="center", fontsize=7,
                        color="white" if t == p else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title("Confusion matrix (test set)")
    fig.colorbar(shown, ax=ax, label="log10(count + 1)", shrink=0.8)
    return _png(fig)


def gallery_png(images: np.ndarray, items: list[dict]) -> bytes:
    """items: [{"index", "true", "predicted"}]; images: the test images, (N, 784)."""
    columns = 8
    rows = max(1, -(-len(items) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.3))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, item in zip(np.atleast_1d(axes).ravel(), items):
        ax.imshow(images[item["index"]].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"true {item['true']} / got {item['predicted']}", fontsize=7)
    fig.suptitle("Test digits your network got wrong", fontsize=10)
    return _png(fig)


def notebook_html(notebook_json: str) -> str:
    """The executed notebook as a standalone page. It is served only with a CSP
    sandbox header (see coursework.views), so no script in it can run in our origin."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.reads(notebook_json, as_version=4)
    # Highlight as plain Python: the IPython lexer needs IPython, which the site does not install.
    nb.metadata.setdefault("language_info", {})["pygments_lexer"] = "python3"
    body, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    return body
