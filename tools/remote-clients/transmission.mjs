// Drives torrentlab serve with @ctrl/transmission (Transmission RPC) and checks each action through TorrentLab's own
// REST API. Usage: node transmission.mjs <server url> <token> <.torrent path> <magnet link>
import { readFileSync } from 'node:fs';
import { Transmission } from '@ctrl/transmission';

const [base, token, torrentPath, magnet] = process.argv.slice(2);
const client = new Transmission({ baseUrl: base, username: 'user', password: token });
const api = async path => (await fetch(new URL(path, base), { headers: { Authorization: `Bearer ${token}` } })).json();
const check = (ok, what) => { if (!ok) { console.error(`FAILED: ${what}`); process.exit(1); } console.log(`ok: ${what}`); };
const rpc = async (what, call) => { const res = await call; check(res.result === 'success', `${what} (result: ${res.result})`); return res.arguments; };
const row = async hash => (await api('/api/torrents')).find(t => t.infoHash === hash);

const session = await rpc('session-get', client.getSession());
check(session['rpc-version'] === 17, 'rpc-version 17');
const dir = session['download-dir']; // the only folder this server downloads to
const added = await rpc('torrent-add', client.addTorrent(readFileSync(torrentPath), { paused: true, 'download-dir': dir }));
const hash = added['torrent-added'].hashString;
check((await row(hash))?.state === 'paused', 'added paused');
await rpc('torrent-set files-unwanted', client.setTorrent(hash, { 'files-unwanted': [1] }));
check((await api(`/api/torrents/${hash}/files`))[1].priority === 'skip', 'second file skipped');
await rpc('torrent-set downloadLimit', client.setTorrent(hash, { downloadLimit: 50, downloadLimited: true }));
check((await api(`/api/torrents/${hash}/limits`)).downloadRate === 50000, 'download limit 50 kB/s');
await rpc('torrent-start', client.resumeTorrent(hash));
check(['queued', 'downloading'].includes((await row(hash))?.state), 'started');
await rpc('torrent-stop', client.pauseTorrent(hash));
check((await row(hash))?.state === 'paused', 'stopped');
await rpc('torrent-verify', client.verifyTorrent(hash));
check((await row(hash))?.state === 'paused', 'verified, still stopped');
const all = await client.getAllData();
check(all.torrents.some(t => t.id === hash || t.infoHash === hash), 'getAllData lists it');
await rpc('torrent-remove', client.removeTorrent(hash, true));
check((await row(hash)) === undefined, 'removed');
const viaMagnet = await rpc('torrent-add magnet', client.addMagnet(magnet, { paused: true, 'download-dir': dir }));
check((await row(viaMagnet['torrent-added'].hashString))?.state === 'paused', 'magnet added paused');
