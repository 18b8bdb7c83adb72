// The playground: streams that fill cells (EventSource per cell), Stop, adding and removing
// columns and messages, and the variables form refreshed while the messages are edited.
// No build step; htmx handles the word diff and the variables refresh.
(function () {
  "use strict";
  var form = document.getElementById("setup");
  if (!form) return;
  var sources = new Map(); // cell id -> {source, timer, started}

  function fmtMs(ms) {
    if (ms === null || ms === undefined) return "–";
    return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(2) + " s";
  }

  var LABELS = { pending: "Waiting", running: "Streaming", ok: "Done", error: "Error", cancelled: "Stopped" };

  function setStatus(cell, status) {
    cell.dataset.status = status;
    cell.className = cell.className.replace(/\bis-\w+/g, "").trim() + " is-" + status;
    var label = cell.querySelector("[data-status-text]");
    if (label) label.textContent = LABELS[status] || status;
    var stop = cell.querySelector("[data-stop]");
    if (stop) stop.hidden = !(status === "pending" || status === "running");
  }

  function metric(cell, name, value) {
    var el = cell.querySelector('[data-metric="' + name + '"]');
    if (el) el.textContent = value;
  }

  function finish(cell, data) {
    var entry = sources.get(cell.dataset.cellId);
    if (entry) {
      entry.source.close();
      clearInterval(entry.timer);
      sources.delete(cell.dataset.cellId);
    }
    setStatus(cell, data.status);
    metric(cell, "ttft_ms", fmtMs(data.ttft_ms));
    metric(cell, "latency_ms", fmtMs(data.latency_ms));
    if (data.input_tokens !== null && data.input_tokens !== undefined) {
      metric(cell, "tokens", (data.input_tokens || 0) + " → " + (data.output_tokens || 0));
    }
    metric(cell, "cost", data.cost || "–");
    var error = cell.querySelector("[data-error]");
    if (error && data.error) {
      error.textContent = data.error;
      error.hidden = false;
    }
    updateStopAll();
  }

  function stream(cell) {
    var url = cell.dataset.streamUrl;
    if (!url || sources.has(cell.dataset.cellId)) return;
    var output = cell.querySelector("[data-output]");
    var started = performance.now();
    var source = new EventSource(url);
    var entry = { source: source, started: started, timer: null, first: false };
    sources.set(cell.dataset.cellId, entry);
    setStatus(cell, "running");
    output.textContent = "";
    entry.timer = setInterval(function () {
      // Alive while waiting: the latency ticks until the answer is done.
      metric(cell, "latency_ms", fmtMs(Math.round(performance.now() - started)));
    }, 100);
    source.addEventListener("delta", function (e) {
      if (!entry.first) {
        entry.first = true;
        metric(cell, "ttft_ms", fmtMs(Math.round(performance.now() - started)));
      }
      var atBottom = output.scrollHeight - output.scrollTop - output.clientHeight < 24;
      output.textContent += JSON.parse(e.data).text;
      if (atBottom) output.scrollTop = output.scrollHeight;
    });
    source.addEventListener("tool_calls", function (e) {
      // The model called tools: show each call (name, arguments) in place of text.
      var box = cell.querySelector("[data-tool-calls]");
      if (!box) return;
      JSON.parse(e.data).calls.forEach(function (call) {
        var item = document.createElement("div");
        item.className = "pg-tool-call";
        var head = document.createElement("div");
        head.className = "pg-tool-call-head";
        head.appendChild(document.createTextNode("Calls tool "));
        var name = document.createElement("span");
        name.className = "mono";
        name.textContent = call.name;
        head.appendChild(name);
        var args = document.createElement("pre");
        args.className = "pg-tool-call-args mono";
        args.setAttribute("aria-label", "Arguments of " + call.name);
        args.textContent = call.arguments;
        item.appendChild(head);
        item.appendChild(args);
        box.appendChild(item);
      });
      box.hidden = false;
      if (!output.textContent) output.hidden = true;
    });
    source.addEventListener("done", function (e) { finish(cell, JSON.parse(e.data)); });
    source.addEventListener("failed", function (e) { finish(cell, JSON.parse(e.data)); });
    source.onerror = function () {
      // A closed or refused stream: never reconnect (that would run the model again).
      if (sources.has(cell.dataset.cellId)) {
        finish(cell, { status: "error", error: "The stream was interrupted; reload to see what was kept." });
      }
    };
  }

  function stop(cell) {
    var entry = sources.get(cell.dataset.cellId);
    if (!entry) return;
    entry.source.close(); // the server sees the hang-up, cancels the call and logs "cancelled"
    clearInterval(entry.timer);
    sources.delete(cell.dataset.cellId);
    setStatus(cell, "cancelled");
    updateStopAll();
  }

  function updateStopAll() {
    var button = document.querySelector("[data-stop-all]");
    if (button) button.disabled = sources.size === 0;
  }

  document.querySelectorAll("[data-cell][data-stream-url]").forEach(function (cell) {
    if (cell.dataset.status === "pending") stream(cell);
  });
  updateStopAll();

  document.addEventListener("click", function (e) {
    var target = e.target.closest("button");
    if (!target) return;
    if (target.matches("[data-stop]")) {
      stop(target.closest("[data-cell]"));
    } else if (target.matches("[data-stop-all]")) {
      document.querySelectorAll("[data-cell]").forEach(stop);
    } else if (target.matches("[data-add-column]")) {
      var hidden = form.querySelector("[data-column][hidden]");
      if (hidden) {
        hidden.hidden = false;
        var option = form.querySelector('#pg-save-column option[value="' + hidden.dataset.column + '"]');
        if (option) option.hidden = false;
        var select = hidden.querySelector(".pg-model");
        if (select && !select.value && select.options.length > 1) select.selectedIndex = 1;
        relayout();
        select && select.focus();
      }
      target.disabled = !form.querySelector("[data-column][hidden]");
    } else if (target.matches("[data-remove-column]")) {
      var column = target.closest("[data-column]");
      var visible = form.querySelectorAll("[data-column]:not([hidden])");
      if (visible.length <= 1) return;
      column.querySelector(".pg-model").value = "";
      column.hidden = true;
      var add = document.querySelector("[data-add-column]");
      if (add) add.disabled = false;
      relayout();
    } else if (target.matches("[data-add-message]")) {
      addMessage(target);
    } else if (target.matches("[data-remove-message]")) {
      target.closest("[data-message]").remove();
      refreshVariables();
    }
  });

  function relayout() {
    var columns = form.querySelector("[data-columns]");
    var count = form.querySelectorAll("[data-column]:not([hidden])").length;
    columns.style.setProperty("--pg-cols", count);
  }

  function addMessage(button) {
    var count = form.querySelectorAll("[data-message]").length;
    var i = 0;
    while (form.querySelector('[name="msg-' + i + '-content"], [name="msg-' + i + '-placeholder"]')) i++;
    var block = document.createElement("div");
    block.className = "message-block";
    block.dataset.message = "";
    block.innerHTML =
      '<div class="message-block-header"><label class="sr-only" for="msg-' + i + '-role">Role of message ' + (count + 1) + "</label>" +
      '<select id="msg-' + i + '-role" name="msg-' + i + '-role"><option value="system">System</option><option value="user" selected>User</option><option value="assistant">Assistant</option></select>' +
      '<span class="spacer"></span><button type="button" class="icon-btn is-danger" data-remove-message aria-label="Remove message ' + (count + 1) + '" title="Remove">×</button></div>' +
      '<label class="sr-only" for="msg-' + i + '-content">Message ' + (count + 1) + "</label>" +
      '<textarea class="prompt-textarea pg-message-text" id="msg-' + i + '-content" name="msg-' + i + '-content" rows="3"></textarea>';
    button.before(block);
    block.querySelector("textarea").focus();
  }

  // The variables form follows the template as it is edited (values typed so far are kept).
  var timer = null;
  function refreshVariables() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!window.htmx) return;
      htmx.ajax("POST", form.dataset.variablesUrl, { source: form, target: "#pg-variables", swap: "outerHTML" });
    }, 500);
  }
  form.addEventListener("input", function (e) {
    if (e.target.closest("[data-refresh-variables]")) refreshVariables();
  });
  form.addEventListener("change", function (e) {
    if (e.target.matches("[data-refresh-variables], [data-refresh-variables] select")) refreshVariables();
  });

  // Leaving mid-stream: close the streams so the server logs them cancelled at once.
  window.addEventListener("pagehide", function () {
    sources.forEach(function (entry) { entry.source.close(); });
  });
})();
