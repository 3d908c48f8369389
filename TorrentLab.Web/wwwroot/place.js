// TorrentLab web interface: a torrent's place and company. The filters by tracker and by category, the queue buttons of
// the bulk bar, and in the detail view the save folder (moving the data), the category, the tracker list and the peers
// given to it. Uses api(), state, totals, putTorrent() and notify() from app.js.
'use strict';

const json = { 'Content-Type': 'application/json' };

// ---------- the filters by tracker host and by category ----------
// Their choices are the hosts and categories the torrents have, counted by app.js as torrents come and go; a menu is
// rebuilt only when a choice appears or vanishes, not on every frame.
const facetWanted = { tracker: '', category: '' }; // the choice asked for (by the address), kept until it exists
let facetsDrawn = -1;

function fillFacet(select, counts, allLabel, wanted) {
  const options = [new Option(allLabel, '')];
  for (const key of [...counts.keys()].sort(collator.compare)) options.push(new Option(key, key));
  select.replaceChildren(...options);
  select.value = counts.has(wanted) ? wanted : '';
}

function renderFacets() {
  if (facetsDrawn === totals.facets) return;
  facetsDrawn = totals.facets;
  const [tracker, category] = [$('#tracker-filter'), $('#category-filter')];
  const before = [tracker.value, category.value];
  fillFacet(tracker, totals.trackers, 'All trackers', facetWanted.tracker);
  fillFacet(category, totals.categories, 'All categories', facetWanted.category);
  setProp(tracker, 'hidden', totals.trackers.size < 2); // one host: nothing to choose between
  setProp(category, 'hidden', totals.categories.size === 0);
  if (tracker.value !== before[0] || category.value !== before[1]) list.orderDirty = true;
}

// ---------- the queue: the ticked torrents move together, in the list's order ----------
for (const button of document.querySelectorAll('[data-queue]')) {
  button.addEventListener('click', async () => {
    const hashes = list.order.filter((h) => state.checked.has(h));
    try {
      await api('POST', 'api/torrents/queue', JSON.stringify({ move: button.dataset.queue, infoHashes: hashes }), json);
      notify(`queue: ${hashes.length} torrent${hashes.length === 1 ? '' : 's'} moved ${button.dataset.queue === 'top' || button.dataset.queue === 'bottom' ? 'to the ' : ''}${button.dataset.queue}`);
      if (state.selected) api('GET', `api/torrents/${state.selected}`).then(showDetail, () => {});
    } catch (e) { notify(`queue: ${e.message}`, true); }
  });
}

// ---------- the detail view: folder, category, trackers, peers ----------
// Each form is filled when the detail view opens on a torrent, or when its value changed and the form is not being
// edited: live updates never overwrite what the user is typing.
const filled = { hash: null, folder: null, category: null, trackers: null, peers: null };

function editing(form) {
  return document.activeElement && document.activeElement.closest(form) !== null;
}

function fillPlace(d) {
  const t = d.summary;
  const fresh = filled.hash !== t.infoHash;
  filled.hash = t.infoHash;
  const trackers = tiersText(d.trackers);
  if ((fresh || filled.folder !== t.folder) && !editing('#folder-form')) $('#folder-input').value = t.folder || '';
  if ((fresh || filled.category !== (t.category || '')) && !editing('#category-form')) $('#category-input').value = t.category || '';
  if ((fresh || filled.trackers !== trackers) && !editing('#trackers-form')) $('#trackers-input').value = trackers;
  if (fresh || filled.category !== (t.category || '')) fillCategoryLimits(t.category || '');
  Object.assign(filled, { folder: t.folder, category: t.category || '', trackers });
  setProp($('#trackers-reset'), 'hidden', !d.trackersEdited);
  setText($('#queue-place'), `queue position ${d.queuePosition + 1}${t.folder ? ` · in ${t.folder}` : ''}`);
  setText($('#given-peers'), d.givenPeers && d.givenPeers.length ? `given: ${d.givenPeers.join(', ')}` : '');
}

// One URL per line, a blank line between tiers: Transmission's trackerList, and what the textarea shows.
function tiersText(trackers) {
  const tiers = [];
  for (const t of trackers) (tiers[t.tier] = tiers[t.tier] || []).push(t.url);
  return tiers.filter(Boolean).map((tier) => tier.join('\n')).join('\n\n');
}

function tiersOf(text) {
  return text.split(/\n\s*\n/).map((tier) => tier.split('\n').map((u) => u.trim()).filter(Boolean)).filter((tier) => tier.length);
}

async function change(what, method, path, body, after) {
  const hash = state.selected;
  if (!hash) return;
  try {
    const answer = await api(method, `api/torrents/${hash}/${path}`, JSON.stringify(body), json);
    if (answer && answer.infoHash) { putTorrent(answer); renderList(); }
    if (after) after(answer);
    const details = await api('GET', `api/torrents/${hash}`);
    filled.hash = null; // show the server's values
    showDetail(details);
  } catch (e) { notify(`${what}: ${e.message}`, true); }
}

$('#folder-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const folder = $('#folder-input').value.trim();
  notify('moving the data…');
  change('move', 'PUT', 'folder', { folder, move: true }, (t) => notify(`${t.name} is in ${t.folder || 'the downloads folder'}`));
});

$('#category-form').addEventListener('submit', (e) => {
  e.preventDefault();
  change('category', 'PUT', 'category', { category: $('#category-input').value.trim() || null }, () => loadCategories());
});

// The share limits of the torrent's category (each over the server's default, under the torrent's own), shown when it has one.
let limitsOf = '';
async function fillCategoryLimits(category) {
  limitsOf = category;
  setProp($('#category-limits-form'), 'hidden', !category);
  if (!category || editing('#category-limits-form')) return;
  setText($('#category-limits-name'), `Limits of ${category}:`);
  try {
    const limits = await api('GET', `api/categories/${encodeURIComponent(category)}/limits`);
    if (limitsOf !== category) return; // another torrent or category was shown meanwhile
    $('#category-ratio').value = limits.ratio ?? '';
    $('#category-minutes').value = limits.minutes ?? '';
    $('#category-idle').value = limits.idleMinutes ?? '';
  } catch (e) { notify(`category limits: ${e.message}`, true); }
}

$('#category-limits-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!limitsOf) return;
  const optional = (id) => ($(id).value === '' ? null : Number($(id).value));
  const body = { ratio: optional('#category-ratio'), minutes: optional('#category-minutes'), idleMinutes: optional('#category-idle') };
  try {
    await api('PUT', `api/categories/${encodeURIComponent(limitsOf)}/limits`, JSON.stringify(body), json);
    notify(`share limits of ${limitsOf} saved; its running torrents take them now`);
  } catch (err) { notify(`category limits: ${err.message}`, true); }
});

$('#trackers-form').addEventListener('submit', (e) => {
  e.preventDefault();
  change('trackers', 'PUT', 'trackers', { tiers: tiersOf($('#trackers-input').value) }, () => notify('trackers saved'));
});
$('#trackers-reset').addEventListener('click', () => {
  change('trackers', 'PUT', 'trackers', { tiers: null }, () => notify('back to the .torrent\'s trackers'));
});

$('#peer-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const address = $('#peer-input').value.trim();
  change('peer', 'POST', 'peers', { address }, () => { $('#peer-input').value = ''; notify(`peer ${address} given`); });
});

async function loadCategories() {
  try {
    const categories = await api('GET', 'api/categories');
    $('#category-list').replaceChildren(...categories.map((c) => new Option(c, c)));
  } catch { /* the list of choices is a convenience: the field takes any name */ }
}
addEventListener('DOMContentLoaded', loadCategories);
