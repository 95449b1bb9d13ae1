// SPDX-License-Identifier: Apache-2.0
// Starts tracekit-collector on free ports with a fresh data directory, for the JS tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startCollector(binary, extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'tracekit-collector-js-'));
  const child = spawn(binary, [
    '--data', join(dir, 'spans.db'),
    '--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--ui-listen', '127.0.0.1:0',
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${out}`)), 20000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /ready grpc=(\d+) http=(\d+) ui=(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ grpc: Number(m[1]), http: Number(m[2]), ui: Number(m[3]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  return {
    ...ports,
    ui_url: `http://127.0.0.1:${ports.ui}`,
    otlp_url: `http://127.0.0.1:${ports.http}/v1/traces`,
    grpc_url: `http://127.0.0.1:${ports.grpc}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// GET JSON, polling until `done(json)` (spans are written asynchronously).
export async function waitForJson(url, done, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < until) {
    const r = await fetch(url);
    if (r.ok) {
      last = await r.json();
      if (done(last)) return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting on ${url}; last answer: ${JSON.stringify(last)?.slice(0, 500)}`);
}

// Ends the process after `ms` whatever happens (CTest also has a timeout; this one says why).
export function watchdog(ms, name) {
  const timer = setTimeout(() => {
    console.error(`${name}: timed out after ${ms} ms`);
    process.exit(3);
  }, ms);
  timer.unref();
}
