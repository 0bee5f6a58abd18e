// Process helpers for the bench: timed commands with peak RSS, servers read from their stdout,
// a round-robin proxy for several nodes, and fresh PostgreSQL schemas.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const HAS_TIME = existsSync('/usr/bin/time');

/**
 * Runs a command to its end: wall ms, peak RSS (via /usr/bin/time -v where present), output.
 * Asynchronous, so a proxy in this process keeps serving while it runs.
 */
export async function timed(cmd, args, opts = {}) {
  const full = HAS_TIME ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const child = spawn(full[0], full[1], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const status = await new Promise((resolve) => child.on('close', resolve));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss = HAS_TIME ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) * 1024 : null;
  const cpu = HAS_TIME
    ? ['User', 'System'].reduce(
        (sum, kind) => sum + Number(new RegExp(`${kind} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? 0),
        0,
      )
    : null;
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${status}: ${stderr.slice(-800)}`);
  return { ms, rss, cpu, stdout, stderr };
}

/** Starts a long-running process and waits for `ready` on its stdout; stop() returns its peak RSS. */
export async function startProcess(cmd, args, ready, env = process.env) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  let text = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      text += d;
      const m = ready.exec(text);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}`)));
  });
  return {
    url,
    /** CPU seconds the process has used so far (user + system), or null without /proc. */
    cpu() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return null;
      }
    },
    async stop() {
      let hwm = null;
      try {
        hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) * 1024;
      } catch {
        // no /proc here: no server figure rather than a failed run
      }
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      return hwm;
    },
  };
}

/**
 * A round-robin HTTP proxy over several nodes, as a load balancer would spread one client's requests.
 * `guideOnly`: resource descriptions answer 404, as a server with only the guide's API, so the
 * client sends the guide's JSON arrays (not CSV).
 */
export function roundRobin(targets, { guideOnly = false } = {}) {
  let next = 0;
  const server = http.createServer((req, res) => {
    if (guideOnly && req.url.startsWith('/api/resources')) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    const t = new URL(targets[next++ % targets.length]);
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

/** A fresh schema on the bench's PostgreSQL; `url` selects it. */
export async function freshSchema(baseUrl) {
  const schema = `bulk_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl, application_name: 'bulk-bench' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    schema,
    url,
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl, application_name: 'bulk-bench' });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Whether a command-line tool answers; the bench says how to get it when it does not. */
export function haveTool(cmd, args) {
  return spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
}

/** Whether the PostgreSQL at url answers within two seconds. */
export async function pgAnswers(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, application_name: 'bulk-bench' });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
