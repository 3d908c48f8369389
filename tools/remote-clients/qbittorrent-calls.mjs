// Runs every call of @ctrl/qbittorrent that qBittorrent 4.5's WebUI API (2.8.19) has, one after the other, against one
// server, and prints "pass NAME" or "fail NAME: why" for each: the same list against qbittorrent-nox and against
// torrentlab serve tells which calls a client can rely on (TorrentLab.Tests/Web/RemoteClientsInteropTests.cs compares).
// A call passes when it answers without an error and, where the call returns data, with the shape the client reads.
// Usage: node qbittorrent-calls.mjs <server url> <user> <password> <.torrent path> <info hash> <magnet link> <save folder>
import { readFileSync } from 'node:fs';
import { QBittorrent } from '@ctrl/qbittorrent';

const [base, username, password, torrentPath, hash, magnet, saveFolder] = process.argv.slice(2);
const client = new QBittorrent({ baseUrl: base, username, password, timeout: 60000 });
const calls = [];
const call = (name, run) => calls.push([name, run]);
const expect = (ok, what) => { if (!ok) throw new Error(what); };
const isObject = v => v !== null && typeof v === 'object' && !Array.isArray(v);
const waitFor = async (what, test) => {
  for (let i = 0; i < 200; i++) { if (await test()) return; await new Promise(r => setTimeout(r, 100)); }
  throw new Error(`${what}: not after 20 s`);
};

