#!/usr/bin/env node
// A stand-in for `duows serve`, for working on the UI without the Rust server: serves dist/
// and the control API of docs/api-contract.md from made-up hardware, with a 1 Hz SSE stream.
// Its command line mimics the real one, so the e2e tests can run against it too:
//
//   node scripts/mock-server.mjs serve [--port 4590] [--gpus SPEC|none|FILE.json] [--token T] [--warn]
//
// SPEC is like `2xA100-80GB` or `1xRTX4090,1xLAPTOP`; without --gpus it behaves like a machine
// with no NVIDIA driver. FILE.json holds a whole HardwareReport (its samples: all metrics null).
// It prints `duows: listening on http://127.0.0.1:<port>` once it listens.

import { createReadStream, existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', 'dist');

// ------------------------------------------------------------------ arguments

function parseArgs(argv) {
  const opts = { port: 4590, gpus: null, token: null, warn: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'serve') continue;
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--gpus') opts.gpus = argv[++i];
    else if (a === '--token') opts.token = argv[++i];
    else if (a === '--warn') opts.warn = true;
    else {
      console.error(`mock-server: unknown argument ${a}`);
      process.exit(2);
    }
  }
  return opts;
}

// ------------------------------------------------------------------ hardware

const KNOWN = {
  'A100-80GB': { name: 'NVIDIA A100-SXM4-80GB', mem: 80 * GIB, cc: '8.0', power: 400, nvlink: true },
  'A100-40GB': { name: 'NVIDIA A100-SXM4-40GB', mem: 40 * GIB, cc: '8.0', power: 400, nvlink: true },
  'A100-80GB-MIG': { name: 'NVIDIA A100-SXM4-80GB', mem: 80 * GIB, cc: '8.0', power: 400, mig: true },
  'H100-80GB': { name: 'NVIDIA H100 80GB HBM3', mem: 80 * GIB, cc: '9.0', power: 700, nvlink: true },
  L40S: { name: 'NVIDIA L40S', mem: 45 * GIB, cc: '8.9', power: 350 },
  L4: { name: 'NVIDIA L4', mem: 22.5 * GIB, cc: '8.9', power: 72 },
  RTX4090: { name: 'NVIDIA GeForce RTX 4090', mem: 24 * GIB, cc: '8.9', power: 450, fan: true },
  RTX3090: { name: 'NVIDIA GeForce RTX 3090', mem: 24 * GIB, cc: '8.6', power: 350, fan: true },
  LAPTOP: { name: 'NVIDIA GeForce RTX 3050 Laptop GPU', mem: 4 * GIB, cc: '8.6', power: null, silent: true },
};

class SpecError extends Error {}

function gpuFromModel(model, index, count) {
  const m = KNOWN[model];
  const peers = m.nvlink && count > 1 ? [...Array(count).keys()].filter((i) => i !== index) : [];
  return {
    index,
    name: m.name,
    uuid: `GPU-mock-${model.toLowerCase()}-${index}`,
    pci_bus_id: `00000000:${(0x07 + index).toString(16).padStart(2, '0')}:00.0`,
    memory_total_bytes: m.mem,
    memory_total_gib: Math.round((m.mem / GIB) * 100) / 100,
    compute_capability: m.cc,
    power_limit_watts: m.power,
    mig: m.mig
      ? {
          enabled: true,
          pending_enabled: true,
          instances: [
            { name: '3g.40gb', uuid: 'MIG-mock-0', memory_total_bytes: 40 * GIB - 512 * MIB },
            { name: '2g.20gb', uuid: 'MIG-mock-1', memory_total_bytes: 20 * GIB - 256 * MIB },
            { name: '1g.10gb', uuid: 'MIG-mock-2', memory_total_bytes: 10 * GIB - 128 * MIB },
          ],
        }
      : model.startsWith('A100') || model.startsWith('H100')
        ? { enabled: false, pending_enabled: false, instances: [] }
        : null,
    nvlink_peers: peers,
    _silent: Boolean(m.silent),
    _fan: Boolean(m.fan),
  };
}

/** `2xA100-80GB,1xL4` → GpuInfo[]; throws SpecError with a readable message. */
function gpusFromSpec(spec) {
  const parts = spec.split(/[,+]/).map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new SpecError('The hardware description is empty; write it like 2xA100-80GB.');
  const models = [];
  for (const part of parts) {
    const match = /^(\d+)\s*[x×]\s*(.+)$/i.exec(part) ?? [null, '1', part];
    const count = Number(match[1]);
    const model = match[2].toUpperCase();
    if (!KNOWN[model]) {
      throw new SpecError(`Unknown GPU model "${match[2]}" in "${spec}". Known models: ${Object.keys(KNOWN).join(', ')}.`);
    }
    if (count < 1 || count > 16) throw new SpecError(`"${part}": the GPU count must be between 1 and 16.`);
    for (let i = 0; i < count; i++) models.push(model);
  }
  return models.map((model, i) => gpuFromModel(model, i, models.length));
}

