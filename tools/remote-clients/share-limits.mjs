// Sets share limits on torrentlab serve through @ctrl/qbittorrent, the way qbit_manage sends them (torrents/setShareLimits
// with ratioLimit, seedingTimeLimit and inactiveSeedingTimeLimit; app/setPreferences max_*), and reads them back from
// torrents/info and app/preferences. Usage: node share-limits.mjs <server url> <token> <info hash>
import { QBittorrent } from '@ctrl/qbittorrent';

const [base, token, hash] = process.argv.slice(2);
const client = new QBittorrent({ baseUrl: base, username: 'admin', password: token });
const check = (ok, what) => { if (!ok) { console.error(`FAILED: ${what}`); process.exit(1); } console.log(`ok: ${what}`); };
const share = (ratio, minutes, idle) => client.request('/torrents/setShareLimits', 'POST', undefined,
  new URLSearchParams({ hashes: hash, ratioLimit: `${ratio}`, seedingTimeLimit: `${minutes}`, inactiveSeedingTimeLimit: `${idle}` }), undefined, false);
const info = async () => (await client.listTorrents({ hashes: hash }))[0];

await client.setPreferences({ max_inactive_seeding_time_enabled: true, max_inactive_seeding_time: 45, max_ratio_act: 3 });
const prefs = await client.getPreferences();
check(prefs.max_inactive_seeding_time === 45 && prefs.max_inactive_seeding_time_enabled === true && prefs.max_ratio_act === 3,
  `default idle 45 min, action remove with content: ${prefs.max_inactive_seeding_time} ${prefs.max_ratio_act}`);
let refused = false;
try { await client.setPreferences({ max_ratio_act: 2 }); } catch { refused = true; }
check(refused && (await client.getPreferences()).max_ratio_act === 3, 'max_ratio_act 2 (super seeding) refused, 3 kept');

await share(2.5, 120, 30);
let t = await info();
check(t.ratio_limit === 2.5 && t.seeding_time_limit === 120 && t.inactive_seeding_time_limit === 30 && t.max_inactive_seeding_time === 30,
  `own limits: ${t.ratio_limit} ${t.seeding_time_limit} ${t.inactive_seeding_time_limit} ${t.max_inactive_seeding_time}`);
await share(-2, -1, -2);
t = await info();
check(t.ratio_limit === -2 && t.seeding_time_limit === -1 && t.inactive_seeding_time_limit === -2 && t.max_inactive_seeding_time === 45
  && t.max_seeding_time === -1, `-2 the default (45), -1 none: ${t.inactive_seeding_time_limit} ${t.max_inactive_seeding_time} ${t.max_seeding_time}`);
await share(-2, -2, -1);
t = await info();
check(t.inactive_seeding_time_limit === -1 && t.max_inactive_seeding_time === -1, 'idle -1: none over the default');
