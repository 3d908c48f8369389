// TorrentLab web interface: sharing. "+ Share" (or a plain file or folder dropped on the page) uploads a file or a
// folder, or names one already in the downloads folder, through POST /api/shares: the server makes a torrent of it and
// seeds it at once. The answer's magnet link can be copied and its .torrent downloaded; the detail view offers both for
// any torrent. Uses $, api, state, putTorrent, renderList and notify from app.js.
'use strict';

const share = (function () {
  const dialog = $('#share-dialog');
  let chosen = [];     // [{ file, path }]: one file, or the files of one folder with their paths inside it
  let result = null;   // the last share's answer
  let busy = false;

  function describe() {
    const text = chosen.length === 0 ? 'Nothing chosen.'
      : chosen.length === 1 && !chosen[0].path.includes('/') ? `${chosen[0].path} (${bytes(chosen[0].file.size)})`
        : `${chosen[0].path.split('/')[0]}/ — ${chosen.length} file${chosen.length === 1 ? '' : 's'}, ${bytes(chosen.reduce((n, c) => n + c.file.size, 0))}`;
    $('#share-chosen').textContent = text;
    if (chosen.length) $('#share-path').value = '';
  }

  function open(files) {
    chosen = files || [];
    result = null;
    describe();
    $('#share-result').hidden = true;
    $('#share-progress').hidden = true;
    $('#share-status').textContent = '';
    $('#share-confirm').disabled = false;
    if (!dialog.open) dialog.showModal();
  }

  $('#share-open').addEventListener('click', () => open([]));
  $('#share-file').addEventListener('change', (e) => {
    chosen = [...e.target.files].slice(0, 1).map((file) => ({ file, path: file.name }));
    e.target.value = '';
    describe();
  });
  $('#share-folder').addEventListener('change', (e) => {
    chosen = [...e.target.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    e.target.value = '';
    describe();
  });
  $('#share-path').addEventListener('input', () => { if ($('#share-path').value) { chosen = []; describe(); $('#share-path').focus(); } });

  // The options as torrentlab create takes them: one tracker tier per block of lines, URLs of a tier joined by ','.
  function tiers() {
    return $('#share-trackers').value.split(/\n\s*\n/).map((block) => block.split('\n').map((u) => u.trim()).filter(Boolean)).filter((t) => t.length);
  }

  async function submit() {
    if (busy) return;
    const path = $('#share-path').value.trim();
    if (!chosen.length && !path) { $('#share-status').textContent = 'Choose a file or a folder, or name one in the downloads folder.'; return; }
    busy = true;
    $('#share-confirm').disabled = true;
    $('#share-result').hidden = true;
    try {
      result = chosen.length ? await upload() : await api('POST', 'api/shares', JSON.stringify({
        path, trackers: tiers(), pieceLength: $('#share-piece').value ? Number($('#share-piece').value) : null,
        private: $('#share-private').checked, format: $('#share-format').value, comment: $('#share-comment').value || null,
      }), { 'Content-Type': 'application/json' });
      putTorrent(result.torrent);
      renderList();
      $('#share-status').textContent = `Seeding ${result.torrent.name} (info hash ${result.infoHash}).`;
      $('#share-magnet').value = result.magnetLink;
      $('#share-result').hidden = false;
      chosen = [];
      describe();
    } catch (e) {
      $('#share-status').textContent = 'Not shared: ' + e.message;
    } finally {
      busy = false;
      $('#share-confirm').disabled = false;
      $('#share-progress').hidden = true;
    }
  }

  // An upload with its progress (fetch reports none): the options first, then the files, as the server asks.
  function upload() {
    const form = new FormData();
    for (const tier of tiers()) form.append('tracker', tier.join(','));
    if ($('#share-piece').value) form.append('pieceLength', $('#share-piece').value);
    form.append('format', $('#share-format').value);
    form.append('private', String($('#share-private').checked));
    if ($('#share-comment').value) form.append('comment', $('#share-comment').value);
    if ($('#share-folder-to').value.trim()) form.append('folder', $('#share-folder-to').value.trim());
    for (const c of chosen) form.append('file', c.file, c.path);
    const progress = $('#share-progress');
    progress.value = 0;
    progress.hidden = false;
    $('#share-status').textContent = 'Uploading…';
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', 'api/shares');
      if (state.token) xhr.setRequestHeader('Authorization', 'Bearer ' + state.token);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        progress.value = e.loaded / e.total;
        if (e.loaded === e.total) $('#share-status').textContent = 'Making the torrent (hashing)…';
      };
      xhr.onload = () => {
        if (xhr.status === 401) { askForToken(); reject(new Error('a token is required')); return; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
        else reject(new Error((xhr.response && xhr.response.error) || `${xhr.status} ${xhr.statusText}`));
      };
      xhr.onerror = () => reject(new Error('the upload failed (connection lost)'));
      xhr.send(form);
    });
  }

  $('#share-confirm').addEventListener('click', (e) => { e.preventDefault(); submit(); });
  $('#share-form').addEventListener('submit', (e) => { if (e.submitter && e.submitter.value === 'share') { e.preventDefault(); submit(); } });

  // Copies text: the clipboard API where the page is a secure context (localhost, https), else the selection's copy.
  async function copy(text, input) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const scratch = !input.isConnected;
      if (scratch) document.body.append(input);
      input.select();
      const copied = document.execCommand('copy');
      if (scratch) input.remove();
      if (!copied) { notify('select the link and copy it', true); return; }
    }
    notify('magnet link copied');
  }

  // The .torrent through the API (the token goes in a header, so no plain link), saved under the torrent's name.
  async function download(hash, name) {
    try {
      const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
      const response = await fetch(`api/torrents/${hash}/torrent`, { headers });
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || response.status + ' ' + response.statusText);
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name + '.torrent';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { notify('.torrent: ' + e.message, true); }
  }

  $('#share-copy').addEventListener('click', () => copy($('#share-magnet').value, $('#share-magnet')));
  $('#share-download').addEventListener('click', () => { if (result) download(result.infoHash, result.torrent.name); });
  // The open torrent's link: from its details once they came (app.js keeps them), else asked for now.
  $('#d-magnet').addEventListener('click', async () => {
    const hash = state.selected;
    try {
      const link = state.magnetLink && state.magnetLink.hash === hash ? state.magnetLink.link : (await api('GET', `api/torrents/${hash}`)).magnetLink;
      copy(link, Object.assign(document.createElement('input'), { value: link }));
    } catch (e) { notify('magnet link: ' + e.message, true); }
  });
  $('#d-torrent').addEventListener('click', () => {
    const t = state.torrents.get(state.selected);
    if (t) download(t.infoHash, t.name);
  });

  // A drop of plain files or folders: the files of a folder entry, read through the entries API with their paths.
  async function filesOf(entry, prefix) {
    if (entry.isFile) return [{ file: await new Promise((ok, fail) => entry.file(ok, fail)), path: prefix + entry.name }];
    const reader = entry.createReader();
    const found = [];
    for (;;) {
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail)); // at most 100 at a time in Chromium
      if (batch.length === 0) break;
      for (const child of batch) found.push(...await filesOf(child, prefix + entry.name + '/'));
    }
    return found;
  }

  // Called by the page's drop handler with what was not a .torrent: entries (folders possible) or plain files.
  async function dropped(items) {
    if (items.length > 1) { notify('share one file or one folder at a time: drop a folder holding them', true); return; }
    const item = items[0];
    try {
      open(item.entry ? await filesOf(item.entry, '') : [{ file: item.file, path: item.file.name }]);
    } catch (e) { notify('could not read what was dropped: ' + e.message, true); }
  }

  return { open, dropped };
})();
