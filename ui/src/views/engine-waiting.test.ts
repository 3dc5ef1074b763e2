import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../types';
import { downloadTarget, waitingFacts } from './engine-waiting';

const JOB = 'download-TheBloke/deepseek-coder-33B-instruct-AWQ';

function download(done: number): JobStatus {
  return {
    id: JOB, kind: 'download', target: 'TheBloke/deepseek-coder-33B-instruct-AWQ', state: 'running', percent: (done / 18e9) * 100, install: null, result: null, error: null, finished_ms: null,
    download: { total_bytes: 18e9, done_bytes: done, files_total: 4, files_done: 1, current: ['model-00002-of-00004.safetensors'], bytes_per_second: 100e6 },
  };
}

describe('an engine waiting for the checkpoint its fix chose', () => {
  it('names the repository the job fetches', () => {
    expect(downloadTarget(JOB)).toBe('TheBloke/deepseek-coder-33B-instruct-AWQ');
    expect(downloadTarget('install-vllm')).toBe('install-vllm');
  });

  it('says bytes of the total, rate, time left and the file while it runs', () => {
    expect(waitingFacts(download(9e9), 100e6)).toBe('9.0 / 18.0 GB · 100.0 MB/s · 1 min 30 s left · file 2 of 4');
  });

  it('before the job is listed or has its file list, says it is asking the hub', () => {
    expect(waitingFacts(undefined, 0)).toBe('Asking the hub for the file list…');
    expect(waitingFacts({ ...download(0), download: null }, 0)).toBe('Asking the hub for the file list…');
  });
});
