// SPDX-License-Identifier: Apache-2.0
// The agent's dashboard. Plain JavaScript, no dependencies: everything it shows comes from the
// agent's own HTTP API (the same endpoints as the grapevine command), read with fetch() so that
// the bearer token can be sent as a header on every call, the streams included.
'use strict';
(() => {
  /** Feed entries kept; older ones are dropped from the page. */
  const FEED_MAX = 500;
  /** Changes of a watched map kept. */
  const KV_CHANGES_MAX = 200;
  /** Metric lines shown at once. */
  const METRICS_MAX = 300;
  /** A stream with no byte for this long is taken as dead (the agent writes a heartbeat every 5 s). */
  const STREAM_IDLE_MS = 15000;
  /** How often the tree and the overlay panels are read while shown. */
  const TREE_EVERY_MS = 2000;
  const OVERLAY_EVERY_MS = 3000;
  const TOKEN_KEY = 'grapevine.http-token';

  const $ = (id) => document.getElementById(id);
  const members = new Map();
  let localName = null;
  let coordinates = null; // name -> coordinate, or null when the agent runs without them
  let selected = null;
  let connected = false;
  let tokenWaiters = [];
  // Whether the agent runs the sorted ring's tree and the HyParView + Plumtree overlay: null until
  // /v1/info (or, for the tree, /v1/tree) has said; their panels show only when true.
  let treeOn = null;
  let overlayOn = null;

  // ---- the token ----

  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const authHeaders = () => (token() ? { Authorization: 'Bearer ' + token() } : {});

  class Unauthorized extends Error {}

  function askForToken() {
    const form = $('token-form');
    if (form.hidden) {
      form.hidden = false;
      $('token-error').textContent = token() ? 'the agent refused that token' : '';
      $('token-input').focus();
    }
  }

  /** Resolves once a token has been entered. */
  const tokenEntered = () => new Promise((resolve) => tokenWaiters.push(resolve));

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $('token-input').value = '';
    $('token-form').hidden = true;
    const waiters = tokenWaiters;
    tokenWaiters = [];
    waiters.forEach((w) => w());
    refreshAll();
  });

  // ---- API calls ----

  async function call(path, options = {}) {
    const res = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) }, cache: 'no-store' });
    if (res.status === 401) {
      askForToken();
      throw new Unauthorized('token needed');
    }
    return res;
  }

  async function getJson(path) {
    const res = await call(path);
    const body = await res.json();
    if (!res.ok) {
      const e = new Error(body.error || 'HTTP ' + res.status);
      e.status = res.status;
      throw e;
    }
    return body;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /**
   * Reads a server-sent event stream with fetch() (EventSource cannot send the token header) and
   * reconnects after it ends, with a back-off up to 4 s. Returns a handle whose stop() ends it.
   */
  function stream(path, handlers) {
    let stopped = false;
    let controller = null;
    (async () => {
      let delay = 500;
      while (!stopped) {
        controller = new AbortController();
        let idle = null;
        let opened = false;
        try {
          const res = await fetch(path, { headers: authHeaders(), signal: controller.signal, cache: 'no-store' });
          if (res.status === 401) {
            askForToken();
            await tokenEntered();
            continue;
          }
          if (!res.ok || !res.body) {
            let message = 'HTTP ' + res.status;
            try { message = (await res.json()).error || message; } catch (ignored) { /* not JSON */ }
            throw new Error(message);
          }
          opened = true;
          delay = 500;
          if (handlers.open) handlers.open();
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          const ctl = controller;
          const arm = () => { clearTimeout(idle); idle = setTimeout(() => ctl.abort(), STREAM_IDLE_MS); };
          arm();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            arm();
            buffer += decoder.decode(value, { stream: true });
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              let type = 'message';
              const data = [];
              for (const line of block.split('\n')) {
                if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
                else if (line.startsWith('event:')) type = line.slice(6).trim();
              }
              if (data.length) {
                try { handlers.item(type, JSON.parse(data.join('\n'))); } catch (e) { console.warn('bad stream item', e); }
              }
            }
            if (buffer.length > 4 * 1024 * 1024) throw new Error('stream item too large');
          }
        } catch (e) {
          if (handlers.error && !stopped) handlers.error(e, opened);
        } finally {
          clearTimeout(idle);
        }
        if (stopped) break;
        if (handlers.close) handlers.close();
        await sleep(delay);
        delay = Math.min(delay * 2, 4000);
      }
    })();
    return { stop() { stopped = true; if (controller) controller.abort(); } };
  }

  /** Runs {@code task} now and every {@code ms}; failures wait for the next round. */
  function every(ms, task) {
    const run = async () => {
      try { await task(); } catch (e) { if (!(e instanceof Unauthorized)) console.debug(e); }
      setTimeout(run, ms);
    };
    run();
  }

  // ---- helpers for the page ----

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  const clock = (iso) => (iso ? String(iso).replace(/^.*T/, '').replace(/Z$/, '') : new Date().toISOString().slice(11, 23));

  function tagText(m) {
    return Object.entries(m.metadata || {}).map(([k, v]) => k + '=' + v).join(' ');
  }

  function rttTo(name) {
    if (!coordinates || !localName) return null;
    const a = coordinates[localName];
    const b = coordinates[name];
    if (!a || !b || a.vector.length !== b.vector.length) return null;
    // As Coordinate.estimateRttMillis: Euclidean distance plus both heights, plus both adjustments
    // unless that would make it non-positive.
    let sum = 0;
    for (let i = 0; i < a.vector.length; i++) sum += (a.vector[i] - b.vector[i]) ** 2;
    const raw = Math.sqrt(sum) + a.heightMs + b.heightMs;
    const adjusted = raw + a.adjustmentMs + b.adjustmentMs;
    return adjusted > 0 ? adjusted : raw;
  }

  // ---- members ----

  let renderQueued = false;
  /** Renders at most once a frame, however many events arrive: 100 members stay cheap. */
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; renderMembers(); });
  }

  function renderMembers() {
    const filter = $('filter').value.trim().toLowerCase();
    const body = $('members').tBodies[0];
    const rows = document.createDocumentFragment();
    const counts = { alive: 0, suspect: 0, dead: 0, left: 0 };
    const sorted = [...members.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    let shown = 0;
    $('rtt-head').hidden = !coordinates;
    for (const m of sorted) {
      counts[m.state] = (counts[m.state] || 0) + 1;
      const tags = tagText(m);
      if (filter && ![m.name, m.state, m.address, tags].some((s) => String(s).toLowerCase().includes(filter))) continue;
      shown++;
      const tr = el('tr');
      tr.dataset.name = m.name;
      if (m.name === selected) tr.className = 'selected';
      const name = el('td', m.name, 'name');
      if (m.name === localName) name.append(el('span', '(this node)', 'local'));
      tr.append(name);
      tr.append(el('td', m.state, 'state state-' + m.state));
      const tagCell = el('td', null, 'tags');
      for (const [k, v] of Object.entries(m.metadata || {})) tagCell.append(el('span', k + '=' + v, 'tag'));
      tr.append(tagCell);
      tr.append(el('td', m.incarnation, 'incarnation'));
      tr.append(el('td', m.address, 'address'));
      if (coordinates) {
        const rtt = m.name === localName ? null : rttTo(m.name);
        tr.append(el('td', rtt === null ? '' : rtt.toFixed(2) + ' ms', 'rtt'));
      }
      rows.append(tr);
    }
    body.replaceChildren(rows);
    $('member-counts').textContent = Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => n + ' ' + s).join(', ');
    $('shown').textContent = filter ? shown + ' of ' + members.size + ' shown' : members.size + ' members';
    renderDetail();
  }

  $('filter').addEventListener('input', scheduleRender);
  $('members').tBodies[0].addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    selected = selected === tr.dataset.name ? null : tr.dataset.name;
    scheduleRender();
  });

  function renderDetail() {
    const panel = $('member-detail');
    const m = selected && members.get(selected);
    if (!m) { panel.hidden = true; return; }
    panel.hidden = false;
    $('detail-name').textContent = m.name;
    const fields = [['state', m.state], ['address', m.address], ['incarnation', m.incarnation],
      ['tags', tagText(m) || '(none)'], ['protocol', (m.protocolMin ?? '?') + '..' + (m.protocolMax ?? '?')]];
    if (m.stateAgeMs !== undefined) fields.push(['in this state for', Math.round(m.stateAgeMs / 1000) + ' s (at the last listing)']);
    const rtt = rttTo(m.name);
    if (rtt !== null && m.name !== localName) fields.push(['estimated RTT', rtt.toFixed(2) + ' ms']);
    if (m.metadataBase64) fields.push(['metadata (base64)', m.metadataBase64]);
    const dl = $('detail-fields');
    dl.replaceChildren(...fields.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  }

  /** Events that arrive while a member list is being read, one log per read in flight. */
  const fetchLogs = new Set();
  const RANK = { alive: 0, suspect: 1, dead: 2, left: 2 };
  /**
   * SWIM's order: a higher incarnation wins; at the same one, suspect over alive, dead or left over
   * both; a tie goes to the event, which reached the page after the read began.
   */
  const supersedes = (a, b) => a.incarnation > b.incarnation
    || (a.incarnation === b.incarnation && (RANK[a.state] ?? 0) >= (RANK[b.state] ?? 0));

  async function loadMembers() {
    // The list may have been computed before some of the events that reach the page before it
    // does: those are applied again on top, where newer, so the list never goes back in time.
    const log = new Map();
    fetchLogs.add(log);
    let body;
    try {
      body = await getJson('/v1/members');
    } finally {
      fetchLogs.delete(log);
    }
    localName = body.local;
    members.clear();
    for (const m of body.members) members.set(m.name, m);
    for (const [name, m] of log) {
      const listed = members.get(name);
      if (m === null) members.delete(name); // reaped
      else if (!listed || supersedes(m, listed)) members.set(name, m);
    }
    scheduleRender();
  }

  async function loadCoordinates() {
    try {
      coordinates = (await getJson('/v1/coordinates')).coordinates;
    } catch (e) {
      if (e.status === 409) coordinates = null; // the agent runs without coordinates
      else throw e;
    }
    scheduleRender();
  }

  // ---- the feed ----

  function addFeed(kind, label, text, time) {
    const li = el('li', null, kind);
    li.append(el('time', clock(time)), el('span', label, 'kind'), document.createTextNode(text));
    const feed = $('feed');
    feed.prepend(li);
    while (feed.childElementCount > FEED_MAX) feed.lastElementChild.remove();
  }

  function onMonitor(type, item) {
    if (item.type === 'member-event') {
      const m = item.member;
      if (item.event === 'reaped') members.delete(m.name);
      else members.set(m.name, { ...members.get(m.name), ...m, stateAgeMs: undefined });
      for (const log of fetchLogs) log.set(m.name, item.event === 'reaped' ? null : m);
      addFeed('member', item.event, ' ' + m.name + ' ' + m.address + ' (' + m.state + ', incarnation ' + m.incarnation + ')', item.time);
      scheduleRender();
      soon(loadInfo); // its counts by state
      if (treeOn) soon(loadTree); // the ring, and so the tree, changed
    } else if (item.type === 'log') {
      addFeed('log', item.level, ' ' + String(item.logger || '').replace(/^.*\./, '') + ': ' + item.message, item.time);
    } else if (type === 'overflow') {
      addFeed('log', 'overflow', ' ' + (item.error || 'the page fell behind; reconnecting'));
    }
  }

  function onUserEvent(type, e) {
    if (type === 'overflow') return;
    const payload = e.payload !== undefined ? JSON.stringify(e.payload) : '(' + (e.payloadBase64 || '').length + ' base64 chars)';
    addFeed('event', 'event', ' ' + e.topic + ' ' + payload + ' from ' + e.origin, null);
  }

  function setConnected(up) {
    if (connected === up) return;
    connected = up;
    $('conn').hidden = up;
    document.body.dataset.connected = String(up);
    addFeed('conn', up ? 'connected' : 'disconnected', up ? ' to ' + location.host : ' from ' + location.host + '; reconnecting');
    if (up) refreshAll();
  }

  const pending = new Map();
  /** Runs {@code task} once within a second, however often it is asked for meanwhile. */
  function soon(task) {
    if (pending.has(task)) return;
    pending.set(task, setTimeout(() => { pending.delete(task); task().catch(() => {}); }, 1000));
  }

  // ---- this node ----

  function fmt(n) {
    return typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(n);
  }

  function flatten(prefix, o, out) {
    for (const [k, v] of Object.entries(o || {})) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(prefix + k + '.', v, out);
      else if (typeof v === 'number') out.push([prefix + k, v]);
    }
    return out;
  }

  async function loadInfo() {
    const info = await getJson('/v1/info');
    $('node-name').textContent = info.local.name + ' · ' + info.cluster;
    const summary = $('summary');
    summary.replaceChildren(
      el('span', info.joined ? 'joined' : 'not joined', 'joined'),
      el('span', 'health score ' + info.healthScore + (info.healthScore === 0 ? ' (healthy)' : '')),
      el('span', 'up ' + fmt(info.uptimeSeconds) + ' s'),
      el('span', info.local.address));
    const rows = [['cluster', info.cluster], ['address', info.local.address], ['joined', info.joined],
      ['health score', info.healthScore], ['uptime', fmt(info.uptimeSeconds) + ' s']];
    if (info.agent && info.agent.version) rows.push(['version', info.agent.version]);
    if (info.agent) rows.push(['profile', info.agent.profile], ['API over', info.agent.tls ? 'https (' + info.agent.tls + ')' : 'http'],
      ['token required', info.agent.authRequired], ['coordinates', info.agent.coordinates],
      ['tree', info.agent.tree], ['overlay', info.agent.overlay]);
    if (info.encryption) rows.push(['gossip encryption', info.encryption.active ? 'on' : 'off']);
    for (const [k, v] of flatten('', { members: info.members, stats: info.stats, events: info.events, transport: info.transport }, [])) {
      rows.push([k, fmt(v)]);
    }
    $('info').replaceChildren(...rows.map(([k, v]) => [el('dt', k), el('dd', v)]).flat());
    if (info.agent && info.agent.tree !== undefined) showTree(info.agent.tree === 'on');
    if (info.agent && info.agent.overlay !== undefined) showOverlay(info.agent.overlay === 'hyparview-plumtree');
  }

  async function loadMetrics() {
    if (!$('metrics-panel').open) return; // the agent builds its registry at the first scrape
    const res = await call('/metrics');
    const text = await res.text();
    const filter = $('metrics-filter').value.trim();
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#') && (!filter || l.includes(filter)));
    $('metrics').textContent = lines.slice(0, METRICS_MAX).join('\n')
      + (lines.length > METRICS_MAX ? '\n… ' + (lines.length - METRICS_MAX) + ' more; narrow the filter' : '');
  }
  $('metrics-panel').addEventListener('toggle', () => loadMetrics().catch(() => {}));
  $('metrics-filter').addEventListener('change', () => loadMetrics().catch(() => {}));

  async function loadAggregates() {
    const body = await getJson('/v1/aggregates');
    $('cluster-size').textContent = body.clusterSize === null ? '' : 'cluster size ≈ ' + fmt(body.clusterSize);
    const n = (v) => (v === null || v === undefined ? '' : fmt(v));
    $('aggregates').tBodies[0].replaceChildren(...body.aggregates.map((a) => {
      const tr = el('tr');
      tr.append(el('td', a.name), el('td', n(a.avg)), el('td', n(a.sum)), el('td', n(a.min)), el('td', n(a.max)), el('td', n(a.publishers)));
      return tr;
    }));
  }

  // ---- the sorted ring's tree (agents started with --tree on) ----

  /** As the command line prints tree totals: whole numbers without a fraction, others in full. */
  const exact = (v) => (typeof v !== 'number' ? '-' : String(v));
  const neighbor = (n) => (n ? n.name + ' (' + n.address + ')' : 'none yet');

  function showTree(on) {
    const was = treeOn;
    treeOn = on;
    $('tree-panel').hidden = !on;
    if (on && was !== true) loadTree().catch(() => {});
  }

  async function loadTree() {
    if (treeOn === false || document.hidden) return;
    let t;
    try {
      t = await getJson('/v1/tree');
    } catch (e) {
      if (e.status === 404 || e.status === 409) { showTree(false); return; }
      throw e;
    }
    if (!t.enabled) { showTree(false); return; }
    if (treeOn !== true) { treeOn = true; $('tree-panel').hidden = false; }
    // The rows of 'grapevine tree show'.
    const rows = [['node', 'id ' + t.nodeId + ', level ' + t.level],
      ['role', t.root ? 'root' : 'child of ' + neighbor(t.parent)],
      ['predecessor', neighbor(t.predecessor)], ['successor', neighbor(t.successor)],
      ['children', t.children + ' (subtree of ' + t.subtreeCount + ' nodes)'],
      ['value here', exact(t.value)]];
    if (!t.known) rows.push(['totals', 'not known yet']);
    $('tree').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
    $('tree-count').textContent = t.known ? exact(t.count) : '-';
    $('tree-sum').textContent = t.known ? exact(t.sum) : '-';
  }

  $('tree-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('tree-value').value.trim();
    $('tree-error').textContent = '';
    if (!Number.isFinite(Number(text)) || text === '') {
      $('tree-error').textContent = 'a finite number like 12 or 0.7';
      return;
    }
    try {
      const res = await call('/v1/tree/value', { method: 'PUT', body: text, headers: { 'Content-Type': 'text/plain' } });
      if (!res.ok) {
        let message = 'HTTP ' + res.status;
        try { message = (await res.json()).error || message; } catch (ignored) { /* not JSON */ }
        throw new Error(message);
      }
      $('tree-value').value = '';
      await loadTree();
    } catch (err) {
      if (!(err instanceof Unauthorized)) $('tree-error').textContent = err.message;
    }
  });

  // ---- the event overlay (agents started with --overlay hyparview-plumtree) ----

  function showOverlay(on) {
    const was = overlayOn;
    overlayOn = on;
    $('overlay-panel').hidden = !on;
    if (on && was !== true) loadOverlay().catch(() => {});
  }

  /** The samples of a Prometheus text whose names are in {@code wanted}: name{labels} -> value. */
  function samples(text, wanted) {
    const out = new Map();
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!m || !wanted.has(m[1])) continue;
      const labels = [...(m[2] || '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => k + '=' + v).join(',');
      out.set(m[1] + (labels ? '{' + labels + '}' : ''), Number(m[3]));
    }
    return out;
  }

  /** The overlay panel's rows: label, the sample as samples() names it, and an element id or null. */
  const OVERLAY_ROWS = [
    ['active view', 'grapevine_hyparview_view_size{view=active}', 'overlay-active'],
    ['passive view', 'grapevine_hyparview_view_size{view=passive}', 'overlay-passive'],
    ['eager peers', 'grapevine_plumtree_peers{link=eager}', 'overlay-eager'],
    ['lazy peers', 'grapevine_plumtree_peers{link=lazy}', 'overlay-lazy'],
    ['payloads sent', 'grapevine_plumtree_payloads_sent_total', null],
    ['IHAVEs sent', 'grapevine_plumtree_ihaves_total', null],
    ['GRAFTs sent', 'grapevine_plumtree_grafts_total', null],
    ['PRUNEs sent', 'grapevine_plumtree_prunes_total', null],
    ['events published', 'grapevine_events_published_total', null],
    ['events delivered', 'grapevine_events_delivered_total', null],
    ['duplicates dropped', 'grapevine_events_duplicates_total', null],
  ];
  const OVERLAY_NAMES = new Set(OVERLAY_ROWS.map(([, s]) => s.replace(/\{.*$/, '')));

  async function loadOverlay() {
    // /v1/info does not carry these numbers; /metrics does (the agent builds its registry at the
    // first scrape, so this runs only where the overlay is on).
    if (!overlayOn || document.hidden) return;
    const res = await call('/metrics');
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const found = samples(await res.text(), OVERLAY_NAMES);
    $('overlay').replaceChildren(...OVERLAY_ROWS.flatMap(([label, key, id]) => {
      const v = found.get(key);
      const dd = el('dd', v === undefined || Number.isNaN(v) ? '-' : fmt(v));
      if (id) dd.id = id;
      return [el('dt', label), dd];
    }));
  }

  // ---- replicated maps ----

  let kvWatch = null;
  const kvPath = (map, query) => '/v1/kv/' + encodeURIComponent(map) + query;
  const shown = (entry, field) => (entry[field] !== undefined ? entry[field] : '(' + (entry[field + 'Base64'] || '').length + ' base64 chars)');

  async function browseKv() {
    const map = $('kv-map').value.trim();
    const prefix = $('kv-prefix').value;
    $('kv-error').textContent = '';
    try {
      const body = await getJson(kvPath(map, '?prefix=' + encodeURIComponent(prefix)));
      $('kv').tBodies[0].replaceChildren(...body.entries.map((e) => {
        const tr = el('tr');
        tr.append(el('td', e.key), el('td', shown(e, 'value')));
        return tr;
      }));
    } catch (e) {
      $('kv-error').textContent = e.message;
    }
  }

  $('kv-form').addEventListener('submit', (e) => { e.preventDefault(); browseKv(); });
  $('kv-watch').addEventListener('click', () => {
    const map = $('kv-map').value.trim();
    if (!map) return;
    if (kvWatch) kvWatch.stop();
    const prefix = $('kv-prefix').value;
    $('kv-changes').replaceChildren();
    kvWatch = stream(kvPath(map, '?watch=true&prefix=' + encodeURIComponent(prefix)), {
      item(type, c) {
        if (type === 'overflow') return;
        const li = el('li', null, 'event');
        const what = c.deleted ? 'deleted' : c.counter !== undefined ? 'counter ' + c.counter
          : c.elements !== undefined ? 'set ' + JSON.stringify(c.elements) : shown(c, 'value');
        li.append(el('time', clock(null)), el('span', c.key, 'kind'), document.createTextNode(' ' + what + (c.local ? ' (here)' : '')));
        const list = $('kv-changes');
        list.prepend(li);
        while (list.childElementCount > KV_CHANGES_MAX) list.lastElementChild.remove();
        browseKv();
      },
      error(e) { $('kv-error').textContent = e.message; },
    });
    $('kv-watch').hidden = true;
    $('kv-unwatch').hidden = false;
  });
  $('kv-unwatch').addEventListener('click', () => {
    if (kvWatch) kvWatch.stop();
    kvWatch = null;
    $('kv-watch').hidden = false;
    $('kv-unwatch').hidden = true;
  });

  // ---- start ----

  function refreshAll() {
    for (const load of [loadMembers, loadInfo, loadAggregates, loadCoordinates, loadMetrics, loadTree, loadOverlay]) {
      load().catch(() => {});
    }
  }

  document.body.dataset.connected = 'false';
  // The membership stream decides whether the page is connected: when it drops (the agent stopped),
  // the banner shows; when it is back, everything is read afresh, so nothing missed meanwhile stays.
  stream('/v1/monitor?level=warn', {
    open() { setConnected(true); },
    item: onMonitor,
    close() { setConnected(false); $('conn').hidden = false; document.body.dataset.connected = 'false'; },
  });
  stream('/v1/events/watch', { item: onUserEvent });
  every(30000, loadMembers); // a safety net: the stream already brings every change
  every(5000, loadInfo);
  every(5000, loadAggregates);
  every(10000, loadCoordinates);
  every(10000, loadMetrics);
  every(TREE_EVERY_MS, loadTree);
  every(OVERLAY_EVERY_MS, loadOverlay);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) { loadTree().catch(() => {}); loadOverlay().catch(() => {}); }
  });
})();
