// Drives torrentlab serve with @ctrl/qbittorrent (qBittorrent WebUI API v2) and checks each action through TorrentLab's
// own REST API. Usage: node qbittorrent.mjs <server url> <token> <.torrent path> <magnet link> <info hash>
import { readFileSync } from 'node:fs';
import { QBittorrent } from '@ctrl/qbittorrent';

const [base, token, torrentPath, magnet, hash] = process.argv.slice(2);
const client = new QBittorrent({ baseUrl: base, username: 'admin', password: token });
const api = async path => (await fetch(new URL(path, base), { headers: { Authorization: `Bearer ${token}` } })).json();
const check = (ok, what) => { if (!ok) { console.error(`FAILED: ${what}`); process.exit(1); } console.log(`ok: ${what}`); };
const row = async () => (await api('/api/torrents')).find(t => t.infoHash === hash);

check((await client.getAppVersion()).startsWith('v4.'), 'logged in, app/version');
await client.createCategory('tv');
check('tv' in (await client.getCategories()), 'category created');
await client.addTorrent(readFileSync(torrentPath), { paused: 'true', category: 'tv' });
check((await row())?.state === 'paused', 'added paused');
await client.setFilePriority(hash, [1], 0);
check((await api(`/api/torrents/${hash}/files`))[1].priority === 'skip', 'second file skipped');
await client.setTorrentDownloadLimit(hash, 40000);
check((await api(`/api/torrents/${hash}/limits`)).downloadRate === 40000, 'download limit 40000 B/s');
await client.resumeTorrent(hash);
check(['queued', 'downloading'].includes((await row())?.state), 'resumed');
await client.pauseTorrent(hash);
check((await row())?.state === 'paused', 'paused');
await client.recheckTorrent(hash);
check((await row())?.state === 'paused', 'rechecked, still paused');
const all = await client.getAllData();
check(all.torrents.some(t => t.id === hash && t.label === 'tv'), 'getAllData lists it in its category');
await client.removeTorrent(hash, true);
check((await row()) === undefined, 'removed');
await client.addMagnet(magnet, { paused: 'true' });
check((await row())?.state === 'paused', 'magnet added paused');
