// Draw-a-digit: pointer strokes on a canvas; while drawing, the drawing is sent (as 112 x 112
// greyscale bytes) to the server, which prepares it like MNIST and runs the reference network.
(function () {
  const box = document.querySelector(".playground");
  if (!box) return;
  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d");
  const SEND = 112;
  const small = document.createElement("canvas");
  small.width = small.height = SEND;
  const smallCtx = small.getContext("2d", { willReadFrequently: true });
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  let drawing = false, last = null, dirty = false, inFlight = false;

  function point(event) {
    const rect = pad.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * pad.width / rect.width, y: (event.clientY - rect.top) * pad.height / rect.height };
  }
  function stroke(from, to) {
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 20;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    dirty = true;
  }
  pad.addEventListener("pointerdown", (e) => {
    drawing = true; last = point(e); stroke(last, last);
    pad.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = point(e); stroke(last, p); last = p;
  });
  ["pointerup", "pointercancel"].forEach((type) => pad.addEventListener(type, () => { drawing = false; send(); }));
  document.getElementById("clear").addEventListener("click", () => {
    ctx.clearRect(0, 0, pad.width, pad.height);
    dirty = false;
    show({ empty: true });
  });

  function encoded() {
    smallCtx.clearRect(0, 0, SEND, SEND);
    smallCtx.imageSmoothingQuality = "high";
    smallCtx.drawImage(pad, 0, 0, SEND, SEND);
    const rgba = smallCtx.getImageData(0, 0, SEND, SEND).data;
    let text = "";
    for (let i = 3; i < rgba.length; i += 4) text += String.fromCharCode(rgba[i]);  // alpha: ink
    return btoa(text);
  }

  async function ask(body) {
    const response = await fetch(box.dataset.predictUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    return answer;
  }

  document.getElementById("sample").addEventListener("click", async () => {
    try {
      const answer = await ask({ sample: true });
      // Show the test digit on the pad, large, so that drawing over it is possible too.
      ctx.clearRect(0, 0, pad.width, pad.height);
      const cell = pad.width / 28;
      ctx.fillStyle = "#000";
      answer.input.forEach((v, i) => {
        if (v <= 0) return;
        ctx.globalAlpha = v;
        ctx.fillRect((i % 28) * cell, Math.floor(i / 28) * cell, cell, cell);
      });
      ctx.globalAlpha = 1;
      dirty = false;
      show(answer);
      document.getElementById("answer").insertAdjacentText("beforeend",
        ` This was test image ${answer.sample.index}, labelled ${answer.sample.label}.`);
    } catch (error) {
      document.getElementById("answer").textContent = "The network could not be asked: " + error.message;
    }
  });

  async function send() {
    if (inFlight || !dirty) return;
    inFlight = true; dirty = false;
    try {
      show(await ask({ drawing: encoded() }));
    } catch (error) {
      document.getElementById("answer").textContent = "The network could not be asked: " + error.message;
    } finally {
      inFlight = false;
      if (dirty) send();  // strokes drawn while asking
    }
  }
  // While the pen is down, ask about ten times a second.
  setInterval(() => { if (drawing) send(); }, 100);

  let lastAnswer = null;
  window.addEventListener("resize", () => drawNetwork(lastAnswer));

  function show(answer) {
    lastAnswer = answer.empty ? null : answer;
    const rows = document.querySelectorAll("#probabilities li");
    const seen = document.getElementById("seen").getContext("2d");
    seen.fillStyle = "#fff"; seen.fillRect(0, 0, 112, 112);
    if (answer.empty) {
      document.getElementById("answer").textContent = "Draw a digit to start.";
      document.getElementById("timing").textContent = "";
      rows.forEach((row) => { row.querySelector(".bar span").style.width = "0"; row.querySelector(".value").textContent = "–"; row.classList.remove("top"); });
      drawNetwork(null);
      return;
    }
    const p = answer.probabilities;
    document.getElementById("answer").innerHTML = "The network says <strong id=\"prediction\">" + answer.prediction +
      "</strong> (" + (p[answer.prediction] * 100).toFixed(1) + "% sure).";
    document.getElementById("timing").textContent = "Forward pass on the server: " + answer.forward_ms.toFixed(2) + " ms (NumPy).";
    rows.forEach((row, digit) => {
      row.querySelector(".bar span").style.width = (p[digit] * 100).toFixed(1) + "%";
      row.querySelector(".value").textContent = (p[digit] * 100).toFixed(1) + "%";
      row.classList.toggle("top", digit === answer.prediction);
    });
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * (1 - answer.input[i]));
      seen.fillStyle = `rgb(${v},${v},${v})`;
      seen.fillRect((i % 28) * 4, Math.floor(i / 28) * 4, 4, 4);
    }
    drawNetwork(answer);
  }

  // The network as squares, one per neuron: side by side on a wide screen (input, hidden
  // layers, outputs from left to right), one layer under another on a phone, so that the
  // labels stay at 14 px either way.
  function drawNetwork(answer) {
    const canvas = document.getElementById("network");
    const width = canvas.clientWidth || 900;
    const g = canvas.getContext("2d");
    if (!answer) {
      canvas.width = width; canvas.height = 40;
      g.font = "14px system-ui, sans-serif"; g.fillStyle = "#1d1d1f";
      g.fillText("Draw a digit to see the network's activations.", 10, 24);
      return;
    }
    const layers = [{ name: "input: 784 pixels", values: answer.input, cols: 28 }]
      .concat(answer.layers.map((layer, k) => ({ name: `hidden layer ${k + 1}: ${layer.size} neurons`, values: layer.values,
                                                  cols: Math.ceil(Math.sqrt(layer.size / 2)) })))
      .concat([{ name: "output: 10 digits", values: answer.probabilities, cols: 1, labels: true }]);
    const wide = width >= 640, label = wide ? 40 : 22;
    let boxes, room = width;
    if (wide) {
      const gap = 24, w = (width - gap * (layers.length + 1)) / layers.length, height = 300;
      room = w + gap - 6;  // a label may reach into the gap, never into the next column
      boxes = layers.map((layer, c) => {
        const rows = Math.ceil(layer.values.length / layer.cols);
        const cell = Math.min(w / layer.cols, (height - label - 10) / rows);
        return { layer, x: gap + c * (w + gap), y: 0, cell, cols: layer.cols, gridX: gap + c * (w + gap) + (w - cell * layer.cols) / 2 };
      });
      canvas.width = width; canvas.height = height;
    } else {
      let y = 0;
      boxes = layers.map((layer) => {
        const cols = layer.labels ? 10 : (layer.cols === 28 ? 28 : Math.min(layer.values.length, Math.floor(width / 9)));
        const cell = layer.labels ? Math.min(28, width / 10) : Math.min(width / cols, layer.cols === 28 ? 5 : 9);
        const box = { layer, x: 0, y, cell, cols, gridX: 0 };
        y += label + Math.ceil(layer.values.length / cols) * cell + (layer.labels ? 20 : 12);
        return box;
      });
      canvas.width = width; canvas.height = y;
    }
    // Side by side, each label is two lines ("hidden layer 1" over "512 neurons"), in the
    // largest size up to 14 px at which the longest fits its column: one line ran into the next.
    const lines = (layer) => (wide ? layer.name.split(": ") : [layer.name]);
    let size = 14;
    const widest = () => Math.max(...layers.flatMap((layer) => lines(layer).map((t) => g.measureText(t).width)));
    for (g.font = `${size}px system-ui, sans-serif`; size > 10 && widest() > room; size -= 1) {
      g.font = `${size - 1}px system-ui, sans-serif`;
    }
    boxes.forEach(({ layer, x, y, cell, cols, gridX }) => {
      g.fillStyle = "#1d1d1f";
      lines(layer).forEach((text, n) => g.fillText(text, x, y + 16 + n * 17));
      const top = y + label;
      layer.values.forEach((v, i) => {
        const shade = Math.round(245 - 215 * Math.max(0, Math.min(1, v)));
        const cx = gridX + (i % cols) * cell, cy = top + Math.floor(i / cols) * cell;
        g.fillStyle = `rgb(${shade},${shade},${Math.min(255, shade + 40)})`;
        g.fillRect(cx, cy, Math.max(cell - 1, 1), Math.max(cell - 1, 1));
        if (layer.labels) {
          g.fillStyle = "#1d1d1f";
          if (wide) g.fillText(String(i), cx + cell + 4, cy + cell / 2 + 5);
          else g.fillText(String(i), cx + cell / 2 - 4, cy + cell + 16);
        }
      });
    });
    const active = answer.layers.map((l, k) => `hidden layer ${k + 1}: ${l.active} of ${l.size} neurons active`).join("; ");
    document.getElementById("network-summary").textContent = active + ".";
    canvas.setAttribute("aria-label", "Activations of every layer; " + active + "; the output favours " + answer.prediction + ".");
  }
  drawNetwork(null);
})();
