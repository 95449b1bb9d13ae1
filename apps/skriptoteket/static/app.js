// SPDX-License-Identifier: Apache-2.0
// The tool list. A file of its own, not inline: the service's Content-Security-Policy allows
// scripts from itself only. Tool fields are set as text, never as markup.
fetch('/tools', { headers: { Accept: 'application/json' } })
  .then((r) => r.json())
  .then((body) => {
    const list = document.getElementById('tools');
    list.textContent = '';
    if (!body.tools) {
      const li = document.createElement('li');
      li.textContent = body.detail || 'could not list the tools';
      list.appendChild(li);
      return;
    }
    if (body.tools.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'none yet: POST /tools';
      list.appendChild(li);
    }
    for (const t of body.tools) {
      const li = document.createElement('li');
      li.textContent = `${t.slug}: ${t.title} (${t.id})`;
      list.appendChild(li);
    }
  });
