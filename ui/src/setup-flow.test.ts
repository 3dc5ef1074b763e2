import { describe, expect, it } from 'vitest';
import { defaultFeatures, downloadLine, overall, rateMeter, stepToShow } from './setup-flow';
import type { Feature, SetupProgress, StepId, StepState } from './types';

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
