/*
 * PromptOps prompt editor (promptregistry/editor.html). Optional: without it every button
 * posts the form and the server re-renders the editor with the change applied.
 *
 *  - Blocks:     "Add message", "Add chat history", "Remove", "Move up/down" happen in the
 *                page at once (same markup as the server's, from <template>s); ids and names
 *                ("m-<i>-...") are renumbered so the form posts the blocks in their new order.
 *  - Snippets:   "Insert snippet" puts {{> name}} where the cursor was.
 *  - Highlights: a textarea's highlighted copy (.editor-mirror) is hidden while it is out of
 *                date; the live preview (htmx) sends fresh copies.
 *  - Keys:       Enter in the "What changed?" box saves, elsewhere it does nothing (the
 *                preview follows along); Ctrl/Cmd+S saves.
 *  - Phones:     the Messages / Preview switch (.editor-switch) is not part of the prompt:
 *                its events stop before the form, so switching is no edit and no refresh.
 *  - Size:       a save, preview or draft bigger than the server accepts (data-max-bytes) is
 *                not sent; the editor says so and keeps everything typed.
 *  - Failures:   a preview or draft request that fails says so where its answer would be,
 *                instead of leaving an old preview or "Draft saved" in place.
 * After each change the form gets an `editor-change` event, which refreshes the preview and
 * the draft (hx-trigger on #editor-preview and #draft-status).
 */
