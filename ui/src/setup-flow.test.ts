import { describe, expect, it } from 'vitest';
import { defaultFeatures, downloadLine, gatewayAddress, overall, rateMeter, reachProblems, stepToShow } from './setup-flow';
import type { Feature, GatewayInfo, SetupProgress, StepId, StepState } from './types';

function progress(states: [StepId, StepState][], current: StepId): SetupProgress {
  return { steps: states.map(([id, state]) => ({ id, state, summary: '' })), current };
}

describe('the wizard follows the machine', () => {
  const at = progress(
    [
      ['welcome', 'done'],
      ['check', 'done'],
      ['features', 'done'],
      ['model', 'done'],
      ['engine', 'todo'],
      ['weights', 'todo'],
    ],
    'engine',
  );
  it('shows the first missing result unless a step before it was picked', () => {
    expect(stepToShow(at, null)).toBe('engine');
    expect(stepToShow(at, 'features')).toBe('features');
    expect(stepToShow(at, 'weights')).toBe('engine');
  });
  it('counts done and skipped steps in the overall progress', () => {
    expect(overall(at)).toEqual({ finished: 4, total: 6, percent: (4 / 6) * 100 });
    const planned = progress(
      [
        ['model', 'done'],
        ['engine', 'skipped'],
        ['done', 'todo'],
      ],
      'done',
    );
    expect(overall(planned).finished).toBe(2);
  });
});

describe('the download line', () => {
  it('says bytes of total, the rate, the time left and which file', () => {
    const line = downloadLine(
      { total_bytes: 4.4e9, done_bytes: 1.2e9, files_total: 5, files_done: 1, current: ['b'], bytes_per_second: 80e6 },
      80e6,
    );
    expect(line).toBe('1.2 / 4.4 GB · 80.0 MB/s · 40 s left · file 2 of 5');
  });
  it('leaves out the rate and the time left before there is a rate, and the file count for one file', () => {
    expect(downloadLine({ total_bytes: 4e9, done_bytes: 0, files_total: 1, files_done: 0, current: [], bytes_per_second: 0 }, 0)).toBe('0.0 / 4.0 GB');
  });
  it('smooths the rate so the time left does not jump', () => {
    const meter = rateMeter(5000);
    expect(meter.add(100e6, 0)).toBe(100e6);
    const next = meter.add(10e6, 1000);
    expect(next).toBeGreaterThan(80e6);
    expect(next).toBeLessThan(100e6);
    meter.reset();
    expect(meter.add(10e6, 2000)).toBe(10e6);
  });
});

describe('features ticked at first', () => {
  it('are the generally available ones', () => {
    const feature = (key: string, state: string): Feature => ({
      key,
      title: key,
      group: 'g',
      state,
      since: null,
      rated_as: 'completion',
      falls_back_to: null,
      not_on_premium: false,
      families: [],
    });
    expect(defaultFeatures([feature('code_completions', 'ga'), feature('duo_agent_platform', 'beta')])).toEqual(['code_completions']);
  });
});

describe('whether GitLab reaches the gateway at the address given', () => {
  const gateway = (listen: string, loopbackOnly: boolean): GatewayInfo =>
    ({ running: true, listen, loopback_only: loopbackOnly, base_url: `http://${listen}/v1` }) as GatewayInfo;

  it('sees nothing wrong on the network at the same port', () => {
    expect(reachProblems('gpu-1.lan:8000', gateway('0.0.0.0:8000', false))).toEqual([]);
    expect(reachProblems('gpu-1.lan', gateway('0.0.0.0:8000', false))).toEqual([]);
    expect(reachProblems('gpu-1.lan:8000/v1/', gateway('0.0.0.0:8000', false))).toEqual([]);
    expect(reachProblems('', gateway('127.0.0.1:8000', true))).toEqual([]);
  });

  it('says when the gateway is on this machine only', () => {
    expect(reachProblems('gpu-1.lan:8000', gateway('127.0.0.1:8000', true))).toEqual([expect.stringMatching(/^The gateway listens on this machine only/)]);
  });

  it('says which port to use when the address names another', () => {
    expect(reachProblems('gpu-1.lan:8000', gateway('0.0.0.0:45157', false))).toEqual(['GitLab is given port 8000, but the gateway listens on port 45157: use gpu-1.lan:45157.']);
    expect(reachProblems('gpu-1.lan', gateway('0.0.0.0:9000', false))).toEqual(['GitLab is given port 8000, but the gateway listens on port 9000: use gpu-1.lan:9000.']);
    expect(reachProblems('[fd00::5]:8000', gateway('[::]:9000', false))).toEqual(['GitLab is given port 8000, but the gateway listens on port 9000: use [fd00::5]:9000.']);
  });

  it('keeps a path after the port', () => {
    expect(reachProblems('gpu-1.lan:9000/duo', gateway('0.0.0.0:9000', false))).toEqual([]);
    expect(reachProblems('gpu-1.lan/duo', gateway('0.0.0.0:9000', false))).toEqual(['GitLab is given port 8000, but the gateway listens on port 9000: use gpu-1.lan:9000/duo.']);
  });

  it('leaves the port of a proxy in front alone', () => {
    expect(reachProblems('https://llm.example.com', gateway('0.0.0.0:45157', false))).toEqual([]);
  });

  it('says nothing when this program runs no gateway', () => {
    expect(reachProblems('gpu-1.lan:8000', { ...gateway('127.0.0.1:8000', true), running: false })).toEqual([]);
    expect(reachProblems('gpu-1.lan:8000', null)).toEqual([]);
  });
});

describe('the endpoint GitLab is sent, read as the server reads the address', () => {
  it('adds port 8000 to a bare host, keeps a scheme, a port and a path, drops /v1', () => {
    expect(gatewayAddress('gpu-1.lan')?.endpoint).toBe('http://gpu-1.lan:8000/v1');
    expect(gatewayAddress(' gpu-1.lan:9000/ ')?.endpoint).toBe('http://gpu-1.lan:9000/v1');
    expect(gatewayAddress('gpu-1.lan:9000/duo/v1')?.endpoint).toBe('http://gpu-1.lan:9000/duo/v1');
    expect(gatewayAddress('[fd00::5]')?.endpoint).toBe('http://[fd00::5]:8000/v1');
    expect(gatewayAddress('https://llm.example.com/v1')?.endpoint).toBe('https://llm.example.com/v1');
    expect(gatewayAddress('https://llm.example.com/v1')?.gatewayPort).toBeNull();
    expect(gatewayAddress('   ')).toBeNull();
  });
});
