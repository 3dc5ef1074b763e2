// "Install and download" (`data-testid="jobs-section"`) on the Engines page: the engine
// installs and the weight downloads, side by side. It reads the server's `jobs` once each
// time the page comes on screen, then every second while one of them runs; it stops when
// nothing runs, when the page leaves the screen and while the browser tab is hidden. A list
// that could not be read is said above the panels (`jobs-error`).

import { h } from '../dom';
import { poller } from '../poller';
import type { CatalogView, DownloadParams, InstallableEngine, JobStatus } from '../types';
import { downloadPanel } from './download-panel';
import { installPanel } from './install-panel';
import { messageOf } from './job-bits';

const JOBS_EVERY_MS = 1000;

export interface JobsActions {
  jobs(): Promise<JobStatus[]>;
  install(engine: InstallableEngine): Promise<JobStatus>;
  download(params: DownloadParams): Promise<JobStatus>;
  cancel(id: string): Promise<JobStatus>;
}

export interface JobsSection {
  el: HTMLElement;
  /** True while the page is on screen and the tab visible: read the jobs, and follow running ones. */
  setActive(active: boolean): void;
  setCatalog(catalog: CatalogView): void;
  setCatalogError(message: string): void;
}

export function jobsSection(actions: JobsActions): JobsSection {
  let jobs: JobStatus[] = [];
  let active = false;
  /** Counts the jobs calls returned; a list asked for before the last of them is stale. */
  let changes = 0;

  const changed = (job: JobStatus): void => {
    changes += 1;
    jobs = jobs.some((j) => j.id === job.id) ? jobs.map((j) => (j.id === job.id ? job : j)) : [...jobs, job];
    show();
    if (active && job.state === 'running') {
      // Read now, or right after a read in flight, and every second from then on.
      poll.stop();
      poll.start();
    }
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

  const running = (): boolean => jobs.some((j) => j.state === 'running');

  function show(): void {
    install.apply(jobs);
    download.apply(jobs);
  }

  async function read(): Promise<void> {
    const asked = changes;
    try {
      const list = await actions.jobs();
      errorLine.hidden = true;
      // A job was started or cancelled while this list was on its way: the next read tells.
      if (asked !== changes) return;
      jobs = list;
      show();
    } catch (reason) {
      errorLine.hidden = false;
      errorLine.textContent = `The installs and downloads could not be read: ${messageOf(reason, 'the request failed.')}${running() ? ' Trying again every second.' : ''}`;
    }
    if (!running()) poll.stop();
  }

  const poll = poller(read, JOBS_EVERY_MS);

  return {
    el,
    setActive(next) {
      if (next === active) return;
      active = next;
      if (active) poll.start();
      else poll.stop();
    },
    setCatalog(catalog) {
      download.setCatalog(catalog);
    },
    setCatalogError(message) {
      download.setCatalogError(message);
    },
  };
}
