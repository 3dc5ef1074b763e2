#!/usr/bin/env node
// An engine for the dashboard's tests, started by `duows serve` as its llama.cpp Python
// (`DUOWS_LLAMA_CPP_PYTHON`): this machine has no GPU for vLLM, and llama-cpp-python's server
// publishes no /metrics, so nothing real here has an engine's Prometheus figures. It takes
// the arguments the app gives llama.cpp's server (`-m llama_cpp.server --model … --model_alias
// NAME --host H --port P …`) and its key in `API_KEY`, answers `/v1/models`, completions and
// chat completions with a fixed text and token counts, logs each request with the id it got
// (`X-Request-Id`) as an engine does, and counts what it did in llama.cpp server's metric
// names on `/metrics`.

import http from 'node:http';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const alias = arg('--model_alias') ?? 'fake';
const host = arg('--host') ?? '127.0.0.1';
const port = Number(arg('--port') ?? 0);
const key = process.env.API_KEY ?? '';
const COMPLETION_TOKENS = 16;

const counts = { prompt: 0, predicted: 0, requests: 0 };

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(body) : body);
}

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://engine');
  if (pathname === '/metrics') {
    return send(
      res,
      200,
      [
        '# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.',
        '# TYPE llamacpp:prompt_tokens_total counter',
        `llamacpp:prompt_tokens_total ${counts.prompt}`,
        `llamacpp:tokens_predicted_total ${counts.predicted}`,
        'llamacpp:requests_processing 0',
        'llamacpp:requests_deferred 0',
        'llamacpp:kv_cache_usage_ratio 0.25',
        '',
      ].join('\n'),
      'text/plain; version=0.0.4',
    );
  }
  if (req.headers.authorization !== `Bearer ${key}`) return send(res, 401, { error: { message: 'bad key' } });
  if (pathname === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: alias, object: 'model' }] });
  if (req.method === 'POST' && (pathname === '/v1/completions' || pathname === '/v1/chat/completions')) {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const id = req.headers['x-request-id'] ?? 'none';
      console.log(`INFO Received request ${id}: ${body.length} bytes`);
      counts.requests += 1;
      counts.prompt += 8;
      counts.predicted += COMPLETION_TOKENS;
      const usage = { prompt_tokens: 8, completion_tokens: COMPLETION_TOKENS, total_tokens: 8 + COMPLETION_TOKENS };
      const chat = pathname.endsWith('/chat/completions');
      console.log(`INFO Finished request ${id}`);
      send(res, 200, {
        id: `cmpl-${counts.requests}`,
        object: chat ? 'chat.completion' : 'text_completion',
        model: alias,
        choices: [chat ? { index: 0, message: { role: 'assistant', content: 'Hello.' }, finish_reason: 'stop' } : { index: 0, text: 'Hello.', finish_reason: 'stop' }],
        usage,
      });
    });
    return undefined;
  }
  return send(res, 404, { error: { message: `no route ${pathname}` } });
});

server.listen(port, host, () => {
  console.log(`INFO fake engine ${alias} listening on ${host}:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
