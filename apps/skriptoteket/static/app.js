// SPDX-License-Identifier: Apache-2.0
// The tool list. A file of its own, not inline: the service's Content-Security-Policy allows
// scripts from itself only. Tool fields are set as text, never as markup.
// GET /tools answers a page at a time; the list follows next_cursor to the last page.
const list = document.getElementById('tools');

function show(text) {
  const li = document.createElement('li');
  li.textContent = text;
  list.appendChild(li);
}

async function load() {
  list.textContent = '';
  let shown = 0;
  let cursor = null;
  do {
    const url = '/tools?limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    const body = await (await fetch(url, { headers: { Accept: 'application/json' } })).json();
    if (!body.tools) {
      show(body.detail || 'could not list the tools');
      return;
    }
    for (const t of body.tools) show(`${t.slug}: ${t.title} (${t.id})`);
    shown += body.tools.length;
    cursor = body.next_cursor;
  } while (cursor);
  if (shown === 0) show('none yet: POST /tools');
}

load().catch((e) => show('could not list the tools: ' + e));
