// "Install and download" (`data-testid="jobs-section"`) on the Engines page: the engine
// installs and the weight downloads, side by side. It shows the jobs the store has (the
// live stream sends every change); a job this page just started is shown at once, before
// the stream lists it. While the live connection is broken a line above the panels says so
// (`jobs-error`).

import { h } from '../dom';
import type { ConnectionState } from '../store';
import type { CatalogView, DownloadParams, InstallableEngine, JobStatus } from '../types';
import { downloadPanel } from './download-panel';
import { installPanel } from './install-panel';

export interface JobsActions {
  install(engine: InstallableEngine): Promise<JobStatus>;
  download(params: DownloadParams): Promise<JobStatus>;
  cancel(id: string): Promise<JobStatus>;
}

export interface JobsSection {
  el: HTMLElement;
  /** Shows the server's list of jobs (null: not known yet). */
  apply(jobs: JobStatus[] | null): void;
  setConnection(state: ConnectionState): void;
  setCatalog(catalog: CatalogView): void;
  setCatalogError(message: string): void;
}

/**
 * The jobs to show: the server's list, with each job an answer of this page holds that is
 * newer than the list (not in it yet) added, or put in place of an older copy of it.
 */
export function mergeJobs(listed: readonly JobStatus[], answered: ReadonlyMap<string, JobStatus>): JobStatus[] {
  const ids = new Set(listed.map((j) => j.id));
  return [...listed, ...[...answered.values()].filter((j) => !ids.has(j.id))];
}

/**
 * Whether an answer of a call made here may be shown over the server's list. An answer was
 * made when the call was served, so it can be older than what the live stream said since: a
 * cancel answers "running" while the stream may already have said "cancelled". An ended job
 * in the list is never shown as running again on an answer's word; a new run of it reaches
 * the list through the stream.
 */
export function answerIsNews(listed: readonly JobStatus[], answer: JobStatus): boolean {
  const copy = listed.find((j) => j.id === answer.id);
  return !(copy && copy.state !== 'running' && answer.state === 'running');
}

export function jobsSection(actions: JobsActions): JobsSection {
  let listed: JobStatus[] = [];
  /** Answers of calls made here, until the server's list has the job. */
  const answered = new Map<string, JobStatus>();

  const changed = (job: JobStatus): void => {
    if (!answerIsNews(listed, job)) return;
    answered.set(job.id, job);
    // The list in hand may predate this answer: show the answer in place of its copy.
    listed = listed.filter((j) => j.id !== job.id);
    show();
  };

  const cancel = (id: string): Promise<JobStatus> => actions.cancel(id);
  const install = installPanel({ install: (engine) => actions.install(engine), cancel, changed });
  const download = downloadPanel({ download: (params) => actions.download(params), cancel, changed });
  const errorLine = h('p', { class: 'warning jobs-error', role: 'status', 'data-testid': 'jobs-error', hidden: true });
  const el = h(
    'section',
    { class: 'jobs-section', 'aria-labelledby': 'jobs-title', 'data-testid': 'jobs-section' },
    h('div', { class: 'section-head' }, h('h2', { id: 'jobs-title' }, 'Install and download')),
    errorLine,
    h('div', { class: 'jobs-grid' }, install.el, download.el),
  );

  function show(): void {
    const jobs = mergeJobs(listed, answered);
    install.apply(jobs);
    download.apply(jobs);
  }

  return {
    el,
    apply(jobs) {
      if (jobs === null) return;
      listed = jobs;
      for (const job of jobs) answered.delete(job.id);
      show();
    },
    setConnection(state) {
      errorLine.hidden = state !== 'reconnecting';
      errorLine.textContent = 'The live connection to the server broke: the installs and downloads shown may be out of date. Reconnecting…';
    },
    setCatalog(catalog) {
      download.setCatalog(catalog);
    },
    setCatalogError(message) {
      download.setCatalogError(message);
    },
  };
}
