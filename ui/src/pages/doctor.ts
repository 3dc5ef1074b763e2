// The Doctor page (`data-testid="doctor-page"`): the whole chain checked in order — the
// NVIDIA driver, each engine, each deployment, a real request through the gateway, GitLab's
// AI gateway and GitLab — one row per step with pass / warn / fail / skip and the fix. It runs
// the checks when it comes on screen and again on "Check again".

import { h, replaceChildren } from '../dom';
import { pageScope, type Page } from '../page';
import { api } from '../transport';
import type { CheckStatus, DoctorLine, DoctorReport } from '../types';

const LABEL: Record<CheckStatus, string> = { pass: 'Pass', warn: 'Warning', fail: 'Fail', skip: 'Skipped' };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : 'The request failed.');

function row(line: DoctorLine): HTMLElement {
  return h(
    'li',
    { class: `doctor-line doctor-${line.status}`, 'data-testid': 'doctor-line', 'data-status': line.status, 'data-area': line.area },
    h('span', { class: `doctor-mark doctor-mark-${line.status}`, title: LABEL[line.status] }, LABEL[line.status]),
    h(
      'div',
      { class: 'doctor-body' },
      h('div', { class: 'doctor-title' }, line.title),
      h('div', { class: 'doctor-detail' }, line.detail),
      line.fix ? h('div', { class: 'doctor-fix', 'data-testid': 'doctor-fix' }, line.fix) : null,
    ),
  );
}

function summary(report: DoctorReport): string {
  const count = (status: CheckStatus): number => report.lines.filter((l) => l.status === status).length;
  const failed = count('fail');
  const head = failed > 0 ? `${failed} step${failed === 1 ? '' : 's'} failed` : 'Nothing failed';
  return `${head} · ${count('pass')} passed, ${count('warn')} warnings, ${count('skip')} skipped`;
}

export function doctorPage(): Page {
  const scope = pageScope();
  const status = h('p', { class: 'hint', 'data-testid': 'doctor-summary' }, 'Not checked yet.');
  const list = h('ol', { class: 'doctor-list', 'data-testid': 'doctor-list' });
  const again = h('button', { type: 'button', class: 'secondary', 'data-testid': 'doctor-run' }, 'Check again');
  let run = 0;

  async function check(): Promise<void> {
    const mine = ++run;
    again.disabled = true;
    status.textContent = 'Checking the chain… (the gateway check sends one real request)';
    try {
      const report = await api.doctor();
      if (mine !== run) return;
      replaceChildren(list, ...report.lines.map(row));
      status.textContent = summary(report);
      status.dataset.failed = String(report.lines.some((l) => l.status === 'fail'));
    } catch (error) {
      if (mine !== run) return;
      status.textContent = `The checks could not run: ${messageOf(error)}`;
    } finally {
      if (mine === run) again.disabled = false;
    }
  }
  again.addEventListener('click', () => void check());

  const el = h(
    'main',
    { class: 'layout doctor-page', 'data-testid': 'doctor-page' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Doctor'), again),
    h('p', { class: 'hint' }, 'Every link from the GPU to GitLab, in order. Fix the first failure first: later steps often fail because of it.'),
    status,
    list,
  );
  return {
    el,
    show() {
      void check();
    },
    hide() {
      run++;
      scope.close();
    },
    dispose() {
      this.hide();
      el.remove();
    },
  };
}
