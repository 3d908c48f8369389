// One webtorrent peer for the interop tests, loopback only: no DHT, local discovery, uTP, UPnP or NAT-PMP; peers come
// from the torrent's tracker. usage: node peer.mjs seed|get TORRENT FOLDER PORT
// Prints "ready" once the torrent is loaded, then "seeding" (seed: its data checked) or "done" (get: complete, then it
// exits 0). A seeder runs until killed; either gives up after 60 s (exit 1), printing how far it got.
import WebTorrent from 'webtorrent'

const [mode, torrent, folder, port] = process.argv.slice(2)
const client = new WebTorrent({ dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, torrentPort: Number(port) })
const fail = error => { console.log('error ' + (error.message ?? error)); process.exit(2) }
client.on('error', fail)
const t = client.add(torrent, { path: folder })
t.on('error', fail)
t.on('ready', () => console.log('ready'))
t.on('done', () => {
  console.log(mode === 'seed' ? 'seeding' : 'done')
  if (mode !== 'seed') client.destroy(() => process.exit(0))
})
setTimeout(() => { console.log(`timeout: progress ${t.progress}, peers ${t.numPeers}`); process.exit(1) }, 60000)
