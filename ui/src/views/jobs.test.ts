import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../types';
import { answerIsNews, mergeJobs } from './jobs';

function job(id: string, state: JobStatus['state']): JobStatus {
  return { id, kind: 'download', target: id, state, percent: null, install: null, download: null, result: null, error: null, finished_ms: null };
}

describe('answers of calls made on the page against the live list', () => {
  it('a cancel answered "running" after the stream said "cancelled" is old news', () => {
    expect(answerIsNews([job('d', 'cancelled')], job('d', 'running'))).toBe(false);
    expect(answerIsNews([job('d', 'done')], job('d', 'running'))).toBe(false);
  });

  it('a job the list does not have yet, or a newer state, is shown', () => {
    expect(answerIsNews([], job('d', 'running'))).toBe(true);
    expect(answerIsNews([job('d', 'running')], job('d', 'running'))).toBe(true);
    expect(answerIsNews([job('d', 'running')], job('d', 'cancelled'))).toBe(true);
  });

  it('merges answers the list lacks after the listed jobs', () => {
    const answered = new Map([['new', job('new', 'running')]]);
    expect(mergeJobs([job('old', 'done')], answered).map((j) => j.id)).toEqual(['old', 'new']);
  });
});
