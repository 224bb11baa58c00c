// The libgossip dashboard: renders Views received over Server-Sent Events.
// Plain DOM and SVG, no framework, no external resources.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const HISTORY = 90;
  const history = new Map(); // member id -> [{in, out}]
  const total = [];          // [{in, out, probe}]
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function fmt(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(1) + "M";
    if (n >= 1e3) return (n / 1e3).toFixed(1) + "k";
    return n >= 10 ? n.toFixed(0) : n.toFixed(1);
  }
  function push(arr, v) { arr.push(v); if (arr.length > HISTORY) arr.shift(); }

  function sizeCanvas(c) {
    const r = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * r)), h = Math.max(1, Math.round(c.clientHeight * r));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    return r;
  }
  function plot(c, series, colors, fill) {
    const r = sizeCanvas(c), g = c.getContext("2d"), w = c.width, h = c.height;
    g.clearRect(0, 0, w, h);
    let max = 1;
    for (const s of series) for (const v of s) max = Math.max(max, v);
    series.forEach((s, i) => {
      if (s.length < 2) return;
      const x = (j) => (j + HISTORY - s.length) * w / (HISTORY - 1);
      const y = (v) => h - 3 * r - (v / max) * (h - 8 * r);
      g.beginPath();
      s.forEach((v, j) => (j ? g.lineTo(x(j), y(v)) : g.moveTo(x(j), y(v))));
      g.strokeStyle = colors[i]; g.lineWidth = 1.6 * r; g.lineJoin = "round"; g.stroke();
      if (fill) {
        g.lineTo(x(s.length - 1), h); g.lineTo(x(0), h); g.closePath();
        g.globalAlpha = 0.12; g.fillStyle = colors[i]; g.fill(); g.globalAlpha = 1;
      }
    });
  }

  function renderRing(v) {
    const ring = $("ring");
    ring.replaceChildren();
    const R = 118, n = v.members.length;
    ring.appendChild(svg("circle", { class: "track", r: R, cx: 0, cy: 0 }));
    const pos = v.members.map((m, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
      return [R * Math.cos(a), R * Math.sin(a)];
    });
    // Faint edges from the observer: who it watches.
    const oi = v.members.findIndex((m) => m.observer);
    if (oi >= 0) pos.forEach((p, i) => {
      if (i !== oi && v.members[i].state !== "left")
        ring.appendChild(svg("line", { class: "edge", x1: pos[oi][0], y1: pos[oi][1], x2: p[0], y2: p[1] }));
    });
    const live = (v.counts.alive || 0) + (v.counts.suspect || 0);
    const c = svg("text", { class: "center", x: 0, y: 4 }); c.textContent = live + "/" + n;
    const s = svg("text", { class: "sub", x: 0, y: 22 }); s.textContent = "members live";
    ring.append(c, s);
    const rad = n > 48 ? 5 : n > 16 ? 9 : 15;
    v.members.forEach((m, i) => {
      const g = svg("g", { class: m.state + (m.observer ? " observer" : ""), "data-member": m.id, "data-state": m.state });
      const t = svg("title", {}); t.textContent = m.id + " · " + m.state + " · " + m.addr + (m.rtt_ms !== undefined ? " · rtt " + m.rtt_ms + " ms" : "");
      g.append(t, svg("circle", { class: "halo", cx: pos[i][0], cy: pos[i][1], r: rad + 3 }),
        svg("circle", { class: "node", cx: pos[i][0], cy: pos[i][1], r: rad }));
      if (n <= 16) {
        const lx = pos[i][0] * 1.27, ly = pos[i][1] * 1.22 + 4;
        const l = svg("text", { x: lx, y: ly }); l.textContent = m.id; g.appendChild(l);
      }
      ring.appendChild(g);
    });
  }

  function card(m) {
    const d = el("div", "card " + m.state);
    d.dataset.member = m.id;
    d.dataset.state = m.state;
    const top = el("div", "top");
    top.append(el("span", "id", m.id + (m.observer ? " ★" : "")), el("span", "badge " + m.state, m.state));
    d.append(top, el("div", "addr", m.addr + " · inc " + m.incarnation));
    if (m.rtt_ms !== undefined) {
      const r = el("div", "rtt");
      r.append(document.createTextNode("probe round trip "), el("b", "", m.rtt_ms < 10 ? m.rtt_ms.toFixed(2) : m.rtt_ms.toFixed(0)), document.createTextNode(" ms"));
      d.appendChild(r);
    }
    const meta = el("div", "meta");
    const keys = Object.keys(m.meta || {}).sort();
    if (!keys.length) meta.appendChild(el("span", "chip", "no metadata"));
    for (const k of keys) {
      const chip = el("span", "chip");
      chip.append(el("i", "", k + "="), document.createTextNode(m.meta[k]));
      chip.title = k + "=" + m.meta[k];
      meta.appendChild(chip);
    }
    d.appendChild(meta);
    if (m.rates) {
      const r = m.rates, st = el("div", "stats");
      const cell = (label, val) => { const c = el("span", "", label); c.prepend(el("b", "", val)); return c; };
      const fail = r.probes > 0 ? Math.round(100 * r.probes_failed / r.probes) + "%" : "0%";
      st.append(cell("pkts in/s", fmt(r.packets_in)), cell("pkts out/s", fmt(r.packets_out)), cell("KB out/s", fmt(r.bytes_out / 1024)),
        cell("probes/s", fmt(r.probes)), cell("probe fails", fail), cell("health", String(r.health_score)));
      d.appendChild(st);
      const cv = el("canvas");
      d.appendChild(cv);
      d._spark = cv;
    } else {
      d.appendChild(el("div", "remote", m.state === "alive" || m.state === "suspect" ? "remote member: rates not visible from here" : ""));
    }
    return d;
  }

  function renderMembers(v) {
    const box = $("members");
    box.replaceChildren();
    if (!v.members.length) box.appendChild(el("div", "empty", "no running member"));
    for (const m of v.members) {
      const c = card(m);
      box.appendChild(c);
      if (c._spark) {
        const h = history.get(m.id) || [];
        plot(c._spark, [h.map((p) => p.in), h.map((p) => p.out)], ["#58a6ff", "#bc8cff"], true);
      }
    }
    $("member-count").textContent = (v.members.length + (v.omitted || 0)) + " known" + (v.omitted ? ", " + v.omitted + " not listed" : "");
  }

  const verbs = { join: "joined", update: "updated metadata", suspect: "is suspected", alive: "refuted, alive again",
    failed: "declared failed", left: "left", conflict: "id conflict", user: "broadcast from", refuted: "refuted a suspicion of itself" };
  let evObserver = null, lastSeq = 0;
  function ago(now, t) {
    const a = Math.max(0, (now - new Date(t).getTime()) / 1000);
    return a < 60 ? a.toFixed(1) + "s ago" : a < 3600 ? Math.floor(a / 60) + "m ago" : Math.floor(a / 3600) + "h ago";
  }
  // renderEvents adds only the new events at the top (so each appears once,
  // with its animation) and refreshes the ages of the others.
  function renderEvents(v) {
    const list = $("events");
    if (v.observer !== evObserver) { list.replaceChildren(); evObserver = v.observer; lastSeq = 0; }
    const now = new Date(v.time).getTime();
    for (const e of v.events || []) {
      if (e.seq <= lastSeq) continue;
      lastSeq = e.seq;
      const li = el("li", e.type);
      li.dataset.seq = e.seq;
      li.dataset.time = e.time;
      const what = el("span", "what");
      if (e.type === "user") what.append(document.createTextNode("broadcast from "), el("b", "", e.member));
      else what.append(el("b", "", e.member), document.createTextNode(" " + (verbs[e.type] || e.type)));
      let note = e.detail || "";
      if (e.type === "failed" || e.type === "suspect")
        note = (e.origin === "local" ? "by its own probes" : "learned via gossip") + (note ? " · " + note : "");
      if (note) what.appendChild(el("span", "detail", note));
      const t = el("time");
      t.title = e.time;
      li.append(el("span", "mark"), what, t);
      list.prepend(li);
    }
    while (list.children.length > 60) list.lastElementChild.remove();
    const empty = list.querySelector(".empty");
    if (list.children.length === 0) list.appendChild(el("li", "empty", "no events yet"));
    else if (empty && list.children.length > 1) empty.remove();
    for (const t of list.querySelectorAll("time")) t.textContent = ago(now, t.title);
  }

  function render(v) {
    document.title = v.title;
    $("title").textContent = v.title;
    $("observer").textContent = v.observer ? "as seen by " + v.observer : "no running member";
    for (const s of ["alive", "suspect", "failed", "left"]) $("n-" + s).textContent = (v.counts && v.counts[s]) || 0;
    let tin = 0, tout = 0, tprobe = 0;
    for (const m of v.members) {
      if (!m.rates) continue;
      tin += m.rates.packets_in; tout += m.rates.packets_out; tprobe += m.rates.probes;
      if (!history.has(m.id)) history.set(m.id, []);
      push(history.get(m.id), { in: m.rates.packets_in, out: m.rates.packets_out });
    }
    push(total, { in: tin, out: tout, probe: tprobe });
    $("t-in").textContent = fmt(tin); $("t-out").textContent = fmt(tout); $("t-probe").textContent = fmt(tprobe);
    renderRing(v);
    renderMembers(v);
    renderEvents(v);
    plot($("traffic"), [total.map((p) => p.in), total.map((p) => p.out), total.map((p) => p.probe)], ["#58a6ff", "#bc8cff", "#3fb950"], true);
    $("updated").textContent = new Date().toLocaleTimeString();
    document.body.dataset.observer = v.observer || "";
  }

  function connect() {
    const es = new EventSource("api/events");
    es.addEventListener("open", () => { $("conn").textContent = "live"; $("conn-dot").classList.add("on"); });
    es.addEventListener("error", () => { $("conn").textContent = "reconnecting…"; $("conn-dot").classList.remove("on"); });
    es.addEventListener("state", (msg) => {
      try { render(JSON.parse(msg.data)); } catch (err) { console.error(err); }
    });
  }
  connect();
})();