(function () {
  "use strict";

  var NEXT_ROLE = { system: "user", user: "assistant", assistant: "user" };
  var INDEXED = /\bm-(\d+|__i__)-/g;
  var lastTextarea = null;

  function start() {
    var form = document.querySelector("form[data-editor]");
    if (!form) return;
    form.addEventListener("click", function (event) { onClick(form, event); });
    form.addEventListener("keydown", function (event) { onKey(form, event); });
    form.addEventListener("input", onInput);
    form.addEventListener("change", function (event) { onSelect(form, event); });
    form.addEventListener("focusin", function (event) {
      if (event.target.matches && event.target.matches(".prompt-textarea")) lastTextarea = event.target;
    });
    document.addEventListener("htmx:afterSwap", checkMirrors);
    document.addEventListener("htmx:afterSettle", checkMirrors);
    form.querySelectorAll(".editor-switch").forEach(function (el) {
      ["input", "change"].forEach(function (type) {
        el.addEventListener(type, function (event) { event.stopPropagation(); });
      });
    });
    form.addEventListener("submit", function (event) { guardSize(form, event); });
    document.addEventListener("htmx:beforeRequest", function (event) { guardSize(form, event); });
    document.addEventListener("htmx:afterRequest", function (event) { reportFailure(form, event); });
    showSchemaField(form);
    renumber(form);
  }

  function blocksOf(form) {
    var list = form.querySelector("#editor-blocks");
    return list ? Array.prototype.slice.call(list.querySelectorAll(":scope > [data-block]")) : [];
  }

  function changed(form) {
    form.setAttribute("data-dirty", "true");
    form.dispatchEvent(new CustomEvent("editor-change", { bubbles: true }));
  }

  /* Buttons ---------------------------------------------------------------------------- */

  function onClick(form, event) {
    var button = event.target.closest && event.target.closest("button[name='op'], a[data-focus]");
    if (!button || !form.contains(button)) return;
    if (button.tagName === "A") {
      var target = document.querySelector(button.getAttribute("data-focus"));
      if (target) {
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus({ preventScroll: true });
      }
      return;
    }
    var op = button.value;
    var block = button.closest("[data-block]");
    var handled = true;
    if (op === "add-message") addBlock(form, "message-template");
    else if (op === "add-placeholder") addBlock(form, "placeholder-template");
    else if (/^remove-/.test(op) && block) removeBlock(form, block);
    else if (/^up-/.test(op) && block) moveBlock(form, block, -1, button);
    else if (/^down-/.test(op) && block) moveBlock(form, block, 1, button);
    else if (op === "insert-snippet") handled = insertSnippet(form);
    else if (op === "preview") form.dispatchEvent(new CustomEvent("editor-change", { bubbles: true }));
    else handled = false;
    if (handled) event.preventDefault();
  }

  function addBlock(form, templateId) {
    var template = document.getElementById(templateId);
    var list = form.querySelector("#editor-blocks");
    if (!template || !list) return;
    var block = template.content.querySelector("[data-block]").cloneNode(true);
    var empty = list.querySelector("#editor-blocks-empty");
    if (empty) empty.remove();
    list.appendChild(block);
    if (templateId === "message-template") {
      var roles = list.querySelectorAll(".role-select");
      var previous = roles.length > 1 ? roles[roles.length - 2].value : null;
      block.querySelector(".role-select").value = previous ? NEXT_ROLE[previous] || "user" : "system";
    } else {
      block.querySelector(".placeholder-name").value = freeName(form);
    }
    renumber(form);
    if (window.PromptOps) window.PromptOps.init(block);
    var first = block.querySelector("textarea, .placeholder-name");
    if (first) first.focus();
    changed(form);
  }

  function freeName(form) {
    var wanted = (form.querySelector("#placeholder_name") || {}).value || "history";
    wanted = wanted.trim() || "history";
    var taken = {};
    form.querySelectorAll("#editor-blocks .placeholder-name").forEach(function (input) {
      taken[input.value] = true;
    });
    if (!taken[wanted]) return wanted;
    for (var n = 2; ; n++) if (!taken[wanted + "_" + n]) return wanted + "_" + n;
  }

  function removeBlock(form, block) {
    var blocks = blocksOf(form);
    var index = blocks.indexOf(block);
    block.remove();
    renumber(form);
    var rest = blocksOf(form);
    var next = rest[Math.min(index, rest.length - 1)];
    var focus = next ? next.querySelector("textarea, .placeholder-name") : form.querySelector("#add-message");
    if (focus) focus.focus();
    changed(form);
  }

  function moveBlock(form, block, step, button) {
    var blocks = blocksOf(form);
    var index = blocks.indexOf(block);
    var other = blocks[index + step];
    if (!other) return;
    if (step < 0) other.before(block);
    else other.after(block);
    var kind = /^up-/.test(button.value) ? "up" : "down";
    renumber(form);
    var again = block.querySelector("button[value^='" + kind + "-']");
    var twin = block.querySelector("button[value^='" + (kind === "up" ? "down" : "up") + "-']");
    (again && !again.disabled ? again : twin && !twin.disabled ? twin : block.querySelector("textarea, input")).focus();
    changed(form);
  }

  function renumber(form) {
    var blocks = blocksOf(form);
    blocks.forEach(function (block, i) {
      var elements = [block].concat(Array.prototype.slice.call(block.querySelectorAll("*")));
      elements.forEach(function (el) {
        ["id", "name", "for", "aria-describedby", "aria-labelledby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && value.indexOf("m-") !== -1) el.setAttribute(attr, value.replace(INDEXED, "m-" + i + "-"));
        });
        if (el.tagName === "BUTTON" && el.name === "op") {
          el.value = el.value.replace(/-(\d+|__i__)$/, "-" + i);
        }
        var label = el.getAttribute("data-renumber");
        if (label) {
          var text = label.replace("{n}", String(i + 1));
          if (el.hasAttribute("aria-label")) el.setAttribute("aria-label", text);
          else el.textContent = text;
        }
      });
      var up = block.querySelector("button[value^='up-']");
      var down = block.querySelector("button[value^='down-']");
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === blocks.length - 1;
    });
  }

  function insertSnippet(form) {
    var select = form.querySelector("#snippet");
    if (!select || !select.value) return false;
    var field = lastTextarea && lastTextarea.isConnected ? lastTextarea : null;
    if (!field) {
      var all = form.querySelectorAll(".prompt-textarea");
      field = all.length ? all[all.length - 1] : null;
    }
    if (!field) return false;
    var reference = "{{> " + select.value + "}}";
    var wasFocused = field === lastTextarea;
    var start = wasFocused ? field.selectionStart : field.value.length;
    var end = wasFocused ? field.selectionEnd : field.value.length;
    field.focus();
    field.setRangeText(reference, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  /* Typing ------------------------------------------------------------------------------- */

  function onInput(event) {
    var field = event.target.closest && event.target.closest(".editor-field");
    if (!field) return;
    var mirror = field.querySelector(".editor-mirror");
    if (mirror) mirror.classList.add("is-stale");
  }

  function checkMirrors() {
    document.querySelectorAll("form[data-editor] .editor-field").forEach(function (field) {
      var mirror = field.querySelector(".editor-mirror");
      var textarea = field.querySelector("textarea");
      if (mirror && textarea) mirror.classList.toggle("is-stale", mirror.textContent !== textarea.value);
    });
  }

  function onSelect(form, event) {
    var el = event.target;
    if (el.id === "template_format") {
      var option = el.options[el.selectedIndex];
      var help = document.getElementById("template_format_help");
      if (help && option) help.textContent = option.getAttribute("data-help") || "";
      form.querySelectorAll(".editor-mirror").forEach(function (m) { m.classList.add("is-stale"); });
    } else if (el.name === "response_format") {
      showSchemaField(form);
    }
  }

  function showSchemaField(form) {
    var select = form.querySelector("select[name='response_format']");
    var wrapper = form.querySelector("[data-show-when-format]");
    if (!select || !wrapper) return;
    var wanted = wrapper.getAttribute("data-show-when-format");
    wrapper.hidden = select.value !== wanted && !wrapper.querySelector(".has-error");
  }

  function onKey(form, event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      var message = form.querySelector("#id_commit_message");
      if (message && !message.value.trim()) {
        message.scrollIntoView({ block: "center" });
        message.focus({ preventScroll: true });
      } else {
        form.requestSubmit(form.querySelector("#save-button"));
      }
      return;
    }
    if (event.key !== "Enter" || event.isComposing || event.target.tagName !== "INPUT") return;
    var el = event.target;
    if (el.type === "submit" || el.type === "button" || el.type === "checkbox" || el.type === "radio") return;
    event.preventDefault();
    if (el.id === "id_commit_message") form.requestSubmit(form.querySelector("#save-button"));
    else if (el.id === "placeholder_name") addBlock(form, "placeholder-template");
  }

  /* Size and failures ---------------------------------------------------------------------- */

  function megabytes(bytes) {
    if (bytes < 1048576) return Math.ceil(bytes / 1024) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function bodySize(form) {
    return new URLSearchParams(new FormData(form)).toString().length;
  }

  function guardSize(form, event) {
    var elt = event.type === "submit" ? form : event.detail && event.detail.elt;
    if (!elt || !form.contains(elt)) return;
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var size = limit ? bodySize(form) : 0;
    var problem = form.querySelector("#editor-size-problem");
    if (!limit || size <= limit) {
      if (problem && event.type === "submit") problem.hidden = true;
      return;
    }
    event.preventDefault();
    var text = "Not sent: the editor holds " + megabytes(size) + ", and PromptOps accepts at most " +
      megabytes(limit) + " at once. Everything you typed is still here: shorten the longest " +
      "messages (each holds up to " + (form.getAttribute("data-max-chars") || "200,000") +
      " characters), then try again.";
    if (event.type === "submit" || !elt.id) {
      if (problem) {
        problem.querySelector("p").textContent = text;
        problem.hidden = false;
        problem.scrollIntoView({ block: "center" });
      }
    } else {
      showFailure(elt, text);
    }
  }

  function reportFailure(form, event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    if (!elt || !form.contains(elt) || detail.successful !== false) return;
    var status = detail.xhr ? detail.xhr.status : 0;
    var why;
    if (!status) why = "PromptOps could not be reached. Check your connection; everything you typed is still here.";
    else if (status === 400 || status === 413) why = "The server refused it (HTTP " + status + "), most likely because the editor holds more than it accepts at once. Everything you typed is still here.";
    else if (status === 403 || status === 404) why = "You may no longer edit this prompt (HTTP " + status + "). Copy what you typed before leaving the page.";
    else why = "The server answered HTTP " + status + ". Everything you typed is still here; try again in a moment.";
    showFailure(elt, why);
  }

  function showFailure(elt, text) {
    if (elt.id === "editor-preview") {
      var box = document.createElement("div");
      box.className = "callout callout-danger";
      box.setAttribute("role", "alert");
      var title = document.createElement("strong");
      title.className = "callout-title";
      title.textContent = "The preview couldn't be updated";
      var body = document.createElement("p");
      body.textContent = text;
      box.append(title, body);
      elt.replaceChildren(box);
    } else if (elt.id === "draft-status") {
      var line = document.createElement("span");
      line.className = "editor-draft-problem";
      line.textContent = "Draft not kept. " + text;
      elt.replaceChildren(line);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
