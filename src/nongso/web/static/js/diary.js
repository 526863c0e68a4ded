// The farmer's diary on a phone: works offline. Every record gets a client UUID and waits in
// an IndexedDB queue until the server has it; edits carry the version they started from, so
// an edit made elsewhere meanwhile comes back as a conflict that the farmer resolves here.
(function () {
  "use strict";
  var app = document.getElementById("diary-app");
  if (!app) { return; }
  var VI = (app.dataset.lang || "vi") === "vi";
  var T = VI ? {
    online: "Đang trực tuyến", offline: "Đang ngoại tuyến — dữ liệu được lưu trên máy",
    synced: "Đã đồng bộ", syncing: "Đang đồng bộ…", failed: "Chưa gửi được, sẽ thử lại khi có mạng",
    pending: "chờ gửi", edit: "Sửa", confirm: "Xác nhận", none: "Không có",
    safe: "Thu hoạch an toàn từ", safeNow: "Đã qua thời gian cách ly", noSeason: "Chưa có vụ đang mở",
    mine: "Giữ bản của tôi", theirs: "Dùng bản trên máy chủ", server: "Trên máy chủ", yours: "Của bạn",
    conflictMsg: "Bản ghi đã được sửa ở máy khác", error: "Lỗi", overdue: "quá hạn",
    needPlot: "Chọn thửa", record: "Ghi công việc", editing: "Sửa công việc",
    bannedFrom: "cấm từ", bannedLong: "cấm từ lâu", warnTitle: "Chưa lưu — bản ghi vi phạm quy định:",
    warnSave: "Vẫn lưu (đúng là đã làm)", warnCancel: "Sửa lại", why: "Căn cứ", todo: "Cần làm",
    refused: "bị từ chối", refusedStatus: "bản ghi bị máy chủ từ chối — hãy sửa rồi gửi lại, hoặc bỏ",
    fix: "Sửa để gửi lại", discard: "Bỏ bản ghi", discardAsk: "Bỏ bản ghi này? Nó sẽ không được gửi lên máy chủ.",
    fixing: "Sửa bản ghi bị từ chối", del: "Xoá", delAsk: "Xoá bản ghi này?", deleting: "chờ xoá",
    savedLocal: "Đã lưu trên máy", savedWait: "sẽ gửi khi có mạng", savedSent: "Đã lưu và gửi lên máy chủ",
    savedRefused: "Máy chủ từ chối bản ghi vừa lưu; xem mục «Bản ghi bị từ chối» để sửa hoặc bỏ.",
    needDate: "Chọn ngày làm việc.", future: "Ngày không được sau hôm nay; chỉ ghi việc đã làm.",
    badQty: "Số lượng phải từ 0 đến 1.000.000.", badHarvest: "Sản lượng phải từ 0 đến 100.000.000 kg.",
  } : {
    online: "Online", offline: "Offline — records are kept on this phone",
    synced: "Synced", syncing: "Syncing…", failed: "Not sent yet; will retry when online",
    pending: "waiting to be sent", edit: "Edit", confirm: "Confirm", none: "None",
    safe: "Safe to harvest from", safeNow: "Pre-harvest interval over", noSeason: "No open season",
    mine: "Keep mine", theirs: "Use the server's", server: "On the server", yours: "Yours",
    conflictMsg: "The record was changed on another device", error: "Error", overdue: "overdue",
    needPlot: "Choose a plot", record: "Record an activity", editing: "Edit the activity",
    bannedFrom: "banned from", bannedLong: "long-standing ban", warnTitle: "Not saved yet — the record breaks a rule:",
    warnSave: "Save anyway (it did happen)", warnCancel: "Correct it", why: "Rule", todo: "What to do",
    refused: "refused", refusedStatus: "record(s) refused by the server — correct and resend, or discard them",
    fix: "Correct to resend", discard: "Discard", discardAsk: "Discard this record? It will not be sent to the server.",
    fixing: "Correct the refused record", del: "Delete", delAsk: "Delete this record?", deleting: "to be deleted",
    savedLocal: "Saved on this phone", savedWait: "will be sent when online", savedSent: "Saved and sent to the server",
    savedRefused: "The server refused the record just saved; see «Refused records» to correct or discard it.",
    needDate: "Choose the date of the work.", future: "The date cannot be after today; record only what was done.",
    badQty: "The quantity must be between 0 and 1,000,000.", badHarvest: "The harvest must be between 0 and 100,000,000 kg.",
  };
  var KINDS = [
    ["fertilising", "Bón phân", "Fertilising"], ["spraying", "Phun thuốc", "Spraying"],
    ["sowing", "Gieo sạ", "Sowing"], ["irrigation", "Tưới nước", "Irrigation"],
    ["scouting", "Thăm đồng", "Scouting"], ["land_prep", "Làm đất", "Land preparation"],
    ["pruning", "Tỉa cành", "Pruning"], ["harvest", "Thu hoạch", "Harvest"],
    ["drying", "Phơi sấy", "Drying"], ["other", "Khác", "Other"],
  ];
  var INPUT_KIND = { fertilising: "fertiliser", spraying: "pesticide", sowing: "seed" };
  var state = { home: null, queue: [], conflicts: [], lastSaved: null };
  // A record the server refused stays on the phone, out of the sending queue, until the farmer
  // corrects it (it is queued again) or discards it.
  function waiting() { return state.queue.filter(function (q) { return !q.refused; }); }
  function refused() { return state.queue.filter(function (q) { return q.refused; }); }
  // One line per refusal: the field messages if the server gave them, else its message.
  function refusal(message, errors) {
    var parts = (errors || []).map(function (e) { return e.message; }).filter(function (m, n, a) { return m && a.indexOf(m) === n; });
    return parts.length ? parts.join("; ") : (message || "");
  }
  var db = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function ddmmyyyy(iso) {
    if (!iso) { return ""; }
    var d = iso.slice(0, 10).split("-");
    return d[2] + "/" + d[1] + "/" + d[0];
  }
  function localDate(isoDateTime) {
    var d = new Date(isoDateTime);
    var vn = new Date(d.getTime() + 7 * 3600 * 1000);
    return vn.toISOString().slice(0, 10);
  }
  function number(text) {
    if (text === null || text === undefined || String(text).trim() === "") { return null; }
    var t = String(text).trim().replace(/\s/g, "");
    if (t.indexOf(",") >= 0 && t.indexOf(".") >= 0) {
      t = t.lastIndexOf(",") > t.lastIndexOf(".") ? t.replace(/\./g, "").replace(",", ".") : t.replace(/,/g, "");
    } else if (/^[+-]?[1-9]\d{0,2}(\.\d{3})+$/.test(t)) { t = t.replace(/\./g, ""); // 7.050
    } else { t = t.replace(",", "."); }
    var n = Number(t);
    return isFinite(n) ? n : NaN;
  }
  function fmt(x) {
    if (x === null || x === undefined) { return ""; }
    return Number(x).toLocaleString(VI ? "vi-VN" : "en-GB", { maximumFractionDigits: 3 });
  }
  function kindLabel(k) {
    for (var i = 0; i < KINDS.length; i++) { if (KINDS[i][0] === k) { return KINDS[i][VI ? 1 : 2]; } }
    return k;
  }

  // --- IndexedDB -------------------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("nongso-diary", 2);
      req.onupgradeneeded = function () {
        var d = req.result;
        ["queue", "conflicts", "photos"].forEach(function (name) {
          if (!d.objectStoreNames.contains(name)) { d.createObjectStore(name, { keyPath: "client_uuid" }); }
        });
        if (!d.objectStoreNames.contains("state")) { d.createObjectStore("state"); }
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(store, mode, fn) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(store, mode);
      var result = fn(t.objectStore(store));
      t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
      t.onerror = function () { reject(t.error); };
    });
  }
  function all(store) {
    return new Promise(function (resolve, reject) {
      var req = db.transaction(store).objectStore(store).getAll();
      req.onsuccess = function () { resolve(req.result || []); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function getState(key) {
    return new Promise(function (resolve) {
      var req = db.transaction("state").objectStore("state").get(key);
      req.onsuccess = function () { resolve(req.result || null); };
      req.onerror = function () { resolve(null); };
    });
  }
  function putState(key, value) { return tx("state", "readwrite", function (s) { return s.put(value, key); }); }
  function putQueue(item) { return tx("queue", "readwrite", function (s) { return s.put(item); }); }
  function dropQueue(key) { return tx("queue", "readwrite", function (s) { return s.delete(key); }); }
  function putConflict(item) { return tx("conflicts", "readwrite", function (s) { return s.put(item); }); }
  function putPhoto(item) { return tx("photos", "readwrite", function (s) { return s.put(item); }); }
  function dropPhoto(key) { return tx("photos", "readwrite", function (s) { return s.delete(key); }); }
  // A phone photo made small before it waits in the queue (max 1600 px, JPEG).
  function shrink(file) {
    return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () {
        var k = Math.min(1, 1600 / Math.max(img.width, img.height));
        var c = document.createElement("canvas");
        c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(img.src);
        c.toBlob(function (b) { resolve(b || file); }, "image/jpeg", 0.8);
      };
      img.onerror = function () { resolve(file); };
      img.src = URL.createObjectURL(file);
    });
  }
  function uploadPhotos() {
    return all("photos").then(function (photos) {
      var pending = photos.filter(function (p) {
        return !state.queue.some(function (q) { return q.client_uuid === p.activity_uuid; });
      });
      return pending.reduce(function (chain, p) {
        return chain.then(function () {
          var form = new FormData();
          form.append("activity_uuid", p.activity_uuid); form.append("client_uuid", p.client_uuid);
          form.append("photo", p.blob, "photo.jpg");
          return fetch("/api/v1/diary/photos", { method: "POST", credentials: "same-origin", body: form })
            .then(function (r) { if (r.ok || r.status === 413 || r.status === 415) { return dropPhoto(p.client_uuid); } return null; })
            .catch(function () { return null; });
        });
      }, Promise.resolve());
    });
  }
  function dropConflict(key) { return tx("conflicts", "readwrite", function (s) { return s.delete(key); }); }

  // --- rendering ---------------------------------------------------------------------------
  function setNet() {
    $("net-status").textContent = navigator.onLine ? T.online : T.offline;
    $("net-status").className = navigator.onLine ? "note" : "error";
  }
  function plotName(id) {
    var home = state.home;
    if (!home) { return "#" + id; }
    for (var i = 0; i < home.plots.length; i++) { if (home.plots[i].plot.id === id) { return home.plots[i].plot.name; } }
    return "#" + id;
  }
  function render() {
    var home = state.home;
    $("queue-count").textContent = String(waiting().length);
    var plots = $("plots"); plots.innerHTML = "";
    var select = $("f-plot"); var chosen = select.value; select.innerHTML = "";
    select.appendChild(el("option", { value: "" }, T.needPlot));
    (home ? home.plots : []).forEach(function (card) {
      var li = el("li", { "data-plot": card.plot.id });
      li.appendChild(el("b", {}, card.plot.name + " (" + card.plot.code + ")"));
      var s = card.season;
      var meta = s ? (s.name + " · " + fmt(card.plot.area_ha) + " ha") : T.noSeason;
      li.appendChild(el("div", { "class": "meta" }, meta));
      if (s) {
        var safe = card.safe_harvest_date;
        var txt = safe ? (T.safe + " " + ddmmyyyy(safe)) : T.safeNow;
        li.appendChild(el("div", { "class": card.safe_to_harvest_today ? "meta safe" : "meta warn", "data-safe": safe || "" }, txt));
        if (s.flags_count) { li.appendChild(el("span", { "class": "flag" }, s.flags_count + " ⚠")); }
        if (s.status === "open") { select.appendChild(el("option", { value: String(card.plot.id) }, card.plot.name)); }
      }
      plots.appendChild(li);
    });
    if (chosen) { select.value = chosen; }
    var tasks = $("tasks"); tasks.innerHTML = "";
    (home ? home.tasks : []).forEach(function (t) {
      var li = el("li", { "class": t.overdue ? "pending" : "" });
      li.appendChild(el("b", {}, t.kind_label + " · " + (t.plot_name || "")));
      li.appendChild(el("div", { "class": "meta" }, ddmmyyyy(t.due) + (t.overdue ? " (" + T.overdue + ")" : "") + " — " + (t.title || "")));
      tasks.appendChild(li);
    });
    if (!tasks.children.length) { tasks.appendChild(el("li", { "class": "meta" }, T.none)); }
    var proposed = $("proposed"); proposed.innerHTML = "";
    (home ? home.proposed : []).forEach(function (a) {
      var li = el("li", { "data-uuid": a.client_uuid });
      li.appendChild(el("b", {}, a.kind_label + " · " + (a.plot_name || "")));
      li.appendChild(el("div", { "class": "meta" }, ddmmyyyy(localDate(a.at)) + " " + a.inputs.map(function (i) { return i.name + " " + fmt(i.quantity) + " " + i.unit; }).join("; ")));
      var b = el("button", { type: "button", "class": "confirm" }, T.confirm);
      b.addEventListener("click", function () { confirmProposed(a); });
      li.appendChild(b);
      proposed.appendChild(li);
    });
    $("proposed-box").hidden = !proposed.children.length;
    var recent = $("recent"); recent.innerHTML = "";
    function head(q) {
      var data = q.create || q.update || {};
      var day = data.at ? ddmmyyyy(data.at) : (q.original && q.original.at ? ddmmyyyy(localDate(q.original.at)) : "");
      return [el("b", {}, kindLabel(data.kind || (q.original && q.original.kind)) + " · " + plotName(data.plot_id || (q.original && q.original.plot_id))),
              el("div", { "class": "meta" }, day + (data.notes ? " — " + data.notes : ""))];
    }
    waiting().reverse().forEach(function (q) {
      var li = el("li", { "class": "pending", "data-uuid": q.client_uuid });
      var h = head(q); li.appendChild(h[0]);
      li.appendChild(el("span", { "class": "badge pending" }, q.op === "delete" ? T.deleting : T.pending));
      li.appendChild(h[1]);
      recent.appendChild(li);
    });
    var refusedList = $("refused-list"); refusedList.innerHTML = "";
    refused().forEach(function (q) {
      var li = el("li", { "class": "refused", "data-uuid": q.client_uuid });
      var h = head(q); li.appendChild(h[0]);
      li.appendChild(el("span", { "class": "badge refused" }, T.refused));
      li.appendChild(h[1]);
      li.appendChild(el("div", { "class": "error refusal" }, q.error || ""));
      var row = el("div", { "class": "choice" });
      if (q.op !== "delete") {
        var fix = el("button", { type: "button", "class": "fix" }, T.fix);
        fix.addEventListener("click", function () { startFix(q); });
        row.appendChild(fix);
      }
      var drop = el("button", { type: "button", "class": "discard secondary" }, T.discard);
      drop.addEventListener("click", function () { discard(q); });
      row.appendChild(drop); li.appendChild(row);
      refusedList.appendChild(li);
    });
    $("refused").hidden = !refusedList.children.length;
    (home ? home.recent : []).forEach(function (a) {
      if (state.queue.some(function (q) { return q.client_uuid === a.client_uuid; })) { return; }
      var li = el("li", { "data-uuid": a.client_uuid, "data-version": a.version });
      li.appendChild(el("b", {}, a.kind_label + " · " + (a.plot_name || "")));
      (a.flags || []).forEach(function (f) { li.appendChild(el("span", { "class": "flag" }, f)); });
      var inputs = a.inputs.map(function (i) { return i.name + " " + fmt(i.quantity) + " " + i.unit; }).join("; ");
      li.appendChild(el("div", { "class": "meta" }, ddmmyyyy(localDate(a.at)) + " " + inputs + (a.quantity ? " " + fmt(a.quantity) + " " + a.unit : "") + (a.notes ? " — " + a.notes : "")));
      var b = el("button", { type: "button", "class": "edit" }, T.edit);
      b.addEventListener("click", function () { startEdit(a); });
      li.appendChild(b);
      var d = el("button", { type: "button", "class": "delete secondary" }, T.del);
      d.addEventListener("click", function () { startDelete(a); });
      li.appendChild(d);
      recent.appendChild(li);
    });
    var box = $("conflicts"); var list = $("conflict-list"); list.innerHTML = "";
    state.conflicts.forEach(function (c) {
      var li = el("li", { "class": "conflict", "data-uuid": c.client_uuid });
      li.appendChild(el("b", {}, T.conflictMsg + ": " + kindLabel(c.server ? c.server.kind : "")));
      li.appendChild(el("div", { "class": "meta server-copy" }, T.server + " (v" + (c.server ? c.server.version : "?") + "): " + (c.server && c.server.notes || "")));
      li.appendChild(el("div", { "class": "meta my-copy" }, T.yours + ": " + ((c.op.update && c.op.update.notes) || "")));
      var row = el("div", { "class": "choice" });
      var mine = el("button", { type: "button", "class": "keep-mine" }, T.mine);
      mine.addEventListener("click", function () { resolveConflict(c, true); });
      var theirs = el("button", { type: "button", "class": "keep-server secondary" }, T.theirs);
      theirs.addEventListener("click", function () { resolveConflict(c, false); });
      row.appendChild(mine); row.appendChild(theirs); li.appendChild(row);
      list.appendChild(li);
    });
    box.hidden = !state.conflicts.length;
    fillInputs();
  }
  function fillInputs() {
    var kind = $("f-kind").value;
    var wanted = INPUT_KIND[kind];
    var select = $("f-input"); var chosen = select.value; select.innerHTML = "";
    select.appendChild(el("option", { value: "" }, "—"));
    (state.home ? state.home.inputs : []).forEach(function (i) {
      if (wanted && i.kind !== wanted) { return; }
      select.appendChild(el("option", { value: String(i.id), "data-banned": (i.bans || []).length ? "1" : "" }, i.name + banLabel(i)));
    });
    select.value = chosen;
    $("f-input-box").hidden = !wanted && kind !== "other";
    $("f-harvest-box").hidden = kind !== "harvest" && kind !== "drying";
  }

  function banLabel(i) {
    return (i.bans || []).map(function (b) {
      return " ⚠ " + b.ingredient + ": " + (b.banned_from ? T.bannedFrom + " " + ddmmyyyy(b.banned_from) : T.bannedLong);
    }).join("");
  }

  // --- the rules, checked on the phone before saving (offline too) ---------------------------
  var FACTOR = { g: 0.001, kg: 1, t: 1000, "tấn": 1000, mL: 0.001, ml: 0.001, L: 1, l: 1 };
  var VOLUME = { mL: 1, ml: 1, L: 1, l: 1 };
  function rule(id) {
    var rs = (state.home && state.home.rules) || [];
    for (var n = 0; n < rs.length; n++) { if (rs[n].rule_id === id) { return rs[n]; } }
    return { rule_id: id, title: id, source: "", advice: "" };
  }
  function card(plotId) {
    var ps = (state.home && state.home.plots) || [];
    for (var n = 0; n < ps.length; n++) { if (ps[n].plot.id === plotId) { return ps[n]; } }
    return null;
  }
  function flag(id, message, source) {
    var r = rule(id);
    return { rule_id: id, title: r.title, message: message, source: source || r.source, advice: r.advice };
  }
  // The flags a record would raise, from the data the page holds (the same rules as the server).
  function checkRules(data, plotId) {
    var out = [];
    var c = card(plotId); var season = c && c.season;
    var day = data.at ? data.at.slice(0, 10) : null;
    if (!day) { return out; }
    (data.inputs || []).forEach(function (use) {
      var item = ((state.home && state.home.inputs) || []).filter(function (i) { return i.id === use.input_id; })[0];
      if (!item) { return; }
      (item.bans || []).forEach(function (b) {
        if (!b.banned_from || b.banned_from <= day) {
          out.push(flag("banned-ingredient", "«" + item.name + "»: " + b.ingredient + " " +
            (b.banned_from ? T.bannedFrom + " " + ddmmyyyy(b.banned_from) : T.bannedLong), b.decision));
        }
      });
      var area = season ? season.area_ha : null;
      var lu = item.label_dose_unit;
      if (area && item.label_dose_max_per_ha && lu && FACTOR[use.unit] && FACTOR[lu] && !!VOLUME[use.unit] === !!VOLUME[lu]) {
        var dose = use.quantity * FACTOR[use.unit] / area; var max = item.label_dose_max_per_ha * FACTOR[lu];
        if (dose > max * (1 + 1e-9)) {
          var base = VOLUME[lu] ? "L" : "kg";
          out.push(flag("dose-above-label", "«" + item.name + "» " + fmt(dose) + " " + base + "/ha > " + fmt(max) + " " + base + "/ha"));
        }
      }
    });
    if (data.kind === "harvest" && season) {
      var safe = c.safe_harvest_date;
      if (safe && day < safe) { out.push(flag("pre-harvest-interval", T.safe + " " + ddmmyyyy(safe))); }
      var bounds = ((state.home && state.home.plausibility) || []).filter(function (b) { return b.crop === season.crop; })[0];
      if (bounds && season.sowing_date && bounds.min_days_to_harvest !== null) {
        var days = Math.round((Date.parse(day) - Date.parse(season.sowing_date)) / 86400000);
        if (days < bounds.min_days_to_harvest) {
          out.push(flag("harvest-too-early", days + " / " + bounds.min_days_to_harvest + " " + (VI ? "ngày sau gieo sạ" : "days after sowing"), bounds.source));
        }
      }
      if (bounds && season.area_ha && data.quantity) {
        var tha = ((season.harvest_kg || 0) + data.quantity) / 1000 / season.area_ha;
        if ((bounds.max_t_per_ha !== null && tha > bounds.max_t_per_ha) ||
            (bounds.single_harvest && bounds.min_t_per_ha !== null && tha < bounds.min_t_per_ha)) {
          out.push(flag("yield-implausible", fmt(tha) + " t/ha (" + (bounds.min_t_per_ha || 0) + "–" + bounds.max_t_per_ha + ")", bounds.source));
        }
      }
    }
    return out;
  }
  function showWarning(flags, onSave) {
    var box = $("f-warning"); var list = $("f-warning-list"); list.innerHTML = "";
    $("f-warning-title").textContent = T.warnTitle;
    flags.forEach(function (f) {
      var li = el("li", { "data-rule": f.rule_id });
      li.appendChild(el("b", {}, f.title + ": "));
      li.appendChild(document.createTextNode(f.message));
      li.appendChild(el("div", { "class": "meta" }, T.why + ": " + f.source));
      if (f.advice) { li.appendChild(el("div", { "class": "meta" }, T.todo + ": " + f.advice)); }
      list.appendChild(li);
    });
    var save = $("f-warning-save"); var cancel = $("f-warning-cancel");
    save.textContent = T.warnSave; cancel.textContent = T.warnCancel;
    save.onclick = function () { box.hidden = true; onSave(); };
    cancel.onclick = function () { box.hidden = true; };
    box.hidden = false;
    save.focus();
  }

  // --- data --------------------------------------------------------------------------------
  function loadHome() {
    return fetch("/api/v1/diary/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (home) { state.home = home; return putState("home:" + USER, home); })
      .catch(function () { return getState("home:" + USER).then(function (h) { if (h) { state.home = h; } }); });
  }
  // A shared phone: each user sees and sends only his own queue and cached data.
  var USER = app.dataset.user || "";
  function mine(x) { return !x.user || x.user === USER; }
  function reloadQueues() {
    return Promise.all([all("queue"), all("conflicts")]).then(function (r) {
      state.queue = r[0].filter(mine).sort(function (a, b) { return a.queued_at - b.queued_at; });
      state.conflicts = r[1].filter(mine);
    });
  }
  // One sync at a time; a change queued during a sync is sent by a second round right after.
  var syncing = false; var again = false;
  function sync() {
    if (syncing) { again = true; return Promise.resolve(); }
    syncing = true; again = false;
    function done() {
      syncing = false; render(); savedOutcome();
      if (again && navigator.onLine) { return sync(); }
      return null;
    }
    return reloadQueues().then(send)
      .catch(function () { status("failed"); })
      .then(function () { return loadHome(); })
      .then(reloadQueues)
      .then(done, done);
  }
  // The status line tells the truth: never "synced" while refused records remain.
  function status(kind) {
    var parts = [];
    var n = refused().length;
    if (kind === "failed") { parts.push(T.failed); } else if (kind === "synced" && !n) { parts.push(T.synced); }
    if (n) { parts.push(n + " " + T.refusedStatus); }
    $("sync-message").textContent = parts.join(" · ");
    $("sync-message").className = kind === "failed" || n ? "error" : "note";
  }
  function syncedStatus() { status("synced"); }
  // Send what waits (not the refused records); a request the server refuses as a whole (422)
  // names the operations at fault: those are set aside as refused and the rest is sent again.
  function send(again) {
    var todo = waiting();
    if (!todo.length) { return uploadPhotos().then(syncedStatus); }
    $("sync-message").className = "note";
    $("sync-message").textContent = T.syncing;
    var ops = todo.map(function (q) {
      var op = { op: q.op, client_uuid: q.client_uuid };
      if (q.base_version !== undefined && q.base_version !== null) { op.base_version = q.base_version; }
      if (q.create) { op.create = q.create; }
      if (q.update) { op.update = q.update; }
      return op;
    });
    return fetch("/api/v1/diary/sync", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ ops: ops }),
    }).then(function (r) {
      if (r.status === 422 && again !== true) {
        return r.json().then(function (problem) {
          var bad = {};
          (problem.errors || []).forEach(function (e) {
            var m = /^body\/ops\/(\d+)/.exec(e.loc || "");
            if (m) { (bad[m[1]] = bad[m[1]] || []).push({ message: (e.loc.split("/").pop() || "") + ": " + e.message }); }
          });
          var keys = Object.keys(bad);
          if (!keys.length) { throw new Error("422"); }
          return Promise.all(keys.map(function (k) {
            var q = todo[Number(k)]; q.refused = true; q.error = refusal(problem.detail, bad[k]);
            return putQueue(q);
          })).then(reloadQueues).then(function () { return send(true); });
        });
      }
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json().then(applyResult);
    });
  }
  function applyResult(result) {
    var work = [];
    result.items.forEach(function (item) {
      var q = state.queue.filter(function (x) { return x.client_uuid === item.client_uuid && x.op === item.op; })[0];
      if (item.status === "applied" || item.status === "duplicate") {
        work.push(dropQueue(item.client_uuid));
      } else if (item.status === "conflict") {
        work.push(dropQueue(item.client_uuid));
        work.push(putConflict({ client_uuid: item.client_uuid, op: q, server: item.server, message: item.message, user: USER }));
      } else if (q) {
        q.refused = true;
        q.error = refusal(item.message, item.errors);
        work.push(putQueue(q));
      }
    });
    return Promise.all(work).then(reloadQueues).then(uploadPhotos).then(syncedStatus);
  }
  function queue(item) {
    item.queued_at = Date.now();
    item.user = USER;
    return putQueue(item).then(reloadQueues).then(function () {
      render();
      if (navigator.onLine) { return sync(); }
      return null;
    });
  }
  function confirmProposed(a) {
    fetch("/api/v1/diary/activities/" + a.id + "/confirm", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: "{}" })
      .then(function () { return loadHome(); }).then(render);
  }
  function resolveConflict(c, keepMine) {
    var work = [dropConflict(c.client_uuid)];
    if (keepMine && c.op && c.server) {
      var op = c.op; op.base_version = c.server.version; op.update.base_version = null; op.error = null; op.refused = false;
      work.push(queue(op));
    }
    return Promise.all(work).then(reloadQueues).then(function () {
      render(); if (navigator.onLine) { return sync(); } return null;
    });
  }
  function startEdit(a) {
    delete $("activity-form").dataset.fix;
    $("form-title").textContent = T.editing;
    $("f-uuid").value = a.client_uuid; $("f-version").value = String(a.version);
    $("f-plot").value = String(a.plot_id || ""); $("f-kind").value = a.kind; fillInputs();
    $("f-date").value = localDate(a.at); $("f-notes").value = a.notes || "";
    if (a.inputs.length) { $("f-input").value = String(a.inputs[0].input_id); $("f-qty").value = String(a.inputs[0].quantity); $("f-unit").value = a.inputs[0].unit; }
    $("f-harvest").value = a.quantity ? String(a.quantity_base) : "";
    $("activity-form").dataset.original = JSON.stringify({ kind: a.kind, plot_id: a.plot_id, at: a.at });
    $("f-notes").focus();
  }
  // A refused record back in the form: saving it queues it again under the same client UUID.
  function startFix(q) {
    var data = q.create || q.update || {};
    var was = q.original || {};
    $("form-title").textContent = T.fixing;
    $("f-uuid").value = q.client_uuid;
    $("f-version").value = q.base_version !== undefined && q.base_version !== null ? String(q.base_version) : "";
    $("activity-form").dataset.fix = q.op;
    if (q.op === "update") { $("activity-form").dataset.original = JSON.stringify(was); }
    $("f-plot").value = String(data.plot_id || was.plot_id || ""); $("f-kind").value = data.kind || was.kind || "other"; fillInputs();
    $("f-date").value = data.at ? data.at.slice(0, 10) : (was.at ? localDate(was.at) : today());
    $("f-notes").value = data.notes || "";
    var use = (data.inputs || [])[0];
    if (use) { $("f-input").value = String(use.input_id); $("f-qty").value = String(use.quantity); $("f-unit").value = use.unit; }
    $("f-harvest").value = data.quantity !== undefined && data.quantity !== null ? String(data.quantity) : "";
    $("form-error").hidden = true;  // the refusal is shown once, in the list above
    $("activity-form").scrollIntoView({ block: "start" });
    $("f-date").focus();
  }
  function discard(q) {
    if (!window.confirm(T.discardAsk)) { return Promise.resolve(); }
    return dropQueue(q.client_uuid).then(function () { return all("photos"); }).then(function (photos) {
      return Promise.all(photos.filter(function (p) { return p.activity_uuid === q.client_uuid; })
        .map(function (p) { return dropPhoto(p.client_uuid); }));
    }).then(reloadQueues).then(function () {
      if ($("f-uuid").value === q.client_uuid) { resetForm(); }
      render(); status(waiting().length ? "" : "synced");
    });
  }
  // Deleting is queued like any change (offline too); the server refuses it when the produce
  // already went into a lot (the refusal names the lot).
  function startDelete(a) {
    if (!window.confirm(T.delAsk)) { return Promise.resolve(); }
    return queue({ op: "delete", client_uuid: a.client_uuid, base_version: a.version,
                   original: { kind: a.kind, plot_id: a.plot_id, at: a.at, notes: a.notes } });
  }
  // The confirmation is shown under the Save button, where the farmer is looking.
  function saved(item) {
    state.lastSaved = item.client_uuid;
    var box = $("f-saved");
    box.className = "note saved";
    box.textContent = T.savedLocal + (navigator.onLine ? "" : " — " + T.savedWait) + ".";
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
    box.focus();
  }
  function savedOutcome() {
    var id = state.lastSaved; var box = $("f-saved");
    if (!id || box.hidden) { return; }
    var q = state.queue.filter(function (x) { return x.client_uuid === id; })[0];
    if (!q) { box.textContent = T.savedSent + "."; box.className = "note saved"; state.lastSaved = null; }
    else if (q.refused) { box.textContent = T.savedRefused; box.className = "error"; state.lastSaved = null; }
  }
  function resetForm() {
    $("activity-form").reset(); $("f-uuid").value = ""; $("f-version").value = "";
    delete $("activity-form").dataset.original; delete $("activity-form").dataset.fix;
    $("form-error").hidden = true;
    $("form-title").textContent = T.record; $("f-date").value = today(); fillInputs();
  }
  function today() { return localDate(new Date().toISOString()); }

  function onSubmit(ev) {
    ev.preventDefault();
    var err = $("form-error"); err.hidden = true;
    function fail(text) { err.textContent = text; err.hidden = false; err.scrollIntoView({ block: "nearest" }); return; }
    var plot = Number($("f-plot").value);
    var kind = $("f-kind").value;
    var day = $("f-date").value;
    // What the phone can check before queueing (the server checks again).
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { return fail(T.needDate); }
    if (day > today()) { return fail(T.future); }
    var fix = $("activity-form").dataset.fix;
    if ((!$("f-uuid").value || fix === "create") && !plot) { return fail(T.needPlot); }
    var data = { kind: kind, at: $("f-date").value + "T" + (new Date().toTimeString().slice(0, 5)),
                 notes: $("f-notes").value || null };
    var inputId = $("f-input").value;
    if (inputId && !$("f-input-box").hidden) {
      var q = number($("f-qty").value);
      if (q === null || isNaN(q) || q < 0 || q > 1000000) { return fail(T.badQty); }
      data.inputs = [{ input_id: Number(inputId), quantity: q, unit: $("f-unit").value }];
    } else if (kind === "spraying") {
      err.textContent = VI ? "Phun thuốc cần chọn thuốc BVTV." : "A spraying needs a pesticide."; err.hidden = false; return;
    }
    var h = number($("f-harvest").value);
    if (!$("f-harvest-box").hidden && h !== null) {
      if (isNaN(h) || h < 0 || h > 100000000) { return fail(T.badHarvest); }
      data.quantity = h; data.unit = "kg";
    }
    var existing = $("f-uuid").value;
    var item;
    if (existing && fix === "create") {
      data.plot_id = plot; data.client_uuid = existing;
      item = { op: "create", client_uuid: existing, create: data };
    } else if (existing) {
      var original = JSON.parse($("activity-form").dataset.original || "{}");
      if (original.at && localDate(original.at) === $("f-date").value) { delete data.at; }
      item = { op: "update", client_uuid: existing, base_version: Number($("f-version").value), update: data,
               original: JSON.parse($("activity-form").dataset.original || "{}") };
    } else {
      if (!plot) { err.textContent = T.needPlot; err.hidden = false; return; }
      data.plot_id = plot;
      var id = uuid();
      data.client_uuid = id;
      item = { op: "create", client_uuid: id, create: data };
    }
    var photo = $("f-photo").files && $("f-photo").files[0];
    function save() {
      resetForm();
      saved(item);
      var stored = photo ? shrink(photo).then(function (blob) {
        return putPhoto({ client_uuid: uuid(), activity_uuid: item.client_uuid, blob: blob });
      }) : Promise.resolve();
      stored.then(function () { return queue(item); });
    }
    var was = item.original || {};
    var full = item.create || Object.assign({}, item.update, { at: item.update.at || (was.at ? localDate(was.at) : null) });
    var flags = checkRules(full, item.create ? plot : (item.original && item.original.plot_id));
    if (!flags.length) { save(); return; }
    // What happened can still be recorded, after the farmer has read why it is flagged.
    showWarning(flags, function () { (item.create || item.update).confirm_flags = true; save(); });
  }

  // --- start ---------------------------------------------------------------------------------
  KINDS.forEach(function (k) { $("f-kind").appendChild(el("option", { value: k[0] }, k[VI ? 1 : 2])); });
  $("f-kind").addEventListener("change", fillInputs);
  $("activity-form").addEventListener("submit", onSubmit);
  $("sync-now").addEventListener("click", function () { sync(); });
  window.addEventListener("online", function () { setNet(); sync(); });
  window.addEventListener("offline", setNet);
  setNet();
  $("f-date").value = today();
  $("f-date").max = today();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/diary/sw.js", { scope: "/diary" }).catch(function () {});
  }
  openDb().then(function (d) { db = d; return reloadQueues(); })
    .then(loadHome)
    .then(function () {
      render(); if (refused().length) { status(""); }
      app.dataset.ready = "1"; if (navigator.onLine && waiting().length) { sync(); }
    });
  window.nongsoDiary = { sync: sync, state: state };
})();
