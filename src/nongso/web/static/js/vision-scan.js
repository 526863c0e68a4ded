/* The scanner: the phone's camera (or a chosen photo) is read in the page by ZXing-C++ compiled
   to WebAssembly (zxing-wasm, served by this app: no CDN, works offline); the server says what
   the code is and which page it opens. Every text is set with textContent. */
(function () {
  "use strict";
  const root = document.getElementById("scanner");
  if (!root || !window.ZXingWASM) return;
  const Z = window.ZXingWASM;
  Z.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) =>
        path.endsWith(".wasm") ? "/static/vendor/zxing-wasm/" + path : prefix + path,
    },
    fireImmediately: true,
  });
  const options = {
    formats: ["QRCode", "DataMatrix", "EAN-13", "EAN-8", "UPC-A", "UPC-E", "Code128", "ITF",
              "DataBar", "DataBarExpanded"],
    tryHarder: true, maxNumberOfSymbols: 1, textMode: "HRI",
  };
  const $ = (id) => document.getElementById(id);
  const video = $("scan-video"), status = $("scan-status"), result = $("scan-result");
  const message = $("scan-message"), open = $("scan-open"), record = $("scan-record");
  const msg = (name) => root.dataset["msg" + name] || "";
  let stream = null, timer = null, busy = false, lastFile = null;

  function show(text, cls) {
    result.hidden = false;
    result.className = "scan-result" + (cls ? " " + cls : "");
    message.textContent = text;
  }

  async function problem(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || String(response.status);
    } catch (e) {
      return String(response.status);
    }
  }

  async function answer(response) {
    if (!response.ok) {
      show(await problem(response), "error");
      open.hidden = true;
      return;
    }
    const r = await response.json();
    show(r.message, r.banned ? "banned" : "");
    root.dataset.kind = r.kind;
    if (r.kind === "input") {
      open.hidden = true;
      if (record) {
        record.hidden = false;
        $("record-input").value = r.input.id;
        $("record-kind").value = r.input.kind === "fertiliser" ? "fertilising" : "spraying";
        $("record-day").value = new Date().toISOString().slice(0, 10);
      }
      return;
    }
    if (r.target) {
      open.hidden = false;
      open.href = r.target;
      open.textContent = msg("Open") + " " + r.target;
      window.setTimeout(() => window.location.assign(r.target), 800);
    }
  }

  async function interpret(text, format) {
    status.textContent = "";
    const response = await fetch("/api/v1/vision/scan", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept-Language": root.dataset.lang},
      body: JSON.stringify({text: text, format: format || null}),
    });
    await answer(response);
  }

  async function readImage(source) {
    const found = await Z.readBarcodes(source, options);
    const ok = found.filter((b) => b.isValid && b.text);
    return ok.length ? ok[0] : null;
  }

  function stop() {
    if (timer) window.clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    $("scan-stop").hidden = true;
    $("scan-start").hidden = false;
  }

  async function tick(canvas) {
    if (busy || !video.videoWidth) return;
    busy = true;
    try {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext("2d", {willReadFrequently: true});
      ctx.drawImage(video, 0, 0);
      const code = await readImage(ctx.getImageData(0, 0, canvas.width, canvas.height));
      if (code) {
        stop();
        await interpret(code.text, code.format);
      }
    } finally {
      busy = false;
    }
  }

  $("scan-start").addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        {video: {facingMode: "environment"}, audio: false});
    } catch (e) {
      status.textContent = msg("NoCamera");
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    $("scan-start").hidden = true;
    $("scan-stop").hidden = false;
    status.textContent = msg("Reading");
    const canvas = document.createElement("canvas");
    timer = window.setInterval(() => tick(canvas), 250);
  });
  $("scan-stop").addEventListener("click", stop);

  $("scan-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    lastFile = file;
    status.textContent = msg("Reading");
    const code = await readImage(file);
    if (!code) {
      status.textContent = msg("NotFound");
      return;
    }
    await interpret(code.text, code.format);
  });

  $("scan-server").addEventListener("click", async () => {
    const file = lastFile || $("scan-file").files[0];
    if (!file) {
      $("scan-file").click();
      return;
    }
    const form = new FormData();
    form.append("photo", file);
    status.textContent = msg("Reading");
    const response = await fetch("/api/v1/vision/scan/image", {
      method: "POST", credentials: "same-origin", body: form,
      headers: {"Accept-Language": root.dataset.lang},
    });
    status.textContent = "";
    await answer(response);
  });

  if (record) {
    record.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        client_uuid: crypto.randomUUID ? crypto.randomUUID() : undefined,
        kind: $("record-kind").value, plot_id: Number($("record-plot").value),
        at: $("record-day").value + "T07:00:00",
        inputs: [{input_id: Number($("record-input").value),
                  quantity: Number($("record-quantity").value.replace(",", ".")),
                  unit: $("record-unit").value}],
      };
      const response = await fetch("/api/v1/diary/activities", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept-Language": root.dataset.lang},
        body: JSON.stringify(body),
      });
      $("record-status").textContent = response.ok ? msg("Recorded") : await problem(response);
    });
  }
})();
