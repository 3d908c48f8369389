// TorrentLab web interface: rate limits. A "Limits" panel in the header sets the global download and upload limits
// (shared by every torrent) and those of the torrent open in the detail view, through /api/limits and
// /api/torrents/{infoHash}/limits. Values are bytes per second with an optional unit (500K, 2M, 1.5M); 0 or empty is
// unlimited. Uses api(), state and notify() from app.js.
'use strict';

(function limits() {
  const units = { K: 1024, M: 1024 * 1024, G: 1024 * 1024 * 1024 };

  // '2M' -> 2097152, '' -> 0; null when it is not a rate.
  function parseRate(text) {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*$/.exec(text);
    if (text.trim() === '') return 0;
    if (!match) return null;
    return Math.round(parseFloat(match[1]) * (match[2] ? units[match[2].toUpperCase()] : 1));
  }

  function showRate(bytes) {
    if (!bytes) return '';
    for (const unit of ['G', 'M', 'K']) {
      if (bytes >= units[unit] && bytes % (units[unit] / 1024) === 0) return +(bytes / units[unit]).toFixed(3) + unit;
    }
    return String(bytes);
  }

  function row(id, label) {
    const form = document.createElement('form');
    form.id = id;
    form.className = 'limit-row';
    form.innerHTML = '<span class="limit-label"></span>'
      + '<label>down <input name="down" size="6" placeholder="unlimited" autocomplete="off"></label>'
      + '<label>up <input name="up" size="6" placeholder="unlimited" autocomplete="off"></label>'
      + '<button class="button tiny" type="submit">Set</button>';
    form.querySelector('.limit-label').textContent = label;
    return form;
  }

  const panel = document.createElement('details');
  panel.id = 'limits';
  panel.className = 'limits';
  panel.innerHTML = '<summary class="button ghost" title="Download and upload rate limits">Limits</summary><div class="limits-body"></div>';
  const body = panel.querySelector('.limits-body');
  const global = row('limits-global', 'All torrents');
  const torrent = row('limits-torrent', 'This torrent');
  torrent.hidden = true;
  // The alternative limits: switched on here, or by a daily schedule (from, to; local time of the server).
  const alt = row('limits-alt', 'Alternative');
  alt.querySelector('button').before(...(() => {
    const extra = document.createElement('span');
    extra.className = 'limit-alt';
    extra.innerHTML = '<label><input type="checkbox" name="on"> on</label>'
      + '<label><input type="checkbox" name="scheduled"> scheduled</label>'
      + '<label>from <input type="time" name="from" required></label><label>to <input type="time" name="to" required></label>';
    return [extra];
  })());
  const hint = document.createElement('div');
  hint.className = 'muted';
  hint.textContent = 'Bytes per second: 500K, 2M, 1.5M; empty or 0 is unlimited.';
  body.append(global, alt, torrent, hint);
  $('.bar .spacer').before(panel);

  // A reload (the panel opening, the detail view re-rendering) must not undo what the user is typing: a form with
  // unsaved edits is filled only by its own successful submit.
  function fill(form, limits, saved) {
    if (form.dataset.edited && !saved) return;
    delete form.dataset.edited;
    form.elements.down.value = showRate(limits.downloadRate);
    form.elements.up.value = showRate(limits.uploadRate);
  }
  const clock = (minutes) => String(Math.floor(minutes / 60)).padStart(2, '0') + ':' + String(minutes % 60).padStart(2, '0');
  const minutes = (text) => { const [h, m] = text.split(':').map(Number); return h * 60 + m; };
  function fillAlt(settings, saved) {
    fill(alt, settings, saved);
    if (alt.dataset.edited && !saved) return;
    alt.elements.on.checked = Boolean(settings.enabled);
    alt.elements.scheduled.checked = Boolean(settings.scheduleEnabled);
    alt.elements.from.value = clock(settings.scheduleBegin ?? 540);
    alt.elements.to.value = clock(settings.scheduleEnd ?? 1020);
    alt.querySelector('.limit-label').textContent = 'Alternative' + (settings.active ? ' (in force)' : '');
  }
  for (const form of [global, alt, torrent]) form.addEventListener('input', () => { form.dataset.edited = '1'; });

  async function load() {
    try {
      fill(global, await api('GET', 'api/limits'));
      fillAlt(await api('GET', 'api/limits/alternative'));
      torrent.hidden = !state.selected;
      if (state.selected) {
        const name = state.torrents.get(state.selected)?.name ?? '';
        torrent.querySelector('.limit-label').textContent = 'This torrent' + (name ? ' (' + name + ')' : '');
        if (torrent.dataset.infoHash !== state.selected) delete torrent.dataset.edited; // another torrent's form
        torrent.dataset.infoHash = state.selected;
        fill(torrent, await api('GET', 'api/torrents/' + state.selected + '/limits'));
      }
    } catch (e) { if (e.message !== 'a token is required') notify(e.message, true); }
  }

  async function submit(form, path) {
    const down = parseRate(form.elements.down.value);
    const up = parseRate(form.elements.up.value);
    if (down === null || up === null) { notify('a limit is bytes per second such as 500K, 2M or 1.5M (empty: unlimited)', true); return; }
    try {
      fill(form, await api('PUT', path, JSON.stringify({ downloadRate: down, uploadRate: up }), { 'Content-Type': 'application/json' }), true);
      notify('limits set');
    } catch (e) { if (e.message !== 'a token is required') notify(e.message, true); }
  }

  global.addEventListener('submit', (e) => { e.preventDefault(); submit(global, 'api/limits'); });
  alt.addEventListener('submit', async (e) => {
    e.preventDefault();
    const down = parseRate(alt.elements.down.value);
    const up = parseRate(alt.elements.up.value);
    if (down === null || up === null) { notify('a limit is bytes per second such as 500K, 2M or 1.5M (empty: unlimited)', true); return; }
    const body = {
      enabled: alt.elements.on.checked, downloadRate: down, uploadRate: up, scheduleEnabled: alt.elements.scheduled.checked,
      scheduleBegin: minutes(alt.elements.from.value), scheduleEnd: minutes(alt.elements.to.value),
    };
    try {
      fillAlt(await api('PUT', 'api/limits/alternative', JSON.stringify(body), { 'Content-Type': 'application/json' }), true);
      notify('alternative limits set');
    } catch (err) { if (err.message !== 'a token is required') notify(err.message, true); }
  });
  torrent.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(torrent, 'api/torrents/' + torrent.dataset.infoHash + '/limits');
  });
  // Opened under its button, and moved left as far as needed to stay on the screen (the toolbar wraps, so the button
  // may be anywhere); a phone's stylesheet spans it across the screen instead.
  function place() {
    body.style.left = '';
    if (!panel.open) return;
    const overflow = body.getBoundingClientRect().right - (document.documentElement.clientWidth - 8);
    if (overflow > 0) body.style.left = -overflow + 'px';
  }
  // The summary's click opens the panel here rather than by its default action, so that it is placed in the same task
  // (the toggle event comes later).
  panel.querySelector('summary').addEventListener('click', (e) => {
    e.preventDefault();
    panel.open = !panel.open;
    place();
  });
  panel.addEventListener('toggle', () => { place(); if (panel.open) load(); });
  addEventListener('resize', place);
  // Another torrent opened in the detail view (or it closed): show that torrent's limits.
  new MutationObserver(() => { if (panel.open) load(); }).observe($('#d-name'), { childList: true, characterData: true, subtree: true });
})();
