// TorrentLab web interface: RSS. An "RSS" panel in the header lists the feeds (their articles, which a rule added,
// errors) and the auto-download rules, and adds or removes them, through qBittorrent's rss/* routes of this server
// (/api/v2/rss/...; changes by POST, behind the same guard as the rest of the API). Uses state, notify() and $() from app.js.
'use strict';

(function rss() {
  // qBittorrent's routes answer text ("" on success) or JSON; a refusal is its status with one plain line.
  async function call(route, form) {
    const headers = {};
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const options = form ? { method: 'POST', body: new URLSearchParams(form), headers } : { method: 'GET', headers };
    const response = await fetch('api/v2/rss/' + route, options);
    const text = await response.text();
    if (!response.ok) throw new Error(text || response.status + ' ' + response.statusText);
    return text && text[0] === '{' ? JSON.parse(text) : text;
  }

  const panel = document.createElement('details');
  panel.id = 'rss';
  panel.className = 'limits rss';
  panel.innerHTML = '<summary class="button ghost" title="RSS feeds and auto-download rules">RSS</summary>'
    + '<div class="limits-body rss-body">'
    + '<strong>Feeds</strong><ul id="rss-feeds" class="rss-list"></ul>'
    + '<form id="rss-add-feed" class="limit-row"><input name="url" placeholder="https://site/rss.xml" required size="24">'
    + '<input name="path" placeholder="name" size="10"><button class="button tiny" type="submit">Add feed</button></form>'
    + '<strong>Rules</strong><ul id="rss-rules" class="rss-list"></ul>'
    + '<form id="rss-add-rule" class="rss-rule-form">'
    + '<input name="name" placeholder="rule name" required size="10">'
    + '<input name="mustContain" placeholder="must contain (words, a|b)" size="18">'
    + '<input name="mustNotContain" placeholder="must not contain" size="12">'
    + '<input name="episodeFilter" placeholder="episodes, 1x2-4;" size="8">'
    + '<input name="category" placeholder="category" size="8"><input name="folder" placeholder="folder" size="8">'
    + '<label><input type="checkbox" name="regex"> regex</label><label><input type="checkbox" name="paused"> paused</label>'
    + '<button class="button tiny" type="submit">Set rule</button></form>'
    + '<div class="muted">A rule reads every feed listed; each article it takes is added once, in its category and folder.</div>'
    + '</div>';
  $('.bar .spacer').before(panel);
  const feedList = panel.querySelector('#rss-feeds');
  const ruleList = panel.querySelector('#rss-rules');

  function item(text, buttons) {
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.textContent = text;
    li.append(label);
    for (const [name, action] of buttons) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button tiny ghost';
      button.textContent = name;
      button.addEventListener('click', () => run(action));
      li.append(button);
    }
    return li;
  }

  async function run(action, done) {
    try { await action(); if (done) notify(done); await load(); } catch (e) { notify(e.message, true); }
  }

  async function load() {
    const [feeds, rules] = await Promise.all([call('items?withData=true'), call('rules')]);
    panel.feeds = Object.values(feeds).map((f) => f.url);
    feedList.replaceChildren(...Object.entries(feeds).map(([name, feed]) => item(
      name + ': ' + (feed.hasError ? 'error' : feed.articles.length + ' articles, ' + feed.articles.filter((a) => a.isRead).length + ' added'),
      [['Refresh', () => call('refreshItem', { itemPath: name })], ['Remove', () => call('removeItem', { path: name })]])));
    ruleList.replaceChildren(...Object.entries(rules).map(([name, rule]) => item(
      name + ': ' + (rule.mustContain || 'anything') + (rule.episodeFilter ? ' [' + rule.episodeFilter + ']' : '')
        + (rule.assignedCategory ? ' -> ' + rule.assignedCategory : '') + (rule.enabled ? '' : ' (off)'),
      [['Remove', () => call('removeRule', { ruleName: name })]])));
  }

  panel.querySelector('#rss-add-feed').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    run(() => call('addFeed', { url: form.elements.url.value.trim(), path: form.elements.path.value.trim() }), 'feed added').then(() => form.reset());
  });
  panel.querySelector('#rss-add-rule').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const rule = {
      enabled: true, mustContain: f.mustContain.value, mustNotContain: f.mustNotContain.value, useRegex: f.regex.checked,
      episodeFilter: f.episodeFilter.value, smartFilter: false, affectedFeeds: panel.feeds ?? [], ignoreDays: 0,
      addPaused: f.paused.checked, assignedCategory: f.category.value.trim(), savePath: f.folder.value.trim(),
    };
    run(() => call('setRule', { ruleName: f.name.value.trim(), ruleDef: JSON.stringify(rule) }), 'rule set');
  });
  panel.addEventListener('toggle', () => { if (panel.open) load().catch((e) => notify(e.message, true)); });
})();
