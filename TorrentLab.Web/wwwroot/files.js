// The file tree of the detail view: folders from the files' paths, a checkbox and a priority per file and per folder.
// It stays fast for 20,000 files: only expanded folders' children are listed, and of those only the rows in view are
// in the page (fixed-height rows in a scrolling box), so the page holds a few dozen rows whatever the torrent.
// Uses app.js's helpers ($, el, api, bytes, notify). Talks to GET and PUT /api/torrents/{infoHash}/files.
'use strict';

const fileTree = (() => {
  const ROW = 26;        // pixels per row: fixed, so the scroll position says which rows are in view
  const OVERSCAN = 6;    // rows drawn above and below the view, so a quick scroll shows no gap
  const PRIORITIES = ['skip', 'low', 'normal', 'high'];
  const box = $('#file-tree');
  const canvas = el('div', 'ft-canvas');
  box.append(canvas);
  let hash = null;       // the torrent shown
  let files = [];        // the API's rows: {index, path, length, priority, progress}, index from 1
  let root = null;       // {folder, name, children, expanded, parent, size, total, wanted, priority}
  let visible = [];      // [{node, depth}] of the expanded part of the tree, in display order
  let loading = 0;       // the request number whose answer is awaited
  let failed = null;     // the torrent whose files could not be read at the last try (its error was told)

  function build() {
    root = folder('', null);
    root.expanded = true;
    for (const f of files) {
      const parts = f.path.split('/');
      let node = root;
      for (let i = 0; i < parts.length - 1; i++) {
        let next = node.byName.get(parts[i]);
        if (!next) { next = folder(parts[i], node); node.byName.set(parts[i], next); node.children.push(next); }
        node = next;
      }
      node.children.push({ folder: false, name: parts[parts.length - 1], file: f, parent: node });
    }
    sort(root);
    // A multi-file torrent's files all sit in its top folder: open it.
    if (root.children.length === 1 && root.children[0].folder) root.children[0].expanded = true;
    aggregate(root);
  }

  function folder(name, parent) {
    return { folder: true, name, parent, children: [], byName: new Map(), expanded: false };
  }

  function sort(node) {
    node.children.sort((a, b) => (b.folder - a.folder) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of node.children) if (child.folder) sort(child);
  }

  // Each folder's size, file count, wanted count and priority ('mixed' when its files differ).
  function aggregate(node) {
    node.size = 0; node.total = 0; node.wanted = 0; node.priority = null;
    for (const child of node.children) {
      if (child.folder) aggregate(child);
      const size = child.folder ? child.size : child.file.length;
      const total = child.folder ? child.total : 1;
      const wanted = child.folder ? child.wanted : (child.file.priority === 'skip' ? 0 : 1);
      const priority = child.folder ? child.priority : child.file.priority;
      node.size += size; node.total += total; node.wanted += wanted;
      node.priority = node.priority === null || node.priority === priority ? priority : 'mixed';
    }
  }

  function flatten() {
    visible = [];
    const walk = (node, depth) => {
      for (const child of node.children) {
        visible.push({ node: child, depth });
        if (child.folder && child.expanded) walk(child, depth + 1);
      }
    };
    walk(root, 0);
  }

  // Rows stay in the page while they are in view and are updated in place: a live update changes a checkbox, a
  // priority or a percentage, never the element, so keyboard focus and an open priority menu survive it.
  const shown = new Map(); // node -> its row, for the rows in view

  function render() {
    canvas.style.height = visible.length * ROW + 'px';
    const height = box.clientHeight || 400;
    const first = Math.max(0, Math.floor(box.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(visible.length, Math.ceil((box.scrollTop + height) / ROW) + OVERSCAN);
    const wanted = new Set();
    for (let i = first; i < last; i++) wanted.add(visible[i].node);
    for (const [node, r] of shown) if (!wanted.has(node)) { r.remove(); shown.delete(node); }
    for (let i = first; i < last; i++) {
      const { node, depth } = visible[i];
      let r = shown.get(node);
      if (!r) { r = row(node); shown.set(node, r); canvas.append(r); }
      update(r, depth, i);
    }
    setProp(box.dataset, 'rows', String(shown.size));
    setProp(box.dataset, 'listed', String(visible.length));
  }

  function clear() {
    for (const r of shown.values()) r.remove();
    shown.clear();
  }

  function row(node) {
    const r = el('div', 'ft-row' + (node.folder ? ' ft-folder' : ''));
    if (!node.folder) r.dataset.index = String(node.file.index);
    const name = el('span', 'ft-name');
    const toggle = el('button', 'ft-toggle');
    toggle.type = 'button';
    toggle.disabled = !node.folder;
    const check = el('input', 'ft-check');
    check.type = 'checkbox';
    check.setAttribute('aria-label', 'Download ' + node.name);
    name.append(toggle, check, el('span', 'ft-label'));
    name.title = node.folder ? node.name : node.file.path;
    const select = el('select', 'ft-priority');
    select.setAttribute('aria-label', 'Priority of ' + node.name);
    for (const p of PRIORITIES) select.append(new Option(p, p));
    r.append(name, el('span', 'ft-size num'), select, el('span', 'ft-pct num'));
    r.ftNode = node;
    return r;
  }

  // Brings a row up to date, writing only what changed.
  function update(r, depth, position) {
    const node = r.ftNode;
    setProp(r.style, 'top', position * ROW + 'px');
    setProp(r.dataset, 'position', String(position));
    const [name, size, select, done] = r.children;
    setProp(name.style, 'paddingLeft', depth * 16 + 'px');
    const [toggle, check, label] = name.children;
    if (node.folder) {
      setText(toggle, node.expanded ? '▾' : '▸');
      const action = (node.expanded ? 'Collapse ' : 'Expand ') + node.name;
      if (toggle.getAttribute('aria-label') !== action) toggle.setAttribute('aria-label', action);
    }
    const wanted = node.folder ? node.wanted : (node.file.priority === 'skip' ? 0 : 1);
    const total = node.folder ? node.total : 1;
    setProp(check, 'checked', wanted > 0);
    setProp(check, 'indeterminate', wanted > 0 && wanted < total);
    setText(label, node.folder ? `${node.name}/ (${node.total})` : node.name);
    setText(size, bytes(node.folder ? node.size : node.file.length));
    const current = node.folder ? node.priority : node.file.priority;
    const mixed = select.options[0].value === 'mixed';
    if (current === 'mixed' && !mixed) select.prepend(new Option('mixed', 'mixed'));
    if (current !== 'mixed' && mixed) select.options[0].remove();
    setProp(select, 'value', current);
    setText(done, node.folder ? '' : Math.floor(node.file.progress * 100) + '%');
  }

  function filesUnder(node, into = []) {
    if (!node.folder) into.push(node.file);
    else for (const child of node.children) filesUnder(child, into);
    return into;
  }

  // Sets every file under the node to the priority; the server restarts a running download with the new selection.
  async function set(node, priority) {
    const changes = filesUnder(node).filter((f) => f.priority !== priority).map((f) => ({ index: f.index, priority }));
    if (changes.length === 0) return;
    const shown = hash;
    for (const f of filesUnder(node)) f.priority = priority; // at once: the answer confirms it
    aggregate(root);
    render();
    try {
      const answer = await api('PUT', `api/torrents/${shown}/files`, JSON.stringify({ files: changes }), { 'Content-Type': 'application/json' });
      if (shown === hash) accept(answer);
    } catch (e) {
      notify(e.message, true);
      if (shown === hash) load(shown);
    }
  }

  // Takes the server's rows; the tree keeps its shape (same files), only priorities and progress change.
  function accept(answer) {
    for (const f of answer) {
      const mine = files[f.index - 1];
      if (mine) { mine.priority = f.priority; mine.progress = f.progress; }
    }
    aggregate(root);
    render();
  }

  async function load(infoHash) {
    const request = ++loading;
    const started = performance.now();
    hash = infoHash;
    try {
      const answer = await api('GET', `api/torrents/${infoHash}/files`);
      if (request !== loading) return;
      files = answer;
      clear();
      build();
      flatten();
      box.scrollTop = 0;
      render();
      box.dataset.renderMs = (performance.now() - started).toFixed(1);
      box.dataset.hash = infoHash;
      failed = null;
    } catch (e) {
      if (request !== loading) return;
      // Asked again at the next detail update, or in two seconds while the torrent is still shown (a paused one sends
      // no update): a failed request must not leave the tree empty for as long as the view is open. The error is told
      // once per torrent, not at every try.
      if (failed !== infoHash) notify('files: ' + e.message, true);
      failed = infoHash;
      hash = null;
      setTimeout(() => { if (hash === null && state.selected === infoHash) load(infoHash); }, 2000);
    }
  }

  box.addEventListener('scroll', () => { if (root) render(); }, { passive: true });
  box.addEventListener('click', (e) => {
    const toggle = e.target.closest('.ft-toggle');
    if (!toggle) return;
    const node = toggle.closest('.ft-row').ftNode;
    node.expanded = !node.expanded;
    flatten();
    render();
  });
  box.addEventListener('change', (e) => {
    const r = e.target.closest('.ft-row');
    if (!r) return;
    if (e.target.classList.contains('ft-check')) set(r.ftNode, e.target.checked ? 'normal' : 'skip');
    else if (e.target.classList.contains('ft-priority') && e.target.value !== 'mixed') set(r.ftNode, e.target.value);
  });

  return {
    // Called with each detail update: loads the tree for a newly shown torrent, else refreshes the files' progress.
    show(details) {
      const infoHash = details.summary.infoHash;
      if (infoHash !== hash) { load(infoHash); return; }
      if (!root) return;
      for (let i = 0; i < details.files.length && i < files.length; i++) files[i].progress = details.files[i].progress;
      render();
    },
  };
})();
