// Helpline 1912 console: the little behaviour the server-rendered pages need.
// - keyboard shortcuts (elements with data-shortcut: F2, F3, F4, F9, "/", Ctrl+Enter);
// - state buttons submitted in the background, so a half-typed complaint stays on the page;
// - live updates by Server-Sent Events: the operator's state and screen pop, the wallboard;
// - complaint drafts kept in sessionStorage, restored after a lost session and a new login.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  const loginUrl = () => document.querySelector('meta[name="login-url"]')?.content || "/console/login";

  function toLogin() {
    const next = location.pathname + location.search;
    location.assign(loginUrl() + "?next=" + encodeURIComponent(next));
  }

  async function send(url, options) {
    const headers = Object.assign({"X-Requested-With": "fetch", "X-CSRF-Token": csrf()},
                                  options.headers || {});
    const response = await fetch(url, Object.assign({}, options, {headers, credentials: "same-origin"}));
    if (response.status === 401) { toLogin(); throw new Error("logged out"); }
    return response;
  }

  // --- drafts ------------------------------------------------------------------------------
  const DRAFT_FIELDS = ["kind", "remarks", "hazard", "request_key"];
  const draftKey = (id) => "draft:" + id;

  function saveDraft(form) {
    const data = {url: form.dataset.draftUrl || location.pathname + location.search, fields: {}};
    for (const name of DRAFT_FIELDS) {
      const field = form.elements[name];
      if (!field) continue;
      data.fields[name] = field.type === "checkbox" ? field.checked : field.value;
    }
    if (!data.fields.remarks && !data.fields.kind && !data.fields.hazard) {
      sessionStorage.removeItem(draftKey(form.dataset.draft));
      return;
    }
    sessionStorage.setItem(draftKey(form.dataset.draft), JSON.stringify(data));
  }

  function restoreDraft(form) {
    const raw = sessionStorage.getItem(draftKey(form.dataset.draft));
    if (!raw) return false;
    const data = JSON.parse(raw);
    for (const [name, value] of Object.entries(data.fields || {})) {
      const field = form.elements[name];
      if (!field) continue;
      if (field.type === "checkbox") field.checked = Boolean(value); else field.value = value;
    }
    form.classList.add("restored");
    return true;
  }

  function setUpDrafts(root) {
    root.querySelectorAll("[data-clear-draft]").forEach((el) => {
      if (el.dataset.clearDraft) sessionStorage.removeItem(draftKey(el.dataset.clearDraft));
    });
    root.querySelectorAll("form[data-draft]").forEach((form) => {
      restoreDraft(form);
      form.addEventListener("input", () => saveDraft(form));
      form.addEventListener("change", () => saveDraft(form));
    });
    listOtherDrafts();
  }

  function listOtherDrafts() {
    const box = document.getElementById("drafts");
    if (!box) return;
    const here = new Set([...document.querySelectorAll("form[data-draft]")].map((f) => f.dataset.draft));
    const links = [];
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (!key.startsWith("draft:") || here.has(key.slice(6))) continue;
      const data = JSON.parse(sessionStorage.getItem(key));
      const a = document.createElement("a");
      a.href = data.url; a.textContent = key.slice(6);
      links.push(a);
    }
    box.replaceChildren();
    if (!links.length) { box.hidden = true; return; }
    box.append("Unsent complaint draft(s) / अधूरी शिकायत: ");
    links.forEach((a) => box.append(a, " "));
    box.hidden = false;
  }

  // --- operator desk -----------------------------------------------------------------------
  const LABELS = {};
  function showStatus(status) {
    const box = document.getElementById("status");
    if (!box || !status) return;
    const state = document.getElementById("state");
    if (status.error) { document.getElementById("state-message").textContent = status.error; return; }
    box.dataset.state = status.state;
    state.className = "state state-" + status.state;
    state.textContent = LABELS[status.state] || status.state;
    const detail = [];
    if (status.reason) detail.push("(" + status.reason + ")");
    if (status.queue) detail.push(status.queue);
    document.getElementById("state-detail").textContent = detail.join(" · ");
    if (status.call && status.call !== box.dataset.call) loadPop(status.call);
    box.dataset.call = status.call || box.dataset.call || "";
  }

  async function loadPop(call) {
    const box = document.getElementById("status");
    const pop = document.getElementById("pop");
    const current = pop.querySelector(".pop");
    if (current && current.dataset.call === call) return;
    const url = box.dataset.popUrl.replace("CALL", encodeURIComponent(call));
    const response = await send(url, {method: "GET"});
    if (!response.ok) return;
    pop.innerHTML = await response.text();
    pop.classList.add("flash-in");
    setUpDrafts(pop);
    const kind = document.getElementById("kind");
    if (kind) kind.focus();
  }

  function setUpStateForms() {
    document.querySelectorAll("form.state-form").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const body = new FormData(form);
        if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
        const message = document.getElementById("state-message");
        message.textContent = "";
        try {
          // form.action would be the field named "action", not the form's address
          const response = await send(form.getAttribute("action"), {method: "POST", body});
          const data = await response.json();
          if (data.message) message.textContent = data.message;
          if (data.status) showStatus(data.status);
        } catch (error) {
          if (error.message !== "logged out") message.textContent = "No answer from the server. / सर्वर से उत्तर नहीं।";
        }
      });
    });
  }

  // --- event streams -----------------------------------------------------------------------
  function listen(url, name, onData, onState) {
    let source = new EventSource(url);
    const attach = () => {
      source.addEventListener(name, (e) => { onState(true); onData(JSON.parse(e.data)); });
      source.onerror = async () => {
        onState(false);
        if (source.readyState !== EventSource.CLOSED) return;  // the browser retries by itself
        try {
          await send(location.pathname + location.search, {method: "GET"});
          setTimeout(() => { source = new EventSource(url); attach(); }, 2000);
        } catch (error) { /* toLogin() has been called */ }
      };
    };
    attach();
  }

  function setUpStreams() {
    const status = document.getElementById("status");
    if (status && status.dataset.events) {
      listen(status.dataset.events, "status", showStatus, () => {});
    }
    const board = document.getElementById("board");
    if (board && board.dataset.events) {
      const dot = document.getElementById("board-status");
      listen(board.dataset.events, "board", (data) => {
        if (data.html) board.innerHTML = data.html;
      }, (ok) => { if (dot) dot.classList.toggle("off", !ok); });
    }
  }

  // --- keyboard ----------------------------------------------------------------------------
  function setUpKeys() {
    document.addEventListener("keydown", (event) => {
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "");
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        const form = document.getElementById("complaint-form");
        if (form) { event.preventDefault(); form.requestSubmit(); }
        return;
      }
      if (event.key === "/" && !typing) {
        const search = document.getElementById("search");
        if (search) { event.preventDefault(); search.focus(); }
        return;
      }
      const target = document.querySelector('[data-shortcut="' + event.key + '"]');
      if (target && /^F\d+$/.test(event.key)) { event.preventDefault(); target.click(); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const state = document.getElementById("state");
    if (state) {
      try { Object.assign(LABELS, JSON.parse(document.getElementById("state-labels")?.textContent || "{}")); } catch (e) { /* labels stay */ }
    }
    setUpDrafts(document);
    setUpStateForms();
    setUpStreams();
    setUpKeys();
  });
})();
