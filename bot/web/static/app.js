// The hotline lookup page. Every piece of text from a question or an entry goes into the page
// with textContent, never as markup. No code or font is loaded from anywhere but this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const box = $("q"), results = $("results"), status = $("status");
  const answer = $("answer"), answerText = $("answer-text"), choices = $("choices");
  const tokenForm = $("token"), tokenInput = $("token-input");
  const TOKEN_KEY = "skillbot-web-token";
  let session = sessionStorage.getItem("skillbot-session");
  if (!session) {
    session = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2))
      .replace(/[^A-Za-z0-9_-]/g, "");
    sessionStorage.setItem("skillbot-session", session);
  }
  const initData = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
  let cards = [], selected = -1, pending = null, retry = null;

  function auth() {
    if (initData) return { Authorization: "tma " + initData };
    const token = localStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: "Bearer " + token } : {};
  }

  async function api(path, params) {
    const url = path + "?" + new URLSearchParams(params).toString();
    if (pending) pending.abort();
    pending = new AbortController();
    const response = await fetch(url, { headers: auth(), signal: pending.signal });
    if (response.status === 401) {
      retry = () => api(path, params);
      tokenForm.hidden = false;
      tokenInput.focus();
      throw new Error("unauthorized");
    }
    return response.json();
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function render(list) {
    cards = list;
    selected = list.length ? 0 : -1;
    results.replaceChildren(...list.map(card));
    mark();
    status.textContent = list.length ? "" : (box.value.trim() ? "没有匹配的条目，回车当作问题问" : "");
  }

  function card(c, i) {
    const node = el("article", undefined, "card");
    node.tabIndex = 0;
    const h = el("h2");
    h.append(el("span", i + 1, "n"), el("span", c.name));
    if (c.shortage) h.append(el("span", "紧缺", "tag"));
    node.append(h);
    const meta = [c.kind, c.category ? c.category + "类" : "", c.code].filter(Boolean).join(" · ");
    node.append(el("div", meta, "meta"), el("div", "线上：" + c.online, "meta"));
    const table = el("table");
    const head = el("tr");
    head.append(el("th", "等级"), el("th", "补贴（元）"), el("th", "最低课时"));
    table.append(head);
    for (const [level, amount] of Object.entries(c.amounts)) {
      const row = el("tr");
      const hours = c.min_hours[level];
      row.append(el("td", level), el("td", amount, "num"),
        el("td", hours === null || hours === undefined ? "—" : hours, "num"));
      table.append(row);
    }
    node.append(table, el("div", "出处：" + c.citation, "cite"));
    const copy = el("button", "复制一行" + (i < 9 ? "（Alt+" + (i + 1) + "）" : ""));
    copy.type = "button";
    copy.addEventListener("click", () => copyLine(i));
    node.append(copy);
    node.addEventListener("keydown", (e) => {
      if (e.key === "c" || e.key === "Enter") { e.preventDefault(); copyLine(i); }
    });
    node.addEventListener("focus", () => { selected = i; mark(); });
    return node;
  }

  function mark() {
    [...results.children].forEach((n, i) => n.classList.toggle("selected", i === selected));
  }

  async function copyLine(i) {
    const c = cards[i];
    if (!c) return;
    try {
      await navigator.clipboard.writeText(c.text);
    } catch (_) {
      const area = el("textarea", c.text);
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    status.textContent = "已复制：" + c.text;
  }

  async function lookup() {
    const q = box.value.trim();
    if (!q) { render([]); return; }
    try {
      const data = await api("/api/lookup", { q });
      render(data.results || []);
    } catch (e) {
      if (e.name !== "AbortError" && e.message !== "unauthorized") status.textContent = "查询失败";
    }
  }

  async function ask(params) {
    try {
      const data = await api("/api/ask", { ...params, session });
      answer.hidden = false;
      answerText.textContent = data.answer;
      choices.replaceChildren(...(data.choices || []).map((c) => {
        const b = el("button", c.label);
        b.type = "button";
        b.addEventListener("click", () => ask({ choice: c.payload }));
        return b;
      }));
    } catch (e) {
      if (e.name !== "AbortError" && e.message !== "unauthorized") status.textContent = "提问失败";
    }
  }

  box.addEventListener("input", lookup);
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); if (box.value.trim()) ask({ q: box.value }); }
    else if (e.key === "ArrowDown" && cards.length) { e.preventDefault(); selected = Math.min(selected + 1, cards.length - 1); mark(); }
    else if (e.key === "ArrowUp" && cards.length) { e.preventDefault(); selected = Math.max(selected - 1, 0); mark(); }
    else if (e.key === "Escape") { box.value = ""; render([]); answer.hidden = true; }
    else if ((e.key === "c" || e.key === "C") && e.altKey) { e.preventDefault(); copyLine(selected); }
  });
  document.addEventListener("keydown", (e) => {
    if (e.altKey && /^[1-9]$/.test(e.key)) { e.preventDefault(); copyLine(Number(e.key) - 1); }
  });
  tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
    tokenForm.hidden = true;
    box.focus();
    if (retry) lookup();
  });
  box.focus();
})();
