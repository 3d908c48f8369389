// "Why no progress" in the detail view: the server's diagnosis of the torrent shown (GET /api/torrents/{infoHash}/why,
// the same as `torrentlab why`): a verdict line, then each tracker's last answer, the DHT's lookups, whether our port
// was reached, and the peers tried lately with why each was dropped or refused. Asked when a torrent is opened, on
// "Ask again", and every 5 s while the view is open and the page is in sight (the diagnosis is not pushed live).
// Uses app.js's helpers ($, el, api, state).
'use strict';

const whyView = (() => {
  const REFRESH_MS = 5000;
  const verdict = $('#why-verdict');
  const body = document.querySelector('#why tbody');
  let asking = 0; // the request number whose answer is awaited

  // What each finding is about, in the order shown: the trackers, the DHT, our port, the peers.
  function rows(report) {
    const all = [];
    for (const t of report.trackers) all.push(['tracker', t]);
    if (report.dht) all.push(['DHT', report.dht]);
    all.push(['port', report.reachability]);
    for (const p of report.peers) all.push(['peer', p]);
    return all;
  }

  function ago(at) {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(at)) / 1000));
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.round(seconds / 60) + ' min ago';
    return Math.round(seconds / 3600) + ' h ago';
  }

  function render(report) {
    verdict.textContent = report.verdict;
    verdict.dataset.cause = report.cause;
    verdict.className = 'why-verdict ' + (report.cause === 'progressing' || report.cause === 'complete' ? 'ok' : 'stuck');
    const items = rows(report);
    body.replaceChildren(...items.map(([what, f]) => {
      const tr = el('tr');
      tr.dataset.kind = f.kind;
      const subject = el('td');
      subject.textContent = what === 'tracker' || what === 'peer' ? f.subject : what; // a URL or an address; or DHT, port
      const text = el('td');
      text.textContent = f.text;
      const when = el('td', 'muted when');
      when.textContent = ago(f.at);
      when.title = new Date(f.at).toLocaleString();
      tr.append(subject, text, when);
      return tr;
    }));
  }

  async function ask() {
    const hash = state.selected;
    if (!hash) return;
    const request = ++asking;
    try {
      const report = await api('GET', `api/torrents/${hash}/why`);
      if (request === asking && state.selected === hash) render(report);
    } catch (e) {
      if (request === asking && state.selected === hash) verdict.textContent = 'could not ask the server: ' + e.message;
    }
  }

  $('#why-refresh').addEventListener('click', ask);
  setInterval(() => { if (state.selected && !document.hidden && !$('#detail').hidden) ask(); }, REFRESH_MS);

  return {
    // Called when a torrent's detail view opens: what was shown of another torrent goes at once.
    open() {
      verdict.textContent = 'asking…';
      verdict.className = 'why-verdict';
      delete verdict.dataset.cause;
      body.replaceChildren();
      ask();
    },
  };
})();
