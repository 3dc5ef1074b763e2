// An engine that waits for a download before it starts (the smaller checkpoint its fix
// chose, `download_job` on its status): which checkpoint, a progress bar with bytes, a
// smoothed rate and time left, and that it starts by itself when the download is done
// (`data-testid="engine-waiting"`). Shared by the engine cards and the wizard's Launch step.

import { h } from '../dom';
import { downloadLine, rateMeter } from '../setup-flow';
import type { EngineStatus, JobStatus } from '../types';
import { progressBar } from '../widgets';
import { showOnBar } from './job-bits';

export interface EngineWaiting {
  el: HTMLElement;
  /** Shows what `engine` waits for, with the job's progress from `jobs`; hidden when it waits for nothing. */
  show(engine: EngineStatus | undefined, jobs: JobStatus[] | undefined): void;
}

/** The repository a download job fetches (`download-<repo>`). */
export function downloadTarget(jobId: string): string {
  return jobId.startsWith('download-') ? jobId.slice('download-'.length) : jobId;
}

/** The words beside the bar: bytes of the total, the `rate` and time left, the file. */
export function waitingFacts(job: JobStatus | undefined, rate: number): string {
  const d = job?.download;
  return d && d.total_bytes > 0 ? downloadLine(d, rate) : 'Asking the hub for the file list…';
}

/** `stop` names the button that ends the wait where the view is shown. */
export function engineWaiting(stop: string): EngineWaiting {
  const title = h('strong', undefined);
  const bar = progressBar('Downloading the checkpoint', 'engine-waiting-progress');
  const facts = h('p', { class: 'caption', 'data-testid': 'engine-waiting-facts' });
  // The rate smoothed over the last seconds, so the time left does not jump.
  const rate = rateMeter();
  const el = h(
    'div',
    { class: 'engine-waiting', role: 'status', 'data-testid': 'engine-waiting', hidden: true },
    title,
    bar.el,
    facts,
    h('p', { class: 'hint' }, `It starts by itself when the download is done. ${stop} cancels the download; what was fetched is kept for next time.`),
  );
  return {
    el,
    show(engine, jobs) {
      const id = engine?.state === 'downloading' ? engine.download_job : null;
      el.hidden = !id;
      if (!id) {
        rate.reset();
        return;
      }
      const text = `Downloading ${downloadTarget(id)} first`;
      if (title.textContent !== text) title.textContent = text;
      const job = jobs?.find((j) => j.id === id);
      facts.textContent = waitingFacts(job, job?.download ? rate.add(job.download.bytes_per_second, Date.now()) : 0);
      if (job) showOnBar(bar, job, facts.textContent);
      else bar.set(null, facts.textContent);
    },
  };
}
