// HeyZack partner portal: hand-written, no framework. Reads the read API of this origin and applies credit
// through the credits service (its URL from /portal/config.json). Charts are inline SVG drawn here.
"use strict";

(function () {
  const TOKEN_KEY = "heyzack.token";
  const SVG = "http://www.w3.org/2000/svg";
  const POLL_MS = 5000; // only while the live stream is down
  const RECONNECT_MS = 2000;
  const COALESCE_MS = 150;

  const CARDS = [
    ["total_customers", "Total Customers",
      "The total number of customers registered in your partner account, active or inactive."],
    ["active_installations", "Active Installations",
      "The total number of installation jobs recorded in the system, across all statuses."],
    ["completed_installations", "Completed Installations",
      "The number of installations that have been approved by the customer (status Customer Approved)."],
    ["available_handymen", "Available Handymen",
      "Your technician availability as a ratio: available technicians out of your total roster."],
    ["monthly_revenue", "Monthly Revenue",
      "Your total revenue for the current month, displayed in EUR."],
    ["customer_satisfaction", "Customer Satisfaction",
      "The average customer rating across all rated installations, expressed as a score out of 5."],
    ["available_credit", "Available Credit",
      "Your current partner credit balance in EUR, which you can apply to Shopify orders."],
  ];

  const LABELS = {
    created: "Created", approved: "Approved", completion_rate: "Completion rate",
    avg_job_duration_minutes: "Avg. job duration", pending_backlog: "Pending backlog",
    handymen: "Handymen", average_rating: "Average rating", avg_response_minutes: "Avg. response time",
    revenue_cents: "Revenue", orders: "Orders", units_sold: "Units sold", skus_low_stock: "SKUs low on stock",
    partner_revenue_cents: "Partner revenue", product_sales_cents: "Product sales",
    service_fees_cents: "Service fees", margin_rate: "Profit margin", unpaid_cents: "Unpaid",
    commission_cents: "Commission", nps: "NPS", ratings: "Ratings",
    survey_response_rate: "Survey response rate", issue_resolution_rate: "Issue resolution rate",
    by_device_type: "By device type", device_type: "Device type", name: "Name",
    certifications: "Certifications", skills: "Skills", handyman_id: "Handyman", on_hand: "On hand",
    low: "Low stock", units: "Units", installations: "Installations", stock: "Stock",
    units_by_sku: "Units sold by SKU", usage_by_device_type: "Installations by device type",
    usage_by_sku: "Installations and units by SKU", revenue_by_source: "Revenue by source",
    margin_by_category: "Margin by category", aging: "Payment aging", commission_by_month: "Commission by month",
    cost_cents: "Cost", month_total_cents: "Month total", sku: "SKU", positive: "Positive", neutral: "Neutral",
    negative: "Negative",
  };

  const state = {
    token: null,
    config: { credits_url: "" },
    configLoaded: null,
    dashboard: null,
    dashboardAt: 0,
    tab: null, // the selected report tab's name
    tabs: null, // [{name, label, charts}] from GET /v1/reports: the server's registry is the one list of tabs
    range: { preset: "last_30_days", start: "", end: "" },
    report: null,
    timer: null,
    ticker: null,
    live: null, // {controller, connected}: the open GET /v1/changes stream
    refreshSoon: null,
    idempotencyKey: null,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // ---- errors and API ---------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function failure(response) {
    let message = `The server answered ${response.status} ${response.statusText}.`;
    let code = "http_error";
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) {
        message = body.error.message;
        code = body.error.code || code;
      }
    } catch (_) { /* not JSON: keep the status line */ }
    return new ApiError(response.status, message, code);
  }

  async function request(url, options) {
    const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, (options || {}).headers);
    let response;
    try {
      response = await fetch(url, Object.assign({}, options, { headers }));
    } catch (error) {
      throw new ApiError(0, `Could not reach ${new URL(url, location.href).host}: is the service running?`, "network");
    }
    if (response.status === 401) {
      const error = await failure(response);
      signOut(`Please sign in again: ${error.message}`);
      throw error;
    }
    if (!response.ok) throw await failure(response);
    return response;
  }

  async function getJson(url) {
    return (await request(url)).json();
  }

  function notice(message, kind) {
    const box = $("notice");
    if (!message) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    box.className = `notice ${kind || "error"}`;
    box.textContent = message;
    box.hidden = false;
  }

  // ---- formatting -----------------------------------------------------------------------------------

  function euros(cents) {
    if (cents === null || cents === undefined) return "—";
    const whole = Math.round(cents / 100);
    return `${whole < 0 ? "-" : ""}€${Math.abs(whole).toLocaleString("en-US")}`;
  }

  function formatFigure(key, value) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return String(value);
    if (key.endsWith("_cents")) return euros(value);
    if (key.endsWith("_rate") || key === "rate") return `${(value * 100).toFixed(1)}%`;
    if (key.endsWith("_minutes")) {
      if (value >= 90) return `${(value / 60).toFixed(1)} h`;
      return `${Math.round(value)} min`;
    }
    if (key === "average_rating") return `${value.toFixed(1)}/5`;
    if (key === "nps") return value.toFixed(0);
    return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
  }

  // Figures where a rise is bad news: their arrows keep pointing the way the number went, coloured as news.
  const LOWER_IS_BETTER = new Set([
    "avg_job_duration_minutes", "pending_backlog", "avg_response_minutes", "unpaid_cents", "skus_low_stock",
  ]);

  // The change against the previous period: relative for amounts and counts, in points for rates.
  function change(key, value, previous) {
    if (typeof value !== "number" || typeof previous !== "number") return { text: "no previous data", dir: "flat" };
    const rate = key.endsWith("_rate");
    const delta = rate ? (value - previous) * 100 : previous === 0 ? null : ((value - previous) / Math.abs(previous)) * 100;
    if (delta === null && value === 0) return { text: "no change", dir: "flat" };
    if (delta !== null && Math.abs(delta) < 0.05) return { text: "no change", dir: "flat" };
    const rose = delta === null ? value > 0 : delta > 0;
    const news = rose !== LOWER_IS_BETTER.has(key) ? "up" : "down";
    const arrow = rose ? "▲" : "▼";
    if (delta === null) return { text: `${arrow} new vs previous period`, dir: news };
    const amount = rate ? `${Math.abs(delta).toFixed(1)} pp` : `${Math.abs(delta).toFixed(1)}%`;
    return { text: `${arrow} ${amount} vs previous period`, dir: news };
  }

  function label(key) {
    return LABELS[key] || key.replace(/_cents$/, "").replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  }

  function ago(isoMoment) {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(isoMoment)) / 1000));
    if (seconds < 60) return `updated ${seconds} s ago`;
    const minutes = Math.round(seconds / 60);
    return `updated ${minutes} min ago`;
  }

  // ---- sign-in ------------------------------------------------------------------------------------------

  function tokenFromAddress() {
    const url = new URL(location.href);
    const token = url.searchParams.get("token");
    if (token) {
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
      return token.trim();
    }
    return null;
  }

  function partnerOf(token) {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).partner_id || "";
    } catch (_) {
      return "";
    }
  }

  function signIn(token) {
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("who").textContent = partnerOf(token);
    $("nav").hidden = false;
    $("sign-out").hidden = false;
    $("signin").hidden = true;
    route();
  }

  function signOut(message) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    clearInterval(state.timer);
    clearInterval(state.ticker);
    stopLive();
    state.dashboard = null;
    $("cards").replaceChildren();
    $("report-panel").replaceChildren();
    $("who").textContent = "";
    $("nav").hidden = true;
    $("sign-out").hidden = true;
    $("dashboard").hidden = true;
    $("reports").hidden = true;
    $("signin").hidden = false;
    notice(message || "", message ? "error" : undefined);
    $("token-input").value = "";
    $("token-input").focus();
  }

  // ---- routing -----------------------------------------------------------------------------------------

  function route() {
    if (!state.token) return;
    const view = location.hash === "#reports" ? "reports" : "dashboard";
    $("dashboard").hidden = view !== "dashboard";
    $("reports").hidden = view !== "reports";
    $("nav-dashboard").toggleAttribute("aria-current", view === "dashboard");
    $("nav-reports").toggleAttribute("aria-current", view === "reports");
    if (view === "dashboard") {
      if ($("nav-dashboard").hasAttribute("aria-current")) $("nav-dashboard").setAttribute("aria-current", "page");
      loadDashboard();
    } else {
      $("nav-reports").setAttribute("aria-current", "page");
      loadReport();
    }
    if (!state.live) startLive();
    clearInterval(state.timer);
    state.timer = setInterval(() => {
      if (document.hidden || !state.token || (state.live && state.live.connected)) return;
      refreshOpenView();
    }, POLL_MS);
    clearInterval(state.ticker);
    state.ticker = setInterval(showFreshness, 1000);
  }

  // ---- dashboard ---------------------------------------------------------------------------------------

  function buildCards() {
    const grid = $("cards");
    grid.replaceChildren();
    for (const [key, title, explanation] of CARDS) {
      const tipId = `tip-${key}`;
      const card = el("article", {
        class: "card kpi", id: `card-${key}`, tabindex: 0, title: explanation,
        "aria-labelledby": `title-${key}`, "aria-describedby": tipId, "data-card": key,
      },
        el("h2", { id: `title-${key}`, text: title }),
        el("p", { class: "value", "data-role": "display" }),
        el("span", { class: "tooltip", role: "tooltip", id: tipId, text: explanation }));
      if (key === "customer_satisfaction") {
        card.append(el("div", { class: "distribution", "data-role": "distribution" }));
      }
      if (key === "monthly_revenue") card.append(el("p", { class: "muted small", "data-role": "month" }));
      if (key === "available_credit") {
        const button = el("button", { type: "button", id: "use-credit", hidden: true, text: "Use Credit" });
        button.addEventListener("click", openCreditDialog);
        card.append(button);
      }
      grid.append(card);
    }
  }

  function distribution(box, card) {
    const counts = [1, 2, 3, 4, 5].map((s) => card.distribution[String(s)] || 0);
    const most = Math.max(1, ...counts);
    const list = el("ol", { class: "bars", "aria-label": `Rating distribution, ${card.count} ratings` });
    for (let stars = 5; stars >= 1; stars -= 1) {
      const n = counts[stars - 1];
      const bar = el("span", { class: "bar" });
      bar.style.width = `${(n / most) * 100}%`;
      list.append(el("li", { "data-stars": stars, "aria-label": `${stars} stars: ${n}` },
        el("span", { class: "stars", text: `${stars}★` }),
        el("span", { class: "track" }, bar),
        el("span", { class: "count", text: n })));
    }
    box.replaceChildren(list);
  }

  async function loadDashboard(quiet) {
    try {
      const dashboard = await getJson("/v1/dashboard");
      state.dashboard = dashboard;
      state.dashboardAt = Date.now();
      renderDashboard(dashboard);
      if (!quiet) notice("");
    } catch (error) {
      if (error.status !== 401) notice(`The dashboard could not be loaded: ${error.message}`);
    }
  }

  // A User Timing mark the first time a view shows data: what `make bench` reads as the page-load time.
  function markShown(view) {
    const name = `heyzack:${view}-shown`;
    if (!performance.getEntriesByName(name).length) performance.mark(name);
  }

  function renderDashboard(dashboard) {
    if (!$("cards").children.length) buildCards();
    for (const [key] of CARDS) {
      const card = dashboard.cards[key];
      const node = $(`card-${key}`);
      const value = node.querySelector("[data-role=display]");
      if (value.textContent !== card.display) value.textContent = card.display;
      if (key === "customer_satisfaction") distribution(node.querySelector("[data-role=distribution]"), card);
      if (key === "monthly_revenue") node.querySelector("[data-role=month]").textContent = `Month ${card.month}`;
      if (key === "available_credit") $("use-credit").hidden = !card.can_use_credit;
    }
    showFreshness();
    markShown("dashboard");
  }

  // A view the projector is still rebuilding (its store or the broker lost data) must not pass for the
  // partner's figures: say so instead of how fresh they are.
  function freshness(view) {
    if (view.rebuilding) return "Rebuilding the figures: incomplete until it is done";
    return (state.live && state.live.connected ? "Live · " : "") + ago(view.as_of);
  }

  function showFreshness() {
    if (state.dashboard) $("dashboard-fresh").textContent = freshness(state.dashboard);
    if (state.report) {
      const fresh = document.querySelector("#report-panel [data-role=fresh]");
      if (fresh) fresh.textContent = freshness(state.report);
    }
  }

  // ---- live updates: GET /v1/changes (Server-Sent Events, read with fetch so the token goes in a header) ----

  function startLive() {
    stopLive();
    state.live = { controller: new AbortController(), connected: false };
    listen(state.live);
  }

  function stopLive() {
    if (state.live) state.live.controller.abort();
    state.live = null;
  }

  async function listen(live) {
    const signal = live.controller.signal;
    while (!signal.aborted) {
      try {
        const response = await fetch("/v1/changes", {
          headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" }, signal, cache: "no-store",
        });
        if (response.status === 401) {
          signOut(`Please sign in again: ${(await failure(response)).message}`);
          return;
        }
        if (response.ok) await readEvents(response.body, live);
      } catch (_) { /* network error or aborted: reconnect below unless aborted */ }
      live.connected = false;
      showFreshness();
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  async function readEvents(body, live) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        onServerEvent(buffer.slice(0, end), live);
        buffer = buffer.slice(end + 2);
      }
    }
  }

  function onServerEvent(block, live) {
    let name = "message";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
    }
    if (name === "ready") {
      live.connected = true;
      // Whatever changed before the stream listened (the first read may have raced it, or it was down).
      refreshOpenView();
    } else if (name === "changed" && !state.refreshSoon) {
      // At most one refresh per COALESCE_MS however fast batches land (a burst is read once).
      state.refreshSoon = setTimeout(() => {
        state.refreshSoon = null;
        refreshOpenView();
      }, COALESCE_MS);
    }
  }

  function refreshOpenView() {
    if (document.hidden || !state.token) return;
    if (!$("dashboard").hidden && !$("credit-dialog").open) loadDashboard(true);
    if (!$("reports").hidden) loadReport();
  }

  // ---- credit dialog ------------------------------------------------------------------------------------

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function openCreditDialog() {
    const dialog = $("credit-dialog");
    state.idempotencyKey = newKey();
    $("credit-form").reset();
    $("credit-error").hidden = true;
    $("credit-result").hidden = true;
    $("credit-submit").disabled = false;
    $("credit-submit").hidden = false;
    $("credit-cancel").textContent = "Cancel";
    for (const id of ["credit-order", "credit-cart", "credit-amount"]) {
      $(id).disabled = false;
      $(id).removeAttribute("aria-invalid");
    }
    $("credit-balance").textContent = state.dashboard ? state.dashboard.cards.available_credit.display : "";
    dialog.showModal();
    $("credit-order").focus();
  }

  function cents(text) {
    const cleaned = text.trim().replace(/[€\s]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return null;
    const [whole, fraction = ""] = cleaned.split(".");
    return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  }

  function creditProblem() {
    const order = $("credit-order").value.trim();
    const cart = cents($("credit-cart").value);
    const amount = cents($("credit-amount").value);
    const balance = state.dashboard ? state.dashboard.cards.available_credit.value_cents : 0;
    if (!order) return ["credit-order", "Enter the Shopify order reference."];
    if (cart === null || cart <= 0) return ["credit-cart", "Enter the cart total in euros, for example 200.00."];
    if (amount === null || amount <= 0) return ["credit-amount", "The credit amount must be more than €0."];
    if (amount > cart) return ["credit-amount", "The credit amount cannot exceed the cart total."];
    if (amount > balance) return ["credit-amount", `The credit amount cannot exceed your available credit (${euros(balance)}, rounded down: ${(balance / 100).toFixed(2)} €).`];
    return null;
  }

  async function submitCredit(event) {
    event.preventDefault();
    const submit = $("credit-submit");
    if (submit.disabled) return;
    const error = $("credit-error");
    error.hidden = true;
    for (const id of ["credit-order", "credit-cart", "credit-amount"]) $(id).removeAttribute("aria-invalid");
    const problem = creditProblem();
    if (problem) {
      $(problem[0]).setAttribute("aria-invalid", "true");
      error.textContent = problem[1];
      error.hidden = false;
      $(problem[0]).focus();
      return;
    }
    submit.disabled = true;
    const body = {
      shopify_order_ref: $("credit-order").value.trim(),
      cart_total_cents: cents($("credit-cart").value),
      amount_cents: cents($("credit-amount").value),
    };
    try {
      await state.configLoaded;
      const response = await request(`${state.config.credits_url}/v1/credits/apply`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": state.idempotencyKey },
        body: JSON.stringify(body),
      });
      const applied = await response.json();
      const balance = euros(Math.floor(applied.balance_after_cents / 100) * 100);
      if (state.dashboard) {
        const card = state.dashboard.cards.available_credit;
        card.value_cents = applied.balance_after_cents;
        card.display = balance;
        card.can_use_credit = applied.balance_after_cents > 0;
        renderDashboard(state.dashboard);
      }
      const result = $("credit-result");
      result.textContent = `Applied ${euros(applied.amount_cents).replace(/^€/, "€")} to order ${applied.shopify_order_ref}. New balance: ${balance}.`;
      result.hidden = false;
      submit.hidden = true;
      for (const id of ["credit-order", "credit-cart", "credit-amount"]) $(id).disabled = true;
      $("credit-cancel").textContent = "Close";
      $("credit-cancel").focus();
      setTimeout(() => loadDashboard(true), 800);
    } catch (failure_) {
      error.textContent = `The credit was not applied: ${failure_.message}`;
      error.hidden = false;
      submit.disabled = false;
    }
  }

  // ---- reports ------------------------------------------------------------------------------------------

  function rangeQuery() {
    const r = state.range;
    const params = new URLSearchParams({ range: r.preset });
    if (r.preset === "custom") {
      params.set("start", r.start);
      params.set("end", r.end);
    }
    return params.toString();
  }

  function selectTab(tab, focus) {
    state.tab = tab;
    for (const button of document.querySelectorAll("#tabs [role=tab]")) {
      const selected = button.dataset.tab === tab;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) button.focus();
    }
    $("report-panel").setAttribute("aria-labelledby", `tab-${tab}`);
    loadReport();
  }

  let tabsRequest = null;

  // The tabs are read once (they are the same for every partner); a failed read is tried again next time.
  function loadTabs() {
    if (state.tabs) return Promise.resolve(state.tabs);
    if (!tabsRequest) {
      tabsRequest = getJson("/v1/reports")
        .then((body) => {
          state.tabs = body.tabs;
          if (!state.tab && state.tabs.length) state.tab = state.tabs[0].name;
          buildTabs();
          return state.tabs;
        })
        .finally(() => { tabsRequest = null; });
    }
    return tabsRequest;
  }

  function buildTabs() {
    const buttons = state.tabs.map((tab) => el("button", {
      type: "button", role: "tab", id: `tab-${tab.name}`, "data-tab": tab.name, "aria-controls": "report-panel",
      text: tab.label,
    }));
    for (const button of buttons) {
      button.addEventListener("click", () => selectTab(button.dataset.tab));
      button.addEventListener("keydown", (event) => {
        const at = buttons.indexOf(button);
        let next = null;
        if (event.key === "ArrowRight") next = buttons[(at + 1) % buttons.length];
        else if (event.key === "ArrowLeft") next = buttons[(at - 1 + buttons.length) % buttons.length];
        else if (event.key === "Home") next = buttons[0];
        else if (event.key === "End") next = buttons[buttons.length - 1];
        if (next) {
          event.preventDefault();
          selectTab(next.dataset.tab, true);
        }
      });
    }
    $("tabs").replaceChildren(...buttons);
    selectTabMarkup();
  }

  function chartsOf(name) {
    const tab = (state.tabs || []).find((t) => t.name === name);
    return tab ? tab.charts : [];
  }

  let reportRequest = 0;

  async function loadReport() {
    const panel = $("report-panel");
    const mine = ++reportRequest;
    panel.setAttribute("aria-busy", "true");
    if (!panel.children.length) panel.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    try {
      await loadTabs();
      if (mine !== reportRequest) return;
      const report = await getJson(`/v1/reports/${state.tab}?${rangeQuery()}`);
      if (mine !== reportRequest) return;
      state.report = report;
      renderReport(report);
      notice("");
    } catch (error) {
      if (mine !== reportRequest) return;
      state.report = null;
      if (error.status !== 401) {
        panel.replaceChildren(el("div", { class: "card", role: "alert" },
          el("h2", { text: "This report could not be loaded" }), el("p", { text: error.message })));
      }
    } finally {
      if (mine === reportRequest) panel.removeAttribute("aria-busy");
    }
  }

  function renderReport(report) {
    const panel = $("report-panel");
    const range = report.range;
    const head = el("p", { class: "muted range-line" },
      `${range.start} to ${range.end} (${range.timezone}), compared with ${report.previous_range.start} to ${report.previous_range.end} · `,
      el("span", { "data-role": "fresh", text: freshness(report) }));
    const summary = el("div", { class: "summary" });
    for (const [key, figure] of Object.entries(report.summary || {})) {
      const delta = change(key, figure.value, figure.previous);
      summary.append(el("div", { class: "card figure", "data-figure": key },
        el("h3", { text: label(key) }),
        el("p", { class: "value", text: formatFigure(key, figure.value) }),
        el("p", { class: `change ${delta.dir}`, text: delta.text }),
        el("p", { class: "muted small", text: `previous: ${formatFigure(key, figure.previous)}` })));
    }
    const charts = el("div", { class: "charts" },
      ...chartsOf(report.tab).map((spec) => chartCard(spec, report)));
    const tables = Object.entries(report.tables || {}).map(([name, rows]) =>
      el("section", { class: "card", "data-table": name }, el("h2", { text: label(name) }),
        rows.length ? table(rows, name) : el("p", { class: "muted", text: "No data in this range." })));
    panel.replaceChildren(head, summary, charts, ...tables);
    markShown("report");
  }

  function chartCard(spec, report) {
    const rows = spec.series ? (report.series || {})[spec.series] || [] : (report.tables || {})[spec.table] || [];
    const card = el("section", { class: spec.series ? "card wide" : "card", "data-chart": spec.series || spec.table },
      el("h2", { text: spec.title }));
    const anything = rows.some((row) => (spec.radar ? Object.values(row.skills || {}).some((v) => v > 0)
      : spec.keys.some((k) => typeof row[k] === "number" && row[k] !== 0)));
    if (!anything) {
      card.append(el("p", { class: "muted", text: "No data in this range." }));
      return card;
    }
    if (spec.radar) card.append(radarChart(rows.slice(0, spec.top), spec.title));
    else if (spec.series) card.append(lineChart(rows, spec));
    else card.append(barChart(spec.top ? rows.slice(0, spec.top) : rows, spec));
    return card;
  }

  function rowLabel(row) {
    const text = row.name || row.device_type || row.sku || row.source || row.category || row.bucket
      || row.month || row.handyman_id || "";
    return String(text).replace(/_/g, " ");
  }

  function cell(key, value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
    if (key === "skills") {
      const known = Object.entries(value).filter(([, level]) => level > 0).sort((a, b) => b[1] - a[1]);
      return known.map(([skill, level]) => `${skill.replace(/_/g, " ")} ${level}`).join(" · ") || "—";
    }
    if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(", ") || "—";
    if (typeof value === "number") return formatFigure(key, value);
    if (key === "device_type" || key === "source" || key === "category" || key === "bucket") return value.replace(/_/g, " ");
    return String(value);
  }

  function table(rows, name) {
    // Internal ids (long, meaningless to a partner) only where nothing names the row; exports keep them.
    const columns = Object.keys(rows[0]).filter((c) => !(c.endsWith("_id") && "name" in rows[0]));
    const numeric = (c) => rows.every((r) => r[c] === null || typeof r[c] === "number");
    const wrapper = el("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": `${label(name)} table` });
    const head = el("tr", {}, ...columns.map((c) => el("th", { scope: "col", class: numeric(c) ? "num" : null, text: label(c) })));
    const body = rows.map((row) => el("tr", {}, ...columns.map((c) =>
      el("td", { class: numeric(c) ? "num" : c === "skills" || c === "certifications" ? "wrap" : null, text: cell(c, row[c]) }))));
    wrapper.append(el("table", {}, el("caption", { class: "visually-hidden", text: label(name) }),
      el("thead", {}, head), el("tbody", {}, ...body)));
    return wrapper;
  }

  const PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"];

  function colour(spec, n) {
    return (spec.colours || PALETTE)[n % PALETTE.length];
  }

  function legend(names, colours) {
    return el("p", { class: "legend" }, ...names.map((name, i) => {
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = colours[i];
      return el("span", {}, swatch, ` ${name}`);
    }));
  }

  function axisText(key, value) {
    if (key.endsWith("_cents")) return euros(value);
    if (Number.isInteger(value) || Math.abs(value) >= 10) return String(Math.round(value));
    return value.toFixed(1);
  }

  function lineChart(points, spec) {
    const xKey = Object.keys(points[0]).find((k) => typeof points[0][k] === "string");
    const keys = spec.keys;
    const W = 720, H = 220, L = 64, R = 12, T = 10, B = 28;
    const values = points.flatMap((p) => keys.map((k) => p[k]).filter((v) => typeof v === "number"));
    let [bottom, top] = spec.scale || [Math.min(0, ...values), Math.max(1, ...values)];
    if (top === bottom) top = bottom + 1;
    const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
    const y = (v) => T + ((top - v) * (H - T - B)) / (top - bottom);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart line", role: "img", "aria-label": spec.title });
    chart.append(svg("title", {}, document.createTextNode(spec.title)));
    for (const tick of [bottom, (top + bottom) / 2, top]) {
      chart.append(svg("line", { x1: L, x2: W - R, y1: y(tick), y2: y(tick), class: "grid" }));
      const t = svg("text", { x: L - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" });
      t.textContent = axisText(keys[0], tick);
      chart.append(t);
    }
    const every = Math.max(1, Math.ceil(points.length / 7));
    points.forEach((p, i) => {
      if (i % every !== 0 && i !== points.length - 1) return;
      const t = svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "axis" });
      t.textContent = String(p[xKey]).slice(5);
      chart.append(t);
    });
    keys.forEach((k, n) => {
      let d = "";
      let pen = false;
      points.forEach((p, i) => {
        const v = p[k];
        if (typeof v !== "number") { pen = false; return; } // no data that day/week: a gap, not a zero
        d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
        pen = true;
        const dot = svg("circle", { cx: x(i), cy: y(v), r: points.length > 40 ? 1.5 : 3, fill: colour(spec, n) });
        dot.append(svg("title", {}, document.createTextNode(`${p[xKey]}: ${label(k)} ${formatFigure(k, v)}`)));
        chart.append(dot);
      });
      if (d) chart.append(svg("path", { d, fill: "none", stroke: colour(spec, n), "stroke-width": 2 }));
    });
    return el("figure", { class: "figure-chart" }, chart, legend(keys.map(label), keys.map((_, n) => colour(spec, n))));
  }

  // Horizontal bars drawn at their natural size (text stays 11px however many rows); all bars of a chart
  // share one scale, since a chart shows one unit.
  function barChart(rows, spec) {
    const keys = spec.keys;
    const rowH = 16 * keys.length + 10;
    const W = 540, L = 150, R = 76;
    const H = rows.length * rowH + 6;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, class: "chart bars", role: "img", "aria-label": spec.title });
    chart.append(svg("title", {}, document.createTextNode(spec.title)));
    const most = spec.scale ? spec.scale[1] : Math.max(1e-9, ...rows.flatMap((r) => keys.map((k) => Math.abs(r[k] || 0))));
    rows.forEach((row, i) => {
      const y0 = 4 + i * rowH;
      const name = svg("text", { x: L - 8, y: y0 + rowH / 2 + 1, "text-anchor": "end", class: "axis" });
      const text = rowLabel(row);
      name.textContent = text.length > 22 ? `${text.slice(0, 21)}…` : text;
      chart.append(name);
      keys.forEach((k, n) => {
        const v = typeof row[k] === "number" ? row[k] : 0;
        const width = (Math.abs(v) / most) * (W - L - R);
        const bar = svg("rect", { x: L, y: y0 + n * 16, width: Math.max(1, width), height: 12, rx: 2, fill: colour(spec, n) });
        bar.append(svg("title", {}, document.createTextNode(`${rowLabel(row)}: ${label(k)} ${formatFigure(k, row[k])}`)));
        chart.append(bar);
        const value = svg("text", { x: L + width + 4, y: y0 + n * 16 + 10, class: "axis" });
        value.textContent = formatFigure(k, row[k]);
        chart.append(value);
      });
    });
    const figure = el("figure", { class: "figure-chart" }, chart);
    if (keys.length > 1) figure.append(legend(keys.map(label), keys.map((_, n) => colour(spec, n))));
    return figure;
  }

  function radarChart(rows, title) {
    const categories = ["smart_lock", "camera", "thermostat", "network", "alarm", "lighting"];
    for (const row of rows) for (const k of Object.keys(row.skills || {})) if (!categories.includes(k)) categories.push(k);
    const S = 320, C = S / 2, Rad = 105;
    const chart = svg("svg", { viewBox: `0 0 ${S} ${S}`, class: "chart radar", role: "img", "aria-label": `${title}, levels 0 to 5` });
    chart.append(svg("title", {}, document.createTextNode(title)));
    const point = (i, level) => {
      const angle = (Math.PI * 2 * i) / categories.length - Math.PI / 2;
      return [C + Math.cos(angle) * Rad * (level / 5), C + Math.sin(angle) * Rad * (level / 5)];
    };
    for (let level = 1; level <= 5; level += 1) {
      const ring = categories.map((_, i) => point(i, level).map((n) => n.toFixed(1)).join(",")).join(" ");
      chart.append(svg("polygon", { points: ring, class: "grid", fill: "none" }));
    }
    categories.forEach((cat, i) => {
      const [x, y] = point(i, 5);
      chart.append(svg("line", { x1: C, y1: C, x2: x, y2: y, class: "grid" }));
      const [lx, ly] = point(i, 6.2);
      const t = svg("text", { x: lx, y: ly + 4, "text-anchor": "middle", class: "axis" });
      t.textContent = cat.replace(/_/g, " ");
      chart.append(t);
    });
    rows.forEach((row, n) => {
      const shape = categories.map((cat, i) => point(i, (row.skills || {})[cat] || 0).map((v) => v.toFixed(1)).join(",")).join(" ");
      const polygon = svg("polygon", { points: shape, fill: PALETTE[n], "fill-opacity": 0.18, stroke: PALETTE[n], "stroke-width": 2 });
      polygon.append(svg("title", {}, document.createTextNode(`${rowLabel(row)}: ${cell("skills", row.skills)}`)));
      chart.append(polygon);
    });
    return el("figure", { class: "figure-chart radar-wrap" }, chart,
      legend(rows.map(rowLabel), rows.map((_, n) => PALETTE[n])));
  }

  async function exportReport(format) {
    if (!state.tab) return; // the tabs are not known yet
    const button = document.querySelector(`[data-format=${format}]`);
    button.disabled = true;
    try {
      const response = await request(`/v1/reports/${state.tab}/export?format=${format}&${rangeQuery()}`);
      const blob = await response.blob();
      const disposition = response.headers.get("Content-Disposition") || "";
      const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
      const name = match ? decodeURIComponent(match[1]) : `${state.tab}.${format}`;
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      notice(`Downloaded ${name}.`, "info");
    } catch (error) {
      if (error.status !== 401) notice(`The export failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring -------------------------------------------------------------------------------------------

  async function loadConfig() {
    try {
      const response = await fetch("/portal/config.json");
      if (response.ok) state.config = await response.json();
    } catch (_) { /* keep the default */ }
  }

  function start() {
    state.configLoaded = loadConfig(); // not on the way to the first figures: only Use Credit needs it

    $("signin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
      if (token) signIn(token);
    });
    $("sign-out").addEventListener("click", () => signOut());
    $("dashboard-refresh").addEventListener("click", () => loadDashboard());
    $("report-refresh").addEventListener("click", () => loadReport());
    $("credit-form").addEventListener("submit", submitCredit);
    $("credit-cancel").addEventListener("click", () => $("credit-dialog").close());
    $("credit-dialog").addEventListener("close", () => { state.idempotencyKey = null; });
    for (const button of document.querySelectorAll("[data-format]")) {
      button.addEventListener("click", () => exportReport(button.dataset.format));
    }
    $("range-select").addEventListener("change", () => {
      const preset = $("range-select").value;
      $("custom-range").hidden = preset !== "custom";
      if (preset === "custom") {
        const today = new Date().toISOString().slice(0, 10);
        if (!$("range-end").value) $("range-end").value = today;
        if (!$("range-start").value) $("range-start").value = new Date(Date.now() - 29 * 864e5).toISOString().slice(0, 10);
        $("range-start").focus();
        return;
      }
      state.range = { preset, start: "", end: "" };
      loadReport();
    });
    $("range-apply").addEventListener("click", () => {
      const start = $("range-start").value;
      const end = $("range-end").value;
      if (!start || !end) {
        notice("Choose both a start and an end date for the custom range.");
        return;
      }
      if (start > end) {
        notice("The start date must be on or before the end date.");
        return;
      }
      state.range = { preset: "custom", start, end };
      loadReport();
    });
    window.addEventListener("hashchange", route);
    // Changes told while the page was hidden were not read (refreshOpenView skips hidden pages): catch up.
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshOpenView(); });

    const token = tokenFromAddress() || sessionStorage.getItem(TOKEN_KEY);
    if (token) signIn(token);
    else signOut();
  }

  function selectTabMarkup() {
    for (const button of document.querySelectorAll("#tabs [role=tab]")) {
      const selected = button.dataset.tab === state.tab;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    $("report-panel").setAttribute("aria-labelledby", `tab-${state.tab}`);
  }

  window.addEventListener("error", (event) => notice(`Something went wrong in the page: ${event.message}`));
  window.addEventListener("unhandledrejection", (event) => notice(`Something went wrong: ${event.reason && event.reason.message ? event.reason.message : event.reason}`));

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
