// The disk guard on the page: the free space of each volume downloads write to, in the totals bar (red while its
// downloads wait), and a notice when a volume comes low or has room again. GET /api/disk every 10 s while the page is
// in sight (the guard reads the volumes every few seconds; nothing is pushed). Uses app.js's helpers ($, api, bytes, notify).
'use strict';

(() => {
  const REFRESH_MS = 10000;
  const slot = $('#t-disk');
  const low = new Map(); // volume -> whether its downloads waited at the last answer

  async function ask() {
    let volumes;
    try { volumes = await api('GET', 'api/disk'); } catch { return; } // the token bar or the connection pill says why
    slot.textContent = volumes.map(v => (volumes.length > 1 ? v.volume + ' ' : '') + bytes(v.free) + ' free').join(' · ');
    slot.title = volumes.map(v => `${v.volume}: ${bytes(v.free)} free of ${bytes(v.total)}`
      + (v.keepFree > 0 ? `; downloads wait below ${bytes(v.keepFree)}` : '; disk guard off')).join('\n');
    slot.classList.toggle('low', volumes.some(v => v.low));
    for (const v of volumes) {
      if (low.has(v.volume) && low.get(v.volume) !== v.low)
        notify(v.low ? `Downloads on ${v.volume} wait: ${bytes(v.free)} free, ${bytes(v.keepFree)} kept free`
          : `Downloads on ${v.volume} go on: ${bytes(v.free)} free`, v.low);
      low.set(v.volume, v.low);
    }
  }

  ask();
  setInterval(() => { if (!document.hidden) ask(); }, REFRESH_MS);
})();