function labelFor(gpus) {
  if (gpus.length === 0) return 'no GPU';
  const groups = new Map();
  for (const g of gpus) groups.set(g.name, (groups.get(g.name) ?? 0) + 1);
  return [...groups].map(([name, n]) => `${n}× ${name}`).join(' + ');
}

function systemInfo(home) {
  const modelsDir = path.join(home, 'models');
  let free = null;
  let total = null;
  try {
    const st = statfsSync(existsSync(modelsDir) ? modelsDir : home);
    free = st.bavail * st.bsize;
    total = st.blocks * st.bsize;
  } catch {
    // unknown
  }
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os_name: 'Debian GNU/Linux',
    os_version: '12',
    kernel_version: os.release(),
    cpu_model: cpus[0]?.model.trim() ?? 'Unknown CPU',
    cpu_cores: Math.max(1, Math.floor(cpus.length / 2)),
    cpu_threads: cpus.length,
    memory_total_bytes: os.totalmem(),
    memory_available_bytes: os.freemem(),
    models_dir: modelsDir,
    models_dir_free_bytes: free,
    models_dir_total_bytes: total,
  };
}

function describedReport(spec, home) {
  const gpus = spec.trim().toLowerCase() === 'none' ? [] : gpusFromSpec(spec);
  return {
    source: { kind: 'description', label: labelFor(gpus), spec },
    driver: {
      status: 'described',
      driver_version: null,
      cuda_driver_version: null,
      message: 'Hardware described, not detected.',
      remedy: null,
    },
    gpus,
    system: systemInfo(home),
    warnings: [],
  };
}

function noDriverReport(home) {
  return {
    source: { kind: 'nvml' },
    driver: {
      status: 'not_found',
      driver_version: null,
      cuda_driver_version: null,
      message: 'No NVIDIA driver found: the NVML library (libnvidia-ml.so.1) could not be loaded.',
      remedy: 'Install the NVIDIA driver (550 or newer), reboot, and check that `nvidia-smi` works.',
    },
    gpus: [],
    system: systemInfo(home),
    warnings: [],
  };
}

function publicReport(report) {
  return { ...report, gpus: report.gpus.map(({ _silent, _fan, ...g }) => g) };
}

// ------------------------------------------------------------------ samples

let lastCpu = os.cpus();
function cpuUsage() {
  const now = os.cpus();
  let idle = 0;
  let all = 0;
  now.forEach((c, i) => {
    const p = lastCpu[i]?.times ?? c.times;
    const d = (k) => c.times[k] - p[k];
    idle += d('idle');
    all += d('user') + d('nice') + d('sys') + d('idle') + d('irq');
  });
  lastCpu = now;
  return all > 0 ? Math.round((1 - idle / all) * 1000) / 10 : null;
}

function gpuSample(g, t, allNull) {
  if (allNull || g._silent) {
    return {
      index: g.index,
      utilization_gpu_percent: null,
      utilization_memory_percent: null,
      memory_used_bytes: null,
      memory_free_bytes: null,
      temperature_c: null,
      power_draw_watts: null,
      clock_sm_mhz: null,
      clock_memory_mhz: null,
      fan_speed_percent: null,
      processes: [],
    };
  }
  const phase = t / 1000 / 6 + g.index * 1.7;
  const util = Math.max(0, Math.min(100, Math.round(55 + 40 * Math.sin(phase) + 8 * Math.sin(phase * 3.1))));
  const used = Math.round(g.memory_total_bytes * (0.62 + 0.05 * Math.sin(phase / 3)));
  return {
    index: g.index,
    utilization_gpu_percent: util,
    utilization_memory_percent: Math.round(util * 0.6),
    memory_used_bytes: used,
    memory_free_bytes: g.memory_total_bytes - used,
    temperature_c: 45 + Math.round(util / 4),
    power_draw_watts: g.power_limit_watts ? Math.round((0.25 + 0.7 * (util / 100)) * g.power_limit_watts * 10) / 10 : null,
    clock_sm_mhz: 1100 + util * 3,
    clock_memory_mhz: 1593,
    fan_speed_percent: g._fan ? 30 + Math.round(util / 3) : null,
    processes: [{ pid: 4242 + g.index, name: 'vllm', used_memory_bytes: used - 600 * MIB }],
  };
}

