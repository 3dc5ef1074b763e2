// A stand-in for the Hugging Face hub on 127.0.0.1, for `duows serve` started with
// HF_ENDPOINT pointing at it. It answers the three calls a download makes, for any
// repository:
//   GET /api/models/{org}/{name}/revision/{rev}  → { sha }               (the commit)
//   GET /api/models/{org}/{name}/tree/{commit}   → [{ type, path, size, oid, lfs? }]
//   GET /{org}/{name}/resolve/{commit}/{path}    → the bytes, in chunks spread over `fileMs`
// Large files are listed as LFS files (SHA-256), small ones as git blobs (SHA-1). A
// repository in `gated` answers 403 unless the request carries `Bearer <token>`. Range
// requests are not honoured: a file is always sent whole.

import { createHash } from 'node:crypto';
import http from 'node:http';

const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const CHUNKS = 20;

/** Git's blob id of `content`. */
const gitBlobId = (content) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

/**
 * Starts the fake hub. `files` maps repository paths to their contents (Buffer); every
 * repository holds the same files. `fileMs` is how long each file takes to send.
 * @param {{ files: Record<string, Buffer>, fileMs?: number, gated?: Record<string, string> }} options
 * @returns {Promise<{ url: string, commit: string, requests: { method: string, url: string, authorization?: string }[], setFileMs: (ms: number) => void, close: () => Promise<void> }>}
 */
export async function startFakeHub({ files, fileMs = 2000, gated = {} }) {
  const requests = [];
  const sockets = new Set();
  const tree = Object.entries(files).map(([path, content]) => {
    const lfs = content.length > 1024;
    return {
      type: 'file',
      path,
      size: content.length,
      oid: gitBlobId(content),
      ...(lfs ? { lfs: { oid: createHash('sha256').update(content).digest('hex'), size: content.length, pointerSize: 134 } } : {}),
    };
  });

  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const sendSlowly = (res, content) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(content.length) });
    const step = Math.ceil(content.length / CHUNKS);
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        return;
      }
      const end = Math.min(content.length, offset + step);
      res.write(content.subarray(offset, end));
      offset = end;
      if (offset >= content.length) {
        clearInterval(timer);
        res.end();
      }
    }, fileMs / CHUNKS);
    res.on('close', () => clearInterval(timer));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://hub');
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/(.+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = api?.[1] ?? resolve?.[1];
    if (req.method !== 'GET' || !repo) return json(res, 404, { error: 'Not found' });
    const token = gated[repo];
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      return json(res, 403, { error: `Access to model ${repo} is restricted.` });
    }
    if (api?.[2] === 'revision') return json(res, 200, { id: repo, sha: COMMIT });
    if (api?.[2] === 'tree') return api[3] === COMMIT ? json(res, 200, tree) : json(res, 404, { error: 'Revision not found' });
    const content = files[decodeURIComponent(resolve[3])];
    if (resolve[2] !== COMMIT || !content) return json(res, 404, { error: 'Entry not found' });
    sendSlowly(res, content);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    commit: COMMIT,
    requests,
    setFileMs(ms) {
      fileMs = ms;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A package index that never answers (`mode` "hang") or has nothing (`mode` "empty", 404
 * for everything), for pip started by an engine install (PIP_INDEX_URL=<url>/simple/).
 */
export async function startFakeIndex(mode = 'empty') {
  const sockets = new Set();
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    if (mode === 'hang') return; // left open until pip gives up or is stopped
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not here');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/simple/`,
    requests,
    setMode(next) {
      mode = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
