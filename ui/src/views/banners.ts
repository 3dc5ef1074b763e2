// The notices above the GPU cards: no driver / no GPU (`no-gpu-banner`), the report's
// warnings (`warning`), and the "planning for described hardware" strip (`described-banner`).

import { h } from '../dom';
import type { HardwareReport } from '../types';

const DRIVER_FAILURES = new Set(['not_found', 'not_loaded', 'no_permission', 'error']);

function noGpuBanner(report: HardwareReport): HTMLElement | null {
  const { driver, gpus, source } = report;
  let title: string;
  let detail: string | null;
  if (DRIVER_FAILURES.has(driver.status)) {
    title = driver.message;
    detail = driver.remedy;
  } else if (gpus.length === 0) {
    title =
      source.kind === 'description'
        ? 'The described hardware has no NVIDIA GPU.'
        : 'No NVIDIA GPU was detected on this machine.';
    detail =
      driver.remedy ??
      (source.kind === 'description'
        ? 'Describe at least one GPU, for example 1xL40S, to plan a GPU setup.'
        : 'Check that the card is seated and powered, and that `nvidia-smi` lists it.');
  } else {
    return null;
  }
  return h(
    'div',
    { class: 'banner banner-error', role: 'alert', 'data-testid': 'no-gpu-banner' },
    h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
    h('div', undefined, h('strong', undefined, title), detail ? h('p', { class: 'remedy' }, detail) : null),
  );
}

export function banners(report: HardwareReport, planned: boolean): HTMLElement {
  const described =
    report.source.kind === 'description'
      ? h(
          'div',
          { class: 'banner banner-info', 'data-testid': 'described-banner' },
          h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, 'i'),
          h(
            'div',
            undefined,
            h('strong', undefined, `Planning for described hardware: ${report.source.label}`),
            h(
              'p',
              { class: 'remedy' },
              planned
                ? 'These GPUs are not in this machine; live metrics below are not shown for them.'
                : 'The server was started with a hardware description instead of the real GPUs.',
            ),
          ),
        )
      : null;
  const warnings = report.warnings.map((w) =>
    h('div', { class: 'warning', 'data-testid': 'warning', 'data-code': w.code }, h('span', { 'aria-hidden': 'true' }, '⚠'), ' ', w.message),
  );
  return h('div', { class: 'banners' }, noGpuBanner(report), described, ...warnings);
}
