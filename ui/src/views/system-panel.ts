// The system panel (`data-testid="system-panel"`): CPU, memory, operating system, and the
// models folder with its free disk space; CPU usage and available memory follow the samples.

import { h } from '../dom';
import { bytesTitle, fraction, gib, percent } from '../format';
import type { Sample, SystemInfo } from '../types';
import { fact, meter } from '../widgets';

export interface SystemPanel {
  el: HTMLElement;
  update(live: Sample['system']): void;
}

function osText(sys: SystemInfo): string | null {
  const name = [sys.os_name, sys.os_version].filter(Boolean).join(' ');
  return name || null;
}

function coresText(sys: SystemInfo): string {
  const threads = `${sys.cpu_threads} thread${sys.cpu_threads === 1 ? '' : 's'}`;
  return sys.cpu_cores === null ? threads : `${sys.cpu_cores} core${sys.cpu_cores === 1 ? '' : 's'} · ${threads}`;
}

export function systemPanel(sys: SystemInfo): SystemPanel {
  const cpuMeter = meter('cpu-bar');
  const cpuText = h('span', { class: 'caption', 'data-testid': 'cpu-usage' });
  const ramMeter = meter('ram-bar');
  const ramText = h('span', { class: 'caption' });
  const diskMeter = meter('disk-bar');
  const diskText = h('span', { class: 'caption' });

  const setCpu = (usage: number | null, reason: string): void => {
    cpuMeter.set(usage === null ? null : usage / 100, usage === null ? reason : `CPU busy ${percent(usage)}`);
    cpuText.textContent = usage === null ? '—' : percent(usage);
    cpuText.title = usage === null ? reason : '';
  };
  const setRam = (available: number): void => {
    const total = sys.memory_total_bytes;
    const used = Math.max(0, total - available);
    ramMeter.set(fraction(used, total), `available ${bytesTitle(available)} of ${bytesTitle(total)}`);
    ramText.textContent = `${gib(available)} available of ${gib(total)}`;
  };

  const free = sys.models_dir_free_bytes;
  const diskTotal = sys.models_dir_total_bytes;
  if (free === null) {
    diskMeter.set(null, 'free space not reported');
    diskText.textContent = 'free space not reported';
  } else if (diskTotal === null) {
    diskMeter.set(null, bytesTitle(free));
    diskText.textContent = `${gib(free)} free`;
  } else {
    diskMeter.set(fraction(diskTotal - free, diskTotal), `free ${bytesTitle(free)} of ${bytesTitle(diskTotal)}`);
    diskText.textContent = `${gib(free)} free of ${gib(diskTotal)}`;
  }
  setCpu(null, 'waiting for data');
  setRam(sys.memory_available_bytes);

  const el = h(
    'section',
    { class: 'card system-panel', 'data-testid': 'system-panel', 'aria-label': 'System' },
    h('div', { class: 'card-title' }, h('h3', undefined, 'System'), h('span', { class: 'dim', title: 'hostname' }, sys.hostname ?? '')),
    h('p', { class: 'cpu-model', title: sys.cpu_model }, sys.cpu_model),
    h('p', { class: 'dim' }, coresText(sys)),
    h('div', { class: 'row-label' }, h('span', undefined, 'CPU usage'), cpuText),
    cpuMeter.el,
    h('div', { class: 'row-label' }, h('span', undefined, 'Memory'), ramText),
    ramMeter.el,
    h(
      'dl',
      { class: 'facts' },
      fact('OS', osText(sys)),
      fact('Kernel', sys.kernel_version),
      fact('Hostname', sys.hostname),
    ),
    h('div', { class: 'row-label' }, h('span', undefined, 'Models folder'), diskText),
    h('p', { class: 'mono path', title: sys.models_dir, 'data-testid': 'models-dir' }, sys.models_dir),
    diskMeter.el,
  );

  return {
    el,
    update(live) {
      setCpu(live.cpu_usage_percent, 'not reported by this system');
      setRam(live.memory_available_bytes);
    },
  };
}
