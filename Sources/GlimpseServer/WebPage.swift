/// The page `GET /` serves: one self-contained file (no external scripts, fonts or styles).
/// Choose or drop an image to caption it; hover, focus or tap a word to see its attention map
/// blended over the image; ask a question to see the answer, the top answers as bars and each
/// hop's map. The maps arrive as grids and are upsampled (bilinearly) in the browser.
let webPage = """
  <!doctype html>
  <html lang="en">
  <head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>glimpse</title>
  <style>
  body { font: 16px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  #drop { border: 2px dashed #888; border-radius: .5rem; padding: 1rem; text-align: center; }
  #drop.over { background: #eef; }
  .row { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: 1rem; }
  .panel { flex: 1 1 18rem; min-width: 0; }
  canvas { max-width: 100%; height: auto; border: 1px solid #ccc; image-rendering: auto; }
  #words button { font: inherit; margin: .15rem; padding: .2rem .45rem; border: 1px solid #99a; border-radius: .3rem;
    background: #f6f6fb; cursor: pointer; }
  #words button:focus, #words button:hover, #words button.on { background: #ffd54f; outline: 2px solid #c90; }
  .bar { display: flex; align-items: center; gap: .5rem; margin: .2rem 0; }
  .bar span:first-child { width: 8rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .bar div { background: #4a7; height: 1rem; }
  #hops { display: flex; flex-wrap: wrap; gap: .5rem; }
  #hops figure { margin: 0; flex: 1 1 8rem; }
  .error { color: #b00; }
  input[type=text] { font: inherit; width: 100%; box-sizing: border-box; padding: .3rem; }
  </style>
  </head>
  <body>
  <h1>glimpse</h1>
  <div id="drop">
  <label for="file">Choose an image (PNG or JPEG)</label> <input id="file" type="file" accept="image/png,image/jpeg">
  <div>or drop one here</div>
  </div>
  <div class="row">
  <div class="panel"><canvas id="view" width="320" height="320" aria-label="the image and its attention"></canvas></div>
  <div class="panel">
  <h2>Caption</h2>
  <p id="caption" aria-live="polite">No image yet.</p>
  <div id="words" role="group" aria-label="words: hover or focus one to see its attention"></div>
  <h2>Ask</h2>
  <form id="ask"><label for="question">Question</label>
  <input id="question" type="text" placeholder="what colour is the square?">
  <button type="submit">Ask</button></form>
  <p id="answer" aria-live="polite"></p>
  <div id="bars"></div>
  <div id="hops"></div>
  </div>
  </div>
  <script>
  "use strict";
  const $ = (id) => document.getElementById(id);
  let file = null, picture = null, maps = null, grid = 0, models = {};
  fetch("/v1/models").then((r) => r.json()).then((m) => { models = m; });

  function show(error, where) { where.textContent = error; where.className = "error"; }

  async function post(url, form) {
    const response = await fetch(url, { method: "POST", body: form });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function draw(canvas, map, side) {
    const ctx = canvas.getContext("2d");
    const scale = 480 / Math.max(picture.width, picture.height);
    canvas.width = Math.round(picture.width * scale); canvas.height = Math.round(picture.height * scale);
    ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
    if (!map) return;
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height), px = image.data;
    let low = Infinity, high = -Infinity;
    for (const v of map) { low = Math.min(low, v); high = Math.max(high, v); }
    const range = high - low || 1;
    for (let y = 0; y < canvas.height; y++) {
      const gy = Math.min(Math.max((y + 0.5) * side / canvas.height - 0.5, 0), side - 1);
      const y0 = Math.floor(gy), y1 = Math.min(y0 + 1, side - 1), fy = gy - y0;
      for (let x = 0; x < canvas.width; x++) {
        const gx = Math.min(Math.max((x + 0.5) * side / canvas.width - 0.5, 0), side - 1);
        const x0 = Math.floor(gx), x1 = Math.min(x0 + 1, side - 1), fx = gx - x0;
        const v = (map[y0 * side + x0] * (1 - fx) + map[y0 * side + x1] * fx) * (1 - fy)
          + (map[y1 * side + x0] * (1 - fx) + map[y1 * side + x1] * fx) * fy;
        const t = (v - low) / range, i = 4 * (y * canvas.width + x);
        px[i] = px[i] * 0.45 + 255 * t * 0.55;
        px[i + 1] = px[i + 1] * 0.45 + 255 * Math.max(0, 1 - Math.abs(t - 0.5) * 2) * 0.55;
        px[i + 2] = px[i + 2] * 0.45 + 255 * (1 - t) * 0.55;
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  function showWord(index) {
    document.querySelectorAll("#words button").forEach((b, i) => b.classList.toggle("on", i === index));
    draw($("view"), index === null ? null : maps[index], grid);
  }

  async function caption() {
    $("caption").className = ""; $("caption").textContent = "Captioning…"; $("words").textContent = "";
    const form = new FormData();
    form.append("image", file);
    const attention = models.caption && models.caption.config && models.caption.config.decoder === "attention";
    if (attention) form.append("attention", "true");
    try {
      const result = await post("/v1/caption", form);
      $("caption").textContent = result.caption;
      maps = result.attention ? result.attention.maps : null;
      grid = result.attention ? result.attention.grid : 0;
      result.tokens.forEach((token, i) => {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = token.word;
        b.title = "log p = " + token.logprob.toFixed(3);
        if (maps) {
          b.addEventListener("mouseenter", () => showWord(i));
          b.addEventListener("focus", () => showWord(i));
          b.addEventListener("click", () => showWord(i));
          b.addEventListener("mouseleave", () => showWord(null));
          b.addEventListener("blur", () => showWord(null));
        }
        $("words").appendChild(b);
      });
    } catch (error) { show(error.message, $("caption")); }
  }

  function choose(chosen) {
    if (!chosen) return;
    file = chosen;
    const url = URL.createObjectURL(chosen);
    const img = new Image();
    img.onload = () => { picture = img; draw($("view"), null, 0); caption(); };
    img.onerror = () => { picture = null; show("the browser cannot show this file", $("caption")); caption(); };
    img.src = url;
  }

  $("file").addEventListener("change", (e) => choose(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over"); choose(e.dataTransfer.files[0]);
  });

  $("ask").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("answer").className = ""; $("bars").textContent = ""; $("hops").textContent = "";
    if (!file) { show("choose an image first", $("answer")); return; }
    $("answer").textContent = "Thinking…";
    const form = new FormData();
    form.append("image", file); form.append("question", $("question").value);
    try {
      const result = await post("/v1/ask", form);
      $("answer").textContent = "Answer: " + result.answer
        + (result.unknown_words.length ? " (unknown words: " + result.unknown_words.join(", ") + ")" : "");
      for (const t of result.top) {
        const row = document.createElement("div"); row.className = "bar";
        const name = document.createElement("span"); name.textContent = t.answer;
        const bar = document.createElement("div"); bar.style.width = (t.p * 12) + "rem";
        const p = document.createElement("span"); p.textContent = (t.p * 100).toFixed(1) + "%";
        row.append(name, bar, p); $("bars").appendChild(row);
      }
      if (result.hops && picture) {
        result.hops.maps.forEach((map, k) => {
          const figure = document.createElement("figure"), c = document.createElement("canvas");
          const label = document.createElement("figcaption"); label.textContent = "hop " + (k + 1);
          figure.append(c, label); $("hops").appendChild(figure);
          draw(c, map, result.hops.grid);
        });
      }
    } catch (error) { show(error.message, $("answer")); }
  });
  </script>
  </body>
  </html>
  """
