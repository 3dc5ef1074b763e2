import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from './commands';
import { COMMAND_SPECS, commandSpec, httpRequest } from './contract';

describe('the command table', () => {
  it('has exactly the commands the UI calls, and its subscriptions', () => {
    const called = Object.keys(COMMAND_NAMES).sort();
    const served = COMMAND_SPECS.filter((c) => !c.stream)
      .map((c) => c.name)
      .sort();
    expect(served).toEqual(called);
    expect(
      COMMAND_SPECS.filter((c) => c.stream)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['subscribe_events', 'subscribe_samples']);
  });

  it('throws for a command it lacks', () => {
    expect(() => commandSpec('engine_explode')).toThrow(/not in contract/);
  });
});

describe('HTTP requests made from the table', () => {
  it('puts path arguments in the path, escaped, and query arguments in the query', () => {
    expect(httpRequest(commandSpec('engine_logs'), { name: 'a b/c', lines: 40 })).toEqual({
      method: 'GET',
      path: '/api/engines/a%20b%2Fc/logs?lines=40',
    });
    expect(httpRequest(commandSpec('engine_logs'), { name: 'x' })).toEqual({ method: 'GET', path: '/api/engines/x/logs' });
  });

  it('sends params, settings or the remaining arguments as the body', () => {
    expect(httpRequest(commandSpec('fit'), { params: { model: 'm' } })).toEqual({
      method: 'POST',
      path: '/api/fit',
      body: { model: 'm' },
    });
    expect(httpRequest(commandSpec('update_settings'), { settings: { version: 2 } }).body).toEqual({ version: 2 });
    expect(httpRequest(commandSpec('describe_hardware'), { spec: '2xL40S' }).body).toEqual({ spec: '2xL40S' });
    expect(httpRequest(commandSpec('job_cancel'), { id: 'j1' }).body).toEqual({ id: 'j1' });
    expect(httpRequest(commandSpec('engine_stop'), { name: 'tiny' })).toEqual({ method: 'POST', path: '/api/engines/tiny/stop' });
  });

  it('asks for a window of the sample history in the query', () => {
    expect(httpRequest(commandSpec('sample_history'), { minutes: 5, points: 300 })).toEqual({
      method: 'GET',
      path: '/api/samples/history?minutes=5&points=300',
    });
  });

  it('fills every path argument of every example', () => {
    for (const spec of COMMAND_SPECS.filter((c) => c.example !== undefined)) {
      const request = httpRequest(spec, spec.example);
      expect(request.path, spec.name).not.toMatch(/[{}]/);
      if (spec.body) expect(request.body, spec.name).toBeDefined();
    }
  });

  it('sends no body with a GET', () => {
    for (const spec of COMMAND_SPECS.filter((c) => c.method === 'GET')) {
      expect(httpRequest(spec, {}).body, spec.name).toBeUndefined();
    }
  });
});
