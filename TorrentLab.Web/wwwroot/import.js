// "Import from another client": POST /api/import with the client and its state folder on the server; one line per
// torrent comes back (what was kept, and whether its data was hashed), shown in the dialog.
'use strict';
(() => {
  const dialog = $('#import-dialog');
  $('#import-open').addEventListener('click', () => { $('#import-result').hidden = true; dialog.showModal(); });
  $('#import-confirm').addEventListener('click', async (e) => {
    e.preventDefault(); // the dialog stays open to show the lines
    const result = $('#import-result');
    result.hidden = false;
    result.textContent = 'importing…';
    try {
      const answer = await api('POST', 'api/import', JSON.stringify({
        client: $('#import-client').value, path: $('#import-path').value.trim(), recheck: $('#import-recheck').checked,
      }), { 'Content-Type': 'application/json' });
      result.textContent = [...answer.torrents.map((t) => t.line), answer.summary].join('\n');
      notify(answer.summary);
    } catch (err) { result.textContent = err.message; }
  });
})();
