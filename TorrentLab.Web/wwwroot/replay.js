// The replay of a recorded download (a file `torrentlab FILE.torrent --record run.json` wrote, PieceRecording's
// format): the piece map at each recorded moment, stepped with the slider or played, with the pointer on a piece saying
// its state and who sent it. Read in the page alone: nothing goes to the server. Uses app.js's $, drawMap, countPieces.
'use strict';

(() => {
  const NAMES = ['missing', 'requested', 'verified', 'failed'];
  const PLAY_MS = 100;    // a step every 100 ms
  const PLAY_STEPS = 200; // a whole recording plays in about 200 steps (20 s), however long it ran
  const dialog = $('#replay-dialog');
  const canvas = $('#replay-map');
  const slider = $('#replay-step');
  const play = $('#replay-play');
  const out = $('#replay-hover');
  let rec = null;      // the recording read
  let times = [];      // the distinct event times (ms), from 0: one step each
  let shown = null;    // { step, states: digits array, sender: row per piece, several: per piece }
  let layout = null;
  let timer = null;

  function read(text) {
    const r = JSON.parse(text);
    if (r.format !== 'torrentlab-pieces') throw new Error(`expected format "torrentlab-pieces", got "${r.format}"`);
    if (r.version !== 1) throw new Error(`expected version 1, got ${r.version}`);
    const count = r.pieceCount | 0;
    (r.events || []).forEach((e, n) => {
      if (!(e.piece >= 0 && e.piece < count)) throw new Error(`event ${n}: expected a piece below ${count}, got ${e.piece}`);
      if (!NAMES.includes(e.state)) throw new Error(`event ${n}: expected a state (${NAMES.join(', ')}), got "${e.state}"`);
    });
    return r;
  }

  // The map at a step: every event up to its time applied.
  function mapAt(step) {
    const count = rec.pieceCount;
    const states = new Array(count).fill(0);
    const sender = new Array(count).fill(-1);
    const several = new Array(count).fill(false);
    const until = times[step];
    for (const e of rec.events) {
      if (e.ms > until) break;
      states[e.piece] = NAMES.indexOf(e.state);
      sender[e.piece] = e.state === 'verified' && e.sender != null ? e.sender : -1;
      several[e.piece] = e.several === true;
    }
    return { step, states, sender, several };
  }

  function show(step) {
    shown = mapAt(step);
    const digits = shown.states.join('');
    const counts = countPieces(digits);
    canvas.dataset.verified = counts[2];
    canvas.dataset.step = String(step);
    layout = drawMap(canvas, digits);
    $('#replay-counts').textContent = `${counts[2]} verified · ${counts[1]} requested · ${counts[3]} failed · ${counts[0]} missing`;
    const end = times[times.length - 1];
    $('#replay-when').textContent = `${(times[step] / 1000).toFixed(1)} s of ${(end / 1000).toFixed(1)} s`;
    slider.value = String(step);
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    play.textContent = 'Play';
  }

  play.addEventListener('click', () => {
    if (timer) { stop(); return; }
    if (Number(slider.value) >= times.length - 1) show(0);
    play.textContent = 'Pause';
    const stride = Math.max(1, Math.ceil(times.length / PLAY_STEPS));
    timer = setInterval(() => {
      const next = Math.min(times.length - 1, Number(slider.value) + stride);
      show(next);
      if (next >= times.length - 1) stop();
    }, PLAY_MS);
  });
  slider.addEventListener('input', () => { stop(); show(Number(slider.value)); });

  $('#replay-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    stop();
    try {
      rec = read(await file.text());
    } catch (err) {
      rec = null;
      $('#replay-name').textContent = `${file.name}: not a recording (${err.message})`;
      play.disabled = slider.disabled = true;
      return;
    }
    times = [0, ...new Set(rec.events.map((e) => e.ms).filter((ms) => ms > 0))];
    $('#replay-name').textContent = `${rec.name} · ${rec.pieceCount} pieces · ${rec.events.length} events · ${(rec.senders || []).length} senders`;
    slider.max = String(times.length - 1);
    play.disabled = slider.disabled = false;
    show(0);
  });

  canvas.addEventListener('mousemove', (e) => {
    if (!layout || !shown) return;
    const box = canvas.getBoundingClientRect();
    const column = Math.floor((e.clientX - box.left) / (layout.cell + layout.gap));
    const index = Math.floor((e.clientY - box.top) / (layout.cell + layout.gap)) * layout.columns + column;
    if (column >= layout.columns || index < 0 || index >= shown.states.length) { out.textContent = ''; delete out.dataset.index; return; }
    let text = `piece ${index}: ${NAMES[shown.states[index]]}`;
    const sender = (rec.senders || [])[shown.sender[index]];
    if (sender) {
      const who = sender.client ? `${sender.address} (${sender.client})` : sender.address;
      text += shown.several[index] ? ` · sent by several peers, most by ${who}` : ` · sent by ${who}`;
    }
    out.textContent = text;
    out.dataset.index = String(index);
  });
  canvas.addEventListener('mouseleave', () => { out.textContent = ''; delete out.dataset.index; });

  $('#replay-open').addEventListener('click', () => { if (!dialog.open) dialog.showModal(); if (shown) show(shown.step); });
  $('#replay-close').addEventListener('click', () => { stop(); dialog.close(); });
  dialog.addEventListener('close', stop);
})();
