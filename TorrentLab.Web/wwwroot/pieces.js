// The piece map's readout: the piece under the pointer, its state, how many connected peers have it and which peer
// sent it (read from GET /api/torrents/{infoHash}/pieces at most every 2 s while the pointer is on the map; only a
// running torrent has the counts; the senders are those of the pieces that arrived since the server added it). Under
// the map, the moments the engine changed its mode (end game, choke decisions, super-seed reveals), newest first, from
// the same answer, asked again at most every 2 s while the map is drawn. app.js draws the map and tells this the layout it drew. Uses app.js's helpers ($, api, state).
'use strict';

const pieceHover = (() => {
  const FRESH_MS = 2000;
  const NAMES = ['missing', 'requested', 'verified', 'failed'];
  const MOMENTS_SHOWN = 10;
  const moments = $('#piece-moments');
  const canvas = $('#piece-map');
  const out = $('#piece-hover');
  let layout = null;  // { columns, cell, gap, count } as last drawn
  let counts = { hash: null, at: 0, availability: null, senders: null, sentBy: null, several: null };
  let asking = false;
  let last = null;    // the last pointer position on the map, for the answer that comes later

  async function ask(hash) {
    if (asking) return;
    asking = true;
    try {
      const map = await api('GET', `api/torrents/${hash}/pieces`);
      counts = { hash, at: performance.now(), availability: map.availability, senders: map.senders, sentBy: map.sentBy,
        several: new Set(map.sentBySeveral || []) };
      if (state.selected === hash) showMoments(map.moments || []);
      if (last && state.selected === hash) show(last);
    } catch { /* the readout shows the state alone */ }
    finally { asking = false; }
  }

  function show(point) {
    if (!layout || !state.selected) return;
    const column = Math.floor(point.x / (layout.cell + layout.gap));
    const row = Math.floor(point.y / (layout.cell + layout.gap));
    const index = row * layout.columns + column;
    if (column >= layout.columns || index < 0 || index >= layout.count) { out.textContent = ''; delete out.dataset.index; return; }
    const name = NAMES[state.pieces.charCodeAt(index) - 48] || 'missing';
    let text = `piece ${index}: ${name}`;
    if (counts.hash === state.selected && counts.availability) {
      const n = counts.availability[index];
      text += ` · ${n} connected peer${n === 1 ? ' has' : 's have'} it`;
    } else if (counts.hash === state.selected) {
      text += ' · peers per piece only while it runs';
    }
    if (counts.hash === state.selected && counts.sentBy && counts.senders) {
      const sender = counts.senders[counts.sentBy[index]];
      if (sender) {
        const who = sender.client ? `${sender.address} (${sender.client})` : sender.address;
        text += counts.several.has(index) ? ` · sent by several peers, most by ${who}` : ` · sent by ${who}`;
      }
    }
    out.textContent = text;
    out.dataset.index = String(index);
    if (counts.hash !== state.selected || performance.now() - counts.at > FRESH_MS) ask(state.selected);
  }

  // One line per moment: its time, then what the engine did.
  function describe(m) {
    switch (m.kind) {
      case 'endgame': return `end game began: ${m.piecesLeft} piece${m.piecesLeft === 1 ? '' : 's'} left, every missing block asked of someone (found asking ${m.peer})`;
      case 'unchoke': return `choke round: unchoked ${m.peer}`;
      case 'choke': return `choke round: choked ${m.peer}`;
      case 'reveal': return `super-seeding revealed piece ${m.piece} to ${m.peer}`;
      case 'rarest': return `rarest first began: the first pieces were picked at random; ${m.piecesLeft} left (first for ${m.peer})`;
      default: return `${m.kind} ${m.peer || ''}`;
    }
  }

  function showMoments(list) {
    moments.replaceChildren(...list.slice(-MOMENTS_SHOWN).reverse().map((m) => {
      const li = document.createElement('li');
      li.dataset.kind = m.kind;
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = new Date(m.at).toTimeString().slice(0, 8);
      li.append(when, describe(m));
      return li;
    }));
    moments.dataset.count = String(list.length);
  }

  canvas.addEventListener('mousemove', (e) => {
    const box = canvas.getBoundingClientRect();
    last = { x: e.clientX - box.left, y: e.clientY - box.top };
    show(last);
  });
  canvas.addEventListener('mouseleave', () => { last = null; out.textContent = ''; delete out.dataset.index; });

  return {
    // Called by app.js's drawPieces with the layout it drew.
    drawn(columns, cell, gap, count) {
      layout = { columns, cell, gap, count };
      if (counts.hash !== state.selected) { moments.replaceChildren(); delete moments.dataset.count; }
      if (last) show(last);
      else if (state.selected && (counts.hash !== state.selected || performance.now() - counts.at > FRESH_MS)) ask(state.selected);
    },
  };
})();