call('getAppVersion', async () => expect(/^v\d/.test(await client.getAppVersion()), 'a version'));
call('getApiVersion', async () => expect(/^2\./.test(await client.getApiVersion()), 'an API version'));
call('getDefaultSavePath', async () => expect(typeof await client.getDefaultSavePath() === 'string', 'a path'));
call('getBuildInfo', async () => expect(isObject(await client.getBuildInfo()), 'an object'));
call('getPreferences', async () => expect(typeof (await client.getPreferences()).dl_limit === 'number', 'dl_limit a number'));
call('setPreferences', async () => {
  const { dl_limit } = await client.getPreferences();
  await client.setPreferences({ dl_limit });
});
call('addTorrent', async () => {
  await client.addTorrent(readFileSync(torrentPath), { paused: 'true', savepath: saveFolder });
  await waitFor('listed', async () => (await client.listTorrents({ hashes: hash })).length === 1);
});
call('listTorrents', async () => expect((await client.listTorrents()).some(t => t.hash === hash), 'the torrent listed'));
call('getTorrent', async () => expect((await client.getTorrent(hash)).id === hash, 'the torrent'));
call('getAllData', async () => expect((await client.getAllData()).torrents.some(t => t.id === hash), 'the torrent'));
call('getSyncMainData', async () => {
  const full = await client.getSyncMainData();
  expect(full.full_update === true && isObject(full.torrents) && hash in full.torrents, 'a full update listing the torrent');
  const next = await client.getSyncMainData(full.rid);
  expect(typeof next.rid === 'number' && next.rid > full.rid, 'a later rid');
});
call('torrentProperties', async () => expect((await client.torrentProperties(hash)).piece_size > 0, 'piece_size'));
call('torrentTrackers', async () => expect(Array.isArray(await client.torrentTrackers(hash)), 'an array'));
call('torrentWebSeeds', async () => expect(Array.isArray(await client.torrentWebSeeds(hash)), 'an array'));
call('torrentFiles', async () => expect((await client.torrentFiles(hash)).length === 2, 'two files'));
call('setFilePriority', async () => {
  await client.setFilePriority(hash, [1], 0);
  expect((await client.torrentFiles(hash))[1].priority === 0, 'the second file skipped');
  await client.setFilePriority(hash, [1], 1);
});
call('torrentPieceStates', async () => expect((await client.torrentPieceStates(hash)).every(s => [0, 1, 2].includes(s)), 'piece states'));
call('torrentPieceHashes', async () => expect((await client.torrentPieceHashes(hash)).every(h => /^[0-9a-f]{40}$/.test(h)), 'SHA-1 hashes'));
call('setTorrentDownloadLimit', async () => client.setTorrentDownloadLimit(hash, 40960));
call('getTorrentDownloadLimit', async () => expect((await client.getTorrentDownloadLimit(hash))[hash] === 40960, 'the limit set'));
call('setTorrentUploadLimit', async () => client.setTorrentUploadLimit(hash, 20480));
call('getTorrentUploadLimit', async () => expect((await client.getTorrentUploadLimit(hash))[hash] === 20480, 'the limit set'));
call('setTorrentName', async () => {
  await client.setTorrentName(hash, 'renamed by a client');
  expect((await client.getTorrent(hash)).name === 'renamed by a client', 'the new name listed');
});
call('createTags', async () => client.createTags('alpha,beta'));
call('getTags', async () => expect((await client.getTags()).includes('alpha'), 'the tag created'));
call('addTorrentTags', async () => {
  await client.addTorrentTags(hash, 'alpha,beta');
  expect((await client.listTorrents({ hashes: hash }))[0].tags.includes('beta'), 'tagged');
});
call('removeTorrentTags', async () => {
  await client.removeTorrentTags(hash, 'beta');
  expect(!(await client.listTorrents({ hashes: hash }))[0].tags.includes('beta'), 'untagged');
});
call('deleteTags', async () => {
  await client.deleteTags('beta');
  expect(!(await client.getTags()).includes('beta'), 'the tag deleted');
});
call('createCategory', async () => client.createCategory('films'));
call('getCategories', async () => expect('films' in await client.getCategories(), 'the category created'));
call('editCategory', async () => client.editCategory('films', ''));
call('setTorrentCategory', async () => {
  await client.setTorrentCategory(hash, 'films');
  expect((await client.getTorrent(hash)).label === 'films', 'in the category');
});
call('resetTorrentCategory', async () => client.resetTorrentCategory(hash));
call('removeCategory', async () => {
  await client.removeCategory('films');
  expect(!('films' in await client.getCategories()), 'the category removed');
});
call('renameFile', async () => {
  const [first] = await client.torrentFiles(hash);
  await client.renameFile(hash, first.name, first.name.replace(/[^/]+$/, 'renamed.bin'));
  expect((await client.torrentFiles(hash))[0].name.endsWith('/renamed.bin'), 'the file renamed');
  await client.renameFile(hash, first.name.replace(/[^/]+$/, 'renamed.bin'), first.name);
});
call('renameFolder', async () => {
  const files = await client.torrentFiles(hash);
  const folder = files[1].name.split('/').slice(0, -1).join('/');
  await client.renameFolder(hash, folder, folder + '2');
  expect((await client.torrentFiles(hash))[1].name.startsWith(folder + '2/'), 'the folder renamed');
  await client.renameFolder(hash, folder + '2', folder);
});
call('addTrackers', async () => client.addTrackers(hash, 'http://127.0.0.1:9/announce'));
call('editTrackers', async () => client.editTrackers(hash, 'http://127.0.0.1:9/announce', 'http://127.0.0.1:10/announce'));
call('removeTrackers', async () => client.removeTrackers(hash, 'http://127.0.0.1:10/announce'));
call('topPriority', async () => client.topPriority(hash));
call('bottomPriority', async () => client.bottomPriority(hash));
call('queueUp', async () => client.queueUp(hash));
call('queueDown', async () => client.queueDown(hash));
call('torrentPeers', async () => expect(isObject((await client.torrentPeers(hash)).peers), 'a peers object'));
call('startTorrent', async () => client.startTorrent(hash));
call('reannounceTorrent', async () => client.reannounceTorrent(hash));
call('stopTorrent', async () => client.stopTorrent(hash));
call('recheckTorrent', async () => client.recheckTorrent(hash));
call('setTorrentLocation', async () => {
  await waitFor('checked', async () => !(await client.getTorrent(hash)).state.startsWith('check'));
  await client.setTorrentLocation(hash, saveFolder + '/moved');
  await waitFor('moved', async () => (await client.torrentProperties(hash)).save_path.replace(/\/$/, '').endsWith('/moved'));
});
call('removeTorrent', async () => {
  await client.removeTorrent(hash, true);
  await waitFor('removed', async () => (await client.listTorrents({ hashes: hash })).length === 0);
});
call('addMagnet', async () => {
  await client.addMagnet(magnet, { paused: 'true', savepath: saveFolder });
  await waitFor('listed', async () => (await client.listTorrents({ hashes: hash })).length === 1);
});
call('normalizedAddTorrent', async () => {
  await client.removeTorrent(hash, false);
  await waitFor('removed', async () => (await client.listTorrents({ hashes: hash })).length === 0);
  const added = await client.normalizedAddTorrent(readFileSync(torrentPath), { startPaused: true, label: 'tv' });
  expect(added.id === hash && added.label === 'tv', 'the torrent, in its category');
});
call('getRssRules', async () => expect(isObject(await client.getRssRules()), 'an object'));
call('setRssRule', async () => client.setRssRule('client rule', { enabled: false, mustContain: 'linux', affectedFeeds: [] }));
call('removeRssRule', async () => client.removeRssRule('client rule'));
call('logout', async () => expect(client.logout() === true, 'logged out'));

for (const [name, run] of calls) {
  try {
    await run();
    console.log(`pass ${name}`);
  } catch (e) {
    console.log(`fail ${name}: ${String(e?.message ?? e).split('\n')[0].slice(0, 300)}`);
  }
}
