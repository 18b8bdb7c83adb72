/*
 * PromptOps — small progressive enhancements. No dependencies, loaded with `defer`.
 * Every feature here is optional: pages must work without JavaScript.
 *
 *  - Mobile nav:   button.nav-toggle toggles body.nav-open (+ aria-expanded);
 *                  Escape, .nav-backdrop click, or growing past 860px closes it.
 *  - Switcher:     details.workspace-switcher closes on outside click / Escape.
 *  - Copy:         button.copy-btn / [data-copy="text"] copies and says "Copied".
 *                  [data-copy-target="#id"] copies that element's text instead.
 *  - Messages:     button.message-close removes its .message; .message-success
 *                  fades out after 6s (paused while hovered or focused).
 *  - Confirm:      form[data-confirm], button[data-confirm], a[data-confirm]
 *                  ask window.confirm(text) first.
 *  - Unsaved:      form[data-warn-unsaved] warns on leaving after edits, until submitted.
 *  - Autosize:     textarea[data-autosize] grows with its content.
 *
 * Works for content swapped in by htmx: init() runs again on `htmx:load`.
 */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;
  root.classList.add("js");

  var MOBILE_QUERY = "(max-width: 860px)";
  var SUCCESS_DISMISS_MS = 6000;
  var COPIED_MS = 2000;

  function each(scope, selector, fn) {
    if (!scope || !scope.querySelectorAll) return;
    if (scope.matches && scope.matches(selector)) fn(scope);
    Array.prototype.forEach.call(scope.querySelectorAll(selector), fn);
  }

  function closest(target, selector) {
    return target && target.closest ? target.closest(selector) : null;
  }

  /* Live region for short announcements ("Copied to clipboard") ------------ */

  var liveRegion = null;
  function announce(text) {
    if (!doc.body) return;
    if (!liveRegion || !liveRegion.isConnected) {
      liveRegion = doc.createElement("div");
      liveRegion.className = "sr-only";
      liveRegion.setAttribute("role", "status");
      liveRegion.setAttribute("aria-live", "polite");
      doc.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    window.setTimeout(function () { liveRegion.textContent = text; }, 30);
  }

  /* Mobile navigation ------------------------------------------------------- */

  function navIsOpen() {
    return doc.body.classList.contains("nav-open");
  }

  function setNav(open, options) {
    var body = doc.body;
    if (!body) return;
    body.classList.toggle("nav-open", open);
    each(doc, ".nav-toggle", function (btn) {
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    });
    var sidebar = doc.querySelector(".sidebar");
    if (open && sidebar) {
      var first = sidebar.querySelector(".nav-link[aria-current='page'], .nav-link.is-active, a, button, summary");
      if (first) window.setTimeout(function () { first.focus({ preventScroll: true }); }, 50);
    } else if (!open && options && options.restoreFocus) {
      var toggle = doc.querySelector(".nav-toggle");
      if (toggle) toggle.focus();
    }
  }

  function ensureBackdrop() {
    if (!doc.querySelector(".sidebar") || doc.querySelector(".nav-backdrop")) return;
    var backdrop = doc.createElement("div");
    backdrop.className = "nav-backdrop";
    backdrop.setAttribute("aria-hidden", "true");
    doc.body.appendChild(backdrop);
  }

  if (window.matchMedia) {
    var mq = window.matchMedia(MOBILE_QUERY);
    var onChange = function (e) { if (!e.matches && navIsOpen()) setNav(false); };
    if (mq.addEventListener) mq.addEventListener("change", onChange);
    else if (mq.addListener) mq.addListener(onChange);
  }

  /* Copy to clipboard ------------------------------------------------------- */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return legacyCopy(text);
      });
    }
    return legacyCopy(text);
  }

  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var ta = doc.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.top = "-1000px";
      ta.style.opacity = "0";
      doc.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = doc.execCommand("copy"); } catch (err) { ok = false; }
      doc.body.removeChild(ta);
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  function copyLabelNode(btn) {
    return btn.querySelector(".copy-label") || btn;
  }

  function handleCopy(btn) {
    var text = btn.getAttribute("data-copy");
    var targetSel = btn.getAttribute("data-copy-target");
    if (targetSel) {
      var target = doc.querySelector(targetSel);
      if (target) text = "value" in target && target.value !== undefined ? target.value : target.textContent;
    }
    if (text == null) {
      // Fall back to a sibling code.secret inside the same secret box/group.
      var box = closest(btn, ".secret-box, .input-group, .row");
      var code = box && box.querySelector("code.secret, code, input");
      if (code) text = code.value !== undefined && code.tagName === "INPUT" ? code.value : code.textContent;
    }
    if (text == null) return;
    text = String(text).trim();

    var labelNode = copyLabelNode(btn);
    if (!btn.hasAttribute("data-copy-label")) {
      btn.setAttribute("data-copy-label", labelNode.textContent.trim());
    }
    var original = btn.getAttribute("data-copy-label");
    // Icon-only buttons keep their (empty) label; the .is-copied class and the
    // live region carry the feedback instead.
    var relabel = original ? setLabel : function () {};

    copyText(text).then(function () {
      relabel(btn, labelNode, "Copied");
      btn.classList.add("is-copied");
      announce("Copied to clipboard");
    }, function () {
      // Clipboard blocked: select the text so the user can press Ctrl/Cmd+C.
      var box = closest(btn, ".secret-box, .input-group, .row");
      var code = box && box.querySelector("code.secret, code");
      if (code && window.getSelection) {
        var range = doc.createRange();
        range.selectNodeContents(code);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      relabel(btn, labelNode, /Mac|iPhone|iPad/.test(navigator.platform || "") ? "Press \u2318C" : "Press Ctrl+C");
      announce("Could not copy automatically. The text is selected; press Control C to copy.");
    });

    window.clearTimeout(btn._copyTimer);
    btn._copyTimer = window.setTimeout(function () {
      relabel(btn, labelNode, original);
      btn.classList.remove("is-copied");
    }, COPIED_MS);
  }

  function setLabel(btn, labelNode, text) {
    if (labelNode === btn) {
      // Keep any icon element; replace only text nodes.
      var replaced = false;
      Array.prototype.forEach.call(btn.childNodes, function (node) {
        if (node.nodeType === 3 && node.textContent.trim()) {
          if (!replaced) { node.textContent = text; replaced = true; }
          else node.textContent = "";
        }
      });
      if (!replaced) btn.appendChild(doc.createTextNode(text));
    } else {
      labelNode.textContent = text;
    }
  }

  /* Flash messages ----------------------------------------------------------- */

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function dismissMessage(msg) {
    if (!msg || msg._dismissing) return;
    msg._dismissing = true;
    var container = msg.parentElement;
    var removeIt = function () {
      var item = msg.parentElement && msg.parentElement.tagName === "LI" ? msg.parentElement : msg;
      if (item.parentElement) item.parentElement.removeChild(item);
      if (container && container.classList && container.classList.contains("messages") &&
          !container.querySelector(".message")) {
        container.parentElement && container.parentElement.removeChild(container);
      }
    };
    // Move focus somewhere sensible if the close button had it.
    if (msg.contains(doc.activeElement)) {
      var main = doc.querySelector("main, .content");
      if (main) {
        if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
        main.focus({ preventScroll: true });
      }
    }
    if (reduceMotion) { removeIt(); return; }
    msg.classList.add("is-dismissing");
    window.setTimeout(removeIt, 220);
  }

  function scheduleAutoDismiss(msg) {
    if (msg._autoDismiss) return;
    msg._autoDismiss = true;
    var tick = function () {
      if (!msg.isConnected) return;
      if (msg.matches(":hover") || msg.contains(doc.activeElement)) {
        msg._timer = window.setTimeout(tick, 2000);
        return;
      }
      dismissMessage(msg);
    };
    msg._timer = window.setTimeout(tick, SUCCESS_DISMISS_MS);
  }

  /* Unsaved-changes warning --------------------------------------------------- */

  function markDirty(form) {
    if (form && form.hasAttribute("data-warn-unsaved")) form.setAttribute("data-dirty", "true");
  }
  function markClean(form) {
    if (form) form.removeAttribute("data-dirty");
  }
  function hasDirtyForm() {
    return !!doc.querySelector("form[data-warn-unsaved][data-dirty='true']");
  }

  window.addEventListener("beforeunload", function (event) {
    if (!hasDirtyForm()) return undefined;
    event.preventDefault();
    event.returnValue = "";
    return "";
  });

  /* Autosize textareas ------------------------------------------------------- */

  var nativeAutosize = window.CSS && CSS.supports && CSS.supports("field-sizing", "content");

  function autosize(ta) {
    if (nativeAutosize || !ta || !ta.isConnected) return;
    var style = window.getComputedStyle(ta);
    var borders = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
    ta.style.height = "auto";
    ta.style.height = ta.scrollHeight + borders + "px";
  }

  /* Delegated event listeners ------------------------------------------------- */

  doc.addEventListener("click", function (event) {
    var target = event.target;

    var toggle = closest(target, ".nav-toggle");
    if (toggle) {
      event.preventDefault();
      setNav(!navIsOpen());
      return;
    }

    if (closest(target, ".nav-backdrop")) {
      setNav(false, { restoreFocus: true });
      return;
    }

    // Following a sidebar link on mobile closes the drawer (matters for htmx-boosted links).
    if (navIsOpen() && closest(target, ".sidebar a")) setNav(false);

    // Close any open workspace switcher when clicking outside it.
    each(doc, "details.workspace-switcher[open]", function (d) {
      if (!d.contains(target)) d.removeAttribute("open");
    });

    var closeBtn = closest(target, ".message-close");
    if (closeBtn) {
      event.preventDefault();
      dismissMessage(closest(closeBtn, ".message"));
      return;
    }

    var copyBtn = closest(target, ".copy-btn, [data-copy], [data-copy-target]");
    if (copyBtn) {
      event.preventDefault();
      handleCopy(copyBtn);
      return;
    }

    // Confirmations on links and on buttons that don't submit a form.
    // (Submit buttons are handled in the submit listener so Enter-key submits are covered too.)
    var confirmEl = closest(target, "a[data-confirm], button[data-confirm], input[type='submit'][data-confirm]");
    if (confirmEl) {
      var submits = confirmEl.tagName !== "A" && confirmEl.form &&
        (confirmEl.type === "submit" || confirmEl.type === "image");
      if (!submits && !window.confirm(confirmEl.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  }, true);

  doc.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") return;
    var openSwitcher = doc.querySelector("details.workspace-switcher[open]");
    if (openSwitcher) {
      openSwitcher.removeAttribute("open");
      var summary = openSwitcher.querySelector("summary");
      if (summary) summary.focus();
      return;
    }
    if (navIsOpen()) setNav(false, { restoreFocus: true });
  });

  // Capture phase so a cancelled confirm stops htmx / other handlers from submitting.
  doc.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM") return;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute && submitter.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    markClean(form);
  }, true);

  doc.addEventListener("reset", function (event) { markClean(event.target); }, true);

  function onEdit(event) {
    var el = event.target;
    if (!el || !el.form) {
      // Elements outside a form but associated via form= attribute are covered by el.form.
      if (el && el.matches && el.matches("textarea[data-autosize]")) autosize(el);
      return;
    }
    markDirty(el.form);
    if (el.matches("textarea[data-autosize]")) autosize(el);
  }
  doc.addEventListener("input", onEdit);
  doc.addEventListener("change", onEdit);

  // htmx: a successful htmx form post counts as saved.
  doc.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.form);
    if (form && event.detail.successful) markClean(form);
  });

  /* Per-element initialisation (idempotent; runs for htmx swaps too) --------- */

  function init(scope) {
    scope = scope || doc;
    each(scope, ".nav-toggle", function (btn) {
      if (!btn.hasAttribute("aria-expanded")) btn.setAttribute("aria-expanded", navIsOpen() ? "true" : "false");
      if (!btn.hasAttribute("aria-controls")) {
        var sidebar = doc.querySelector(".sidebar");
        if (sidebar) {
          if (!sidebar.id) sidebar.id = "sidebar";
          btn.setAttribute("aria-controls", sidebar.id);
        }
      }
    });
    each(scope, ".message-success", scheduleAutoDismiss);
    each(scope, "textarea[data-autosize]", autosize);
  }

  function start() {
    ensureBackdrop();
    init(doc);
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();

  // htmx fires htmx:load for every element it processes (including the body on start-up).
  doc.addEventListener("htmx:load", function (event) {
    init(event.detail && event.detail.elt ? event.detail.elt : event.target);
  });

  // Re-measure autosized textareas when the viewport width changes.
  var resizeTimer = null;
  var lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { each(doc, "textarea[data-autosize]", autosize); }, 150);
  });

  // Small public hook for other scripts.
  window.PromptOps = { init: init, closeNav: function () { setNav(false); } };
})();
