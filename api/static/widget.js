/* articleqa widget: <script src="https://qa.example.org/widget.js" defer></script> adds a chat button and
 * panel to any page, talking to the service the script came from. The page's origin must be listed in the
 * service's QA_CORS_ORIGINS. Optional attributes on the script tag:
 *   data-title="Ask our archive"   panel heading and button label
 *   data-position="left"           button on the bottom left
 *   data-open="true"               start with the panel open
 *   data-api-key="..."             a read key (QA_READ_KEYS), never a write key: a key in a public page is no
 *                                  secret, so on a public site leave reads open (the service limits each
 *                                  client's rate) or use a read key you can rotate
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("articleqa-widget")) return;
  var base = script.src.replace(/\/widget\.js(?:[?#].*)?$/, "");
  var title = script.getAttribute("data-title") || "Ask the news";

  function start() {
    var host = document.createElement("div");
    host.id = "articleqa-widget";
    var shadow = host.attachShadow({ mode: "open" });
    var wrap = document.createElement("div");
    if (script.getAttribute("data-position") === "left") wrap.className = "aqa-left";
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "/static/chat.css";
    var launch = document.createElement("button");
    launch.type = "button";
    launch.className = "aqa-launch";
    launch.setAttribute("aria-expanded", "false");
    launch.setAttribute("aria-controls", "aqa-panel");
    launch.innerHTML =
      '<svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"' +
      ' stroke-linecap="round" stroke-linejoin="round"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg> ';
    launch.appendChild(document.createTextNode(title));
    var panel = document.createElement("div");
    panel.className = "aqa-panel";
    panel.id = "aqa-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "aqa-close";
    close.setAttribute("aria-label", "Close chat");
    close.textContent = "×";
    var mountPoint = document.createElement("div");
    panel.appendChild(close);
    panel.appendChild(mountPoint);
    wrap.appendChild(launch);
    wrap.appendChild(panel);
    shadow.appendChild(css);
    shadow.appendChild(wrap);
    document.body.appendChild(host);

    var chat = null;
    function ensureChat(then) {
      if (chat) return then();
      function go() {
        chat = window.ArticleQAChat.mount(mountPoint, { base: base, heading: title, apiKey: script.getAttribute("data-api-key") || "" });
        then();
      }
      if (window.ArticleQAChat) return go();
      var s = document.createElement("script");
      s.src = base + "/static/chat.js";
      s.onload = go;
      s.onerror = function () {
        mountPoint.textContent = "The chat could not be loaded from " + base + ".";
        then();
      };
      document.head.appendChild(s);
    }
    function setOpen(open) {
      panel.hidden = !open;
      launch.setAttribute("aria-expanded", String(open));
      if (!open) return launch.focus();
      ensureChat(function () {
        if (chat && !panel.hidden) chat.input.focus();
      });
    }
    launch.addEventListener("click", function () { setOpen(panel.hidden); });
    close.addEventListener("click", function () { setOpen(false); });
    panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") setOpen(false); });
    if (script.getAttribute("data-open") === "true") setOpen(true);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