function makeSample(report, allNull) {
  const t = Date.now();
  return {
    timestamp_ms: t,
    gpus: report.gpus.map((g) => gpuSample(g, t, allNull)),
    system: { cpu_usage_percent: cpuUsage(), memory_available_bytes: os.freemem() },
  };
}

// ------------------------------------------------------------------ http

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function serveStatic(req, res) {
  const url = new URL(req.url, 'http://x');
  let file = path.normalize(path.join(dist, decodeURIComponent(url.pathname)));
  if (!file.startsWith(dist)) return sendJson(res, 404, { code: 'not_found', message: 'Not found.' });
  if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(dist, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(503, { 'Content-Type': 'text/plain' });
    return res.end('The web UI is not built: run `npm run build` in ui/.');
  }
  res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const home = process.env.DUOWS_HOME ?? os.tmpdir();
  let report;
  let allNull = false;
  try {
    if (opts.gpus === null) report = noDriverReport(home);
    else if (opts.gpus.endsWith('.json')) {
      report = JSON.parse(readFileSync(opts.gpus, 'utf8'));
      allNull = true;
    } else report = describedReport(opts.gpus, home);
  } catch (e) {
    console.error(`mock-server: ${e.message}`);
    process.exit(2);
  }
  if (opts.warn) {
    report.warnings.push({
      code: 'driver_too_old',
      message: 'The NVIDIA driver 525.60 is older than 550: vLLM needs CUDA 12.4. Update the driver.',
    });
  }
  let settings = { version: 1, models_dir: null, planned_hardware: null };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith('/api/')) return serveStatic(req, res);
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      return sendJson(res, 401, { code: 'unauthorized', message: 'A valid access token is required.' });
    }
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /api/version':
          return sendJson(res, 200, { name: 'Duo Workstation', version: '0.1.0' });
        case 'GET /api/hardware':
          return sendJson(res, 200, publicReport(report));
        case 'POST /api/hardware/describe': {
          let body;
          try {
            body = JSON.parse(await readBody(req));
          } catch {
            return sendJson(res, 400, { code: 'bad_request', message: 'The body is not JSON.' });
          }
          if (typeof body?.spec !== 'string') {
            return sendJson(res, 400, { code: 'invalid_spec', message: 'Write a hardware description.', field: 'spec' });
          }
          try {
            return sendJson(res, 200, publicReport(describedReport(body.spec, home)));
          } catch (e) {
            if (e instanceof SpecError) return sendJson(res, 400, { code: 'invalid_spec', message: e.message, field: 'spec' });
            throw e;
          }
        }
        case 'GET /api/samples/latest':
          return sendJson(res, 200, makeSample(report, allNull));
        case 'GET /api/samples/stream': {
          res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
          const send = () => res.write(`event: sample\ndata: ${JSON.stringify(makeSample(report, allNull))}\n\n`);
          send();
          const timer = setInterval(send, 1000);
          req.on('close', () => clearInterval(timer));
          return;
        }
        case 'GET /api/settings':
          return sendJson(res, 200, settings);
        case 'PUT /api/settings': {
          const body = JSON.parse(await readBody(req));
          if (body?.version !== 1) {
            return sendJson(res, 400, { code: 'invalid_settings', message: 'Unsupported settings version.', field: 'version' });
          }
          settings = body;
          return sendJson(res, 200, settings);
        }
        case 'GET /api/catalog':
        case 'POST /api/recommend':
        case 'POST /api/fit':
          return sendJson(res, 501, {
            code: 'not_in_mock',
            message: 'The mock server has no model catalog. For the Models page run `duows serve` and point DUOWS_DEV_API at it.',
          });
        case 'GET /api/engines':
          return sendJson(res, 200, []);
        case 'POST /api/engines':
        case 'POST /api/engine/plan':
          return sendJson(res, 501, {
            code: 'not_in_mock',
            message: 'The mock server runs no engines. For the Engines page run `duows serve` and point DUOWS_DEV_API at it.',
          });
        default:
          return sendJson(res, 404, { code: 'not_found', message: `No such API route: ${route}.` });
      }
    } catch (e) {
      return sendJson(res, 500, { code: 'internal', message: String(e?.message ?? e) });
    }
  });

  server.listen(opts.port, '127.0.0.1', () => {
    console.log(`duows: listening on http://127.0.0.1:${server.address().port}`);
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
