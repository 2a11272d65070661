/* articleqa chat: talks to POST {base}/v1/chat/completions with "stream": true and renders the answer.
 * Used by the chat page (index.html) and by the embeddable widget (widget.js).
 * ArticleQAChat.mount(element, { base, apiKey, heading, autofocus }) -> { ask(question), reset() }
 * It only reads (asks questions): `apiKey`, when the service needs one, is a read key (QA_READ_KEYS), never a
 * write key; with open reads it needs none.
 */
(function () {
  "use strict";
  if (window.ArticleQAChat) return;

  var STANCE = { affirmed: "yes", conditional: "conditional", negated: "no" };
  var counter = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* The streamed Markdown, lightly formatted (bold, italics, line breaks) while it arrives. */
  function lightMarkdown(text) {
    return escapeHtml(text)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|\n)_(.+?)_(?=\n|$)/g, "$1<em>$2</em>")
      .replace(/\*(.+?)\*/g, "<em>$1</em>")
      .replace(/\n/g, "<br>");
  }

  /* text with [start, end) wrapped in <mark>; offsets relative to text. */
  function highlighted(text, start, end, cls) {
    var frag = document.createDocumentFragment();
    if (!(start >= 0 && end > start && end <= text.length)) {
      frag.appendChild(document.createTextNode(text));
      return frag;
    }
    frag.appendChild(document.createTextNode(text.slice(0, start)));
    var mark = el("mark", cls || "aqa-span", text.slice(start, end));
    frag.appendChild(mark);
    frag.appendChild(document.createTextNode(text.slice(end)));
    return frag;
  }

  /* The answer's sentence with the answer span highlighted. */
  function sentenceWithSpan(ans) {
    var s = ans.start - ans.context_start;
    var e = ans.end - ans.context_start;
    var whole = s <= 0 && e >= ans.context.length;
    return highlighted(ans.context, whole ? -1 : s, e);
  }

  function mount(root, opts) {
    opts = opts || {};
    var base = (opts.base || "").replace(/\/$/, "");
    var apiKey = opts.apiKey || "";
    try { apiKey = apiKey || sessionStorage.getItem("articleqa-key") || ""; } catch (e) { /* storage blocked */ }
    var id = "aqa" + ++counter;
    var history = [];
    var busy = false;
    var pending = null;

    root.classList.add("aqa");
    root.innerHTML = "";
    var head = el("header", "aqa-head");
    head.appendChild(el("h1", "aqa-title", opts.heading || "Ask the news articles"));
    var resetBtn = el("button", "aqa-new", "New conversation");
    resetBtn.type = "button";
    head.appendChild(resetBtn);
    root.appendChild(head);

    var status = el("p", "aqa-status");
    status.setAttribute("role", "status");
    status.hidden = true;
    root.appendChild(status);

    var log = el("ol", "aqa-log");
    log.setAttribute("aria-label", "Conversation");
    log.setAttribute("aria-live", "polite");
    log.tabIndex = 0;
    var hint = el("li", "aqa-hint", "Ask about the indexed news articles, e.g. “Which countries are ready to send peacekeepers to Ukraine?” Then follow up: “And Sweden?”, “Who said that?”");
    log.appendChild(hint);
    root.appendChild(log);

    var keyBox = el("form", "aqa-keybox");
    keyBox.hidden = true;
    var keyLabel = el("label", "aqa-keylabel", "This service needs an API key (a read key is enough):");
    keyLabel.htmlFor = id + "-key";
    var keyInput = el("input", "aqa-keyinput");
    keyInput.type = "password";
    keyInput.id = id + "-key";
    keyInput.autocomplete = "off";
    var keyBtn = el("button", "aqa-keybtn", "Use key");
    keyBtn.type = "submit";
    keyBox.appendChild(keyLabel);
    keyBox.appendChild(keyInput);
    keyBox.appendChild(keyBtn);
    root.appendChild(keyBox);

    var form = el("form", "aqa-form");
    var label = el("label", "aqa-sr", "Your question");
    label.htmlFor = id + "-q";
    var input = el("textarea", "aqa-input");
    input.id = id + "-q";
    input.rows = 2;
    input.placeholder = "Ask a question about the articles…";
    input.setAttribute("enterkeyhint", "send");
    input.setAttribute("aria-describedby", id + "-help");
    var send = el("button", "aqa-send", "Ask");
    send.type = "submit";
    var help = el("p", "aqa-help aqa-sr", "Enter sends, Shift+Enter adds a line.");
    help.id = id + "-help";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);
    form.appendChild(help);
    root.appendChild(form);

    function setStatus(text, kind) {
      status.textContent = text || "";
      status.hidden = !text;
      status.className = "aqa-status" + (kind ? " aqa-status-" + kind : "");
    }

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    function headers() {
      var h = { "Content-Type": "application/json", Accept: "text/event-stream" };
      if (apiKey) h.Authorization = "Bearer " + apiKey;
      return h;
    }

    function renderSources(bot, cited) {
      if (!cited.length) return null;
      var sec = el("section", "aqa-sources");
      sec.appendChild(el("h2", "aqa-sources-title", "Sources"));
      var ol = el("ol", "aqa-source-list");
      cited.forEach(function (c, i) {
        var li = el("li", "aqa-source");
        li.id = bot.dataset.id + "-src" + (i + 1);
        var det = el("details");
        var sum = el("summary");
        sum.appendChild(el("span", "aqa-num", "[" + (i + 1) + "] "));
        var q = el("q", "aqa-quote");
        q.appendChild(sentenceWithSpan(c.ans));
        sum.appendChild(q);
        det.appendChild(sum);
        var body = el("div", "aqa-source-body");
        body.appendChild(el("p", "aqa-doc-title", c.ans.title || c.ans.document_id));
        var where = [c.ans.source, c.ans.date, c.ans.page ? "p. " + c.ans.page : ""].filter(Boolean).join(", ");
        if (where) body.appendChild(el("p", "aqa-doc-meta", where));
        var p = c.passage;
        if (p) {
          var para = el("p", "aqa-passage");
          var cs = c.ans.context_start - p.start;
          var ce = c.ans.context_end - p.start;
          para.appendChild(document.createTextNode(p.text.slice(0, Math.max(0, cs))));
          var ctx = el("span", "aqa-context");
          var sentence = p.text.slice(Math.max(0, cs), ce);
          var ss = c.ans.start - c.ans.context_start;
          var se = c.ans.end - c.ans.context_start;
          ctx.appendChild(highlighted(sentence, ss <= 0 && se >= sentence.length ? -1 : ss, se));
          para.appendChild(ctx);
          para.appendChild(document.createTextNode(p.text.slice(ce)));
          body.appendChild(para);
        }
        body.appendChild(el("p", "aqa-offsets", "Document " + c.ans.document_id + ", characters " + c.ans.start + "–" + c.ans.end));
        det.appendChild(body);
        li.appendChild(det);
        ol.appendChild(li);
      });
      sec.appendChild(ol);
      return sec;
    }

    /* The structured answer (the `articleqa` field): list, single answer or none, with sources. */
    function renderStructured(bot, resp) {
      var out = el("div", "aqa-answer");
      var cited = [];
      var keys = {};
      var passages = {};
      (resp.passages || []).forEach(function (p) { passages[p.id] = p; });
      function cite(ans) {
        var key = ans.document_id + ":" + ans.context_start + ":" + ans.context_end;
        if (!(key in keys)) {
          cited.push({ ans: ans, passage: passages[ans.passage_id] });
          keys[key] = cited.length;
        }
        var n = keys[key];
        var a = el("a", "aqa-cite", "[" + n + "]");
        a.href = "#" + bot.dataset.id + "-src" + n;
        a.setAttribute("aria-label", "source " + n);
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          var src = root.querySelector("#" + bot.dataset.id + "-src" + n + " details");
          if (src) { src.open = true; src.querySelector("summary").focus(); }
        });
        return a;
      }
      if (resp.rewritten_question) {
        out.appendChild(el("p", "aqa-rewritten", "Read as: " + resp.rewritten_question));
      }
      function itemList(items, cls) {
        var ul = el("ul", "aqa-items " + cls);
        items.forEach(function (it) {
          var li = el("li", "aqa-item");
          li.dataset.stance = it.stance;
          li.appendChild(el("span", "aqa-name", it.name));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "aqa-stance aqa-stance-" + it.stance, STANCE[it.stance] || it.stance));
          if (it.reason) li.appendChild(el("span", "aqa-reason", " — " + it.reason));
          (it.evidence || []).slice(0, 2).forEach(function (ev) {
            li.appendChild(document.createTextNode(" "));
            li.appendChild(cite(ev));
          });
          ul.appendChild(li);
        });
        return ul;
      }
      if (resp.kind === "list" && ((resp.items || []).length || (resp.excluded || []).length)) {
        if (resp.items.length) out.appendChild(itemList(resp.items, "aqa-included"));
        if ((resp.excluded || []).length) {
          out.appendChild(el("p", "aqa-excluded-title", "Not included:"));
          out.appendChild(itemList(resp.excluded, "aqa-excluded"));
        }
      } else if ((resp.answers || []).length) {
        var best = resp.answers[0];
        var main = el("blockquote", "aqa-best");
        main.appendChild(sentenceWithSpan(best));
        main.appendChild(document.createTextNode(" "));
        main.appendChild(cite(best));
        out.appendChild(main);
        var others = resp.answers.slice(1, 4);
        if (others.length) {
          var det = el("details", "aqa-others");
          det.appendChild(el("summary", null, "Other possible answers (" + others.length + ")"));
          var ul = el("ul");
          others.forEach(function (a) {
            var li = el("li");
            li.appendChild(sentenceWithSpan(a));
            li.appendChild(document.createTextNode(" "));
            li.appendChild(cite(a));
            ul.appendChild(li);
          });
          det.appendChild(ul);
          out.appendChild(det);
        }
      } else {
        out.appendChild(el("p", "aqa-none", "No answer found in the indexed articles."));
      }
      var sources = renderSources(bot, cited);
      if (sources) out.appendChild(sources);
      return out;
    }

    function addMessage(role, text) {
      if (hint.parentNode) hint.remove();
      var li = el("li", "aqa-msg aqa-" + role);
      li.dataset.id = id + "-m" + log.children.length;
      var who = el("span", "aqa-sr", role === "user" ? "You asked:" : "Answer:");
      li.appendChild(who);
      var body = el("div", "aqa-body");
      if (text !== undefined) body.textContent = text;
      li.appendChild(body);
      log.appendChild(li);
      scrollDown();
      return li;
    }

    function fail(bot, message, kind) {
      bot.classList.add("aqa-failed");
      bot.removeAttribute("aria-busy");
      var body = bot.querySelector(".aqa-body");
      body.innerHTML = "";
      var p = el("p", "aqa-error aqa-error-" + kind, message);
      p.setAttribute("role", "alert");
      body.appendChild(p);
      scrollDown();
    }

    function errorMessage(status, body) {
      var msg = body && body.error && body.error.message ? body.error.message : body && body.detail ? body.detail : "";
      if (status >= 500) return "The service failed to answer (HTTP " + status + "). Please try again.";
      if (/^the question was rejected/i.test(msg)) return msg.charAt(0).toUpperCase() + msg.slice(1) + ".";
      return "The question was rejected: " + (msg || "HTTP " + status) + ".";
    }

    async function ask(question) {
      question = (question || "").trim();
      if (!question || busy) return;
      busy = true;
      send.disabled = true;
      root.setAttribute("aria-busy", "true");
      setStatus("");
      addMessage("user", question);
      var bot = addMessage("bot");
      bot.setAttribute("aria-busy", "true");
      var body = bot.querySelector(".aqa-body");
      body.appendChild(el("p", "aqa-typing", "Searching the articles…"));
      var messages = history.concat([{ role: "user", content: question }]);
      var text = "";
      var structured = null;
      var done = false;
      try {
        var res;
        try {
          res = await fetch(base + "/v1/chat/completions", {
            method: "POST",
            headers: headers(),
            body: JSON.stringify({ model: "articleqa", stream: true, messages: messages }),
          });
        } catch (err) {
          fail(bot, "Cannot reach the articleqa service" + (base ? " at " + base : "") + ". Check that it is running and try again.", "unreachable");
          setStatus("The service is unreachable.", "error");
          return;
        }
        if (res.status === 401) {
          bot.remove();
          log.lastChild && log.lastChild.remove();
          pending = question;
          keyBox.hidden = false;
          setStatus(apiKey ? "The API key was not accepted; enter the right one." : "This service needs an API key.", "error");
          keyInput.focus();
          return;
        }
        if (res.status === 429) {
          var wait = parseInt(res.headers.get("Retry-After") || "", 10);
          fail(bot, "Too many questions from here just now. Please wait " + (wait > 0 ? wait + " seconds" : "a moment") + " and ask again.", "limited");
          setStatus("Rate limited: try again shortly.", "error");
          return;
        }
        if (!res.ok) {
          var errBody = null;
          try { errBody = await res.json(); } catch (e) { /* not JSON */ }
          fail(bot, errorMessage(res.status, errBody), "rejected");
          return;
        }
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buf = "";
        var stream = el("div", "aqa-stream");
        while (!done) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buf += decoder.decode(chunk.value, { stream: true });
          var events = buf.split("\n\n");
          buf = events.pop();
          for (var i = 0; i < events.length; i++) {
            var line = events[i].split("\n").filter(function (l) { return l.indexOf("data:") === 0; }).map(function (l) { return l.slice(5).trim(); }).join("");
            if (!line) continue;
            if (line === "[DONE]") { done = true; break; }
            var data = JSON.parse(line);
            if (data.error) {
              fail(bot, "The service failed to answer: " + data.error.message, "rejected");
              return;
            }
            if (data.articleqa) structured = data.articleqa;
            var delta = data.choices && data.choices[0] && data.choices[0].delta;
            if (delta && delta.content) {
              if (!text) { body.innerHTML = ""; body.appendChild(stream); }
              text += delta.content;
              stream.innerHTML = lightMarkdown(text);
              scrollDown();
            }
          }
          // Let the browser show what arrived before the next read or the final render, even when the whole
          // reply came in one read (a fast answer): the text is seen streaming in, then set out in full.
          if (text) await new Promise(function (resolve) { setTimeout(resolve, 0); });
        }
        if (!done) {
          fail(bot, "The answer was cut off: the connection to the service closed early. Please try again.", "unreachable");
          return;
        }
        body.innerHTML = "";
        body.appendChild(structured ? renderStructured(bot, structured) : stream);
        bot.removeAttribute("aria-busy");
        bot.classList.add("aqa-done");
        history = messages.concat([{ role: "assistant", content: text }]);
        scrollDown();
      } catch (err) {
        fail(bot, "Cannot reach the articleqa service: the connection was lost (" + err.message + ").", "unreachable");
      } finally {
        busy = false;
        send.disabled = false;
        root.removeAttribute("aria-busy");
      }
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = input.value;
      if (!q.trim()) { input.focus(); return; }
      input.value = "";
      ask(q);
      input.focus();
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
      }
    });
    keyBox.addEventListener("submit", function (ev) {
      ev.preventDefault();
      apiKey = keyInput.value.trim();
      try { sessionStorage.setItem("articleqa-key", apiKey); } catch (e) { /* storage blocked */ }
      keyInput.value = "";
      keyBox.hidden = true;
      setStatus("");
      var q = pending;
      pending = null;
      if (q) ask(q);
      input.focus();
    });
    function reset() {
      history = [];
      log.innerHTML = "";
      log.appendChild(hint);
      setStatus("");
      input.focus();
    }
    resetBtn.addEventListener("click", reset);

    fetch(base + "/health").then(function (r) {
      if (!r.ok) setStatus("The service answered HTTP " + r.status + " to a health check.", "error");
    }, function () {
      setStatus("Cannot reach the articleqa service" + (base ? " at " + base : "") + ". Check that it is running.", "error");
    });
    if (opts.autofocus) input.focus();
    return { ask: ask, reset: reset, input: input };
  }

  window.ArticleQAChat = { mount: mount };
})();
