// One GPU's card (`data-testid="gpu-card"`): static facts from the report, and, for this
// machine's GPUs, the live memory bar, utilisation with a 60-sample sparkline (drawn from
// the store's history), and the metrics the card reports. A metric the card does not report is "—", never 0.

import { h } from '../dom';
import { bytesTitle, celsius, fraction, gib, mhz, percent, watts } from '../format';
import type { GpuInfo, GpuSample, MigInfo } from '../types';
import { fact, meter, metric, sparkline, NOT_SUPPORTED, type Metric } from '../widgets';

export interface GpuCard {
  el: HTMLElement;
  /** Applies one sample; `undefined` means the sample had no entry for this GPU. */
  update(sample: GpuSample | undefined): void;
  /** Draws the utilisation history, oldest first (the store keeps it across page changes). */
  setHistory(utilisation: readonly (number | null)[]): void;
}

function migText(mig: MigInfo | null): string | null {
  if (mig === null) return null;
  if (mig.enabled) {
    const n = mig.instances.length;
    return `enabled · ${n} instance${n === 1 ? '' : 's'}`;
  }
  return mig.pending_enabled ? 'disabled (enabled after reset)' : 'disabled';
}

function migList(mig: MigInfo | null): HTMLElement | null {
  if (!mig?.enabled || mig.instances.length === 0) return null;
  return h(
    'ul',
    { class: 'mig-list', 'data-testid': 'mig-instances' },
    ...mig.instances.map((i) =>
      h('li', { title: i.uuid ?? undefined }, h('span', undefined, i.name), h('span', { title: bytesTitle(i.memory_total_bytes) }, gib(i.memory_total_bytes))),
    ),
  );
}

function nvlinkText(peers: number[]): string {
  if (peers.length === 0) return 'none';
  if (peers.length > 2) return `${peers.length} GPUs`;
  return peers.map((p) => `GPU ${p}`).join(', ');
}

function staticFacts(gpu: GpuInfo): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    fact('Compute capability', gpu.compute_capability),
    fact('Power limit', gpu.power_limit_watts === null ? null : watts(gpu.power_limit_watts)),
    fact('MIG', migText(gpu.mig)),
    fact('NVLink peers', nvlinkText(gpu.nvlink_peers), gpu.nvlink_peers.map((p) => `GPU ${p}`).join(', ')),
  );
}

/**
 * `planned`: a GPU of a plan, not in this machine (no live part at all).
 * `described`: the server runs from a description, so samples carry no GPU metrics.
 */
export function gpuCard(gpu: GpuInfo, kind: 'detected' | 'described' | 'planned'): GpuCard {
  const planned = kind === 'planned';
  const absent = kind === 'described' ? 'not reported for this described GPU' : NOT_SUPPORTED;
  const total = gpu.memory_total_bytes;
  const memMeter = meter('gpu-memory-bar');
  const memCaption = h('span', { class: 'caption', 'data-testid': 'gpu-memory-text' });
  const title = h(
    'div',
    { class: 'card-title' },
    h('span', { class: 'gpu-index' }, `GPU ${gpu.index}`),
    h('h3', { title: gpu.uuid ?? gpu.name }, gpu.name),
    h('span', { class: 'gpu-total', title: bytesTitle(total), 'data-testid': 'gpu-memory-total' }, gib(total)),
  );
  const memory = h(
    'section',
    { class: 'gpu-memory' },
    h('div', { class: 'row-label' }, h('span', undefined, 'Memory'), memCaption),
    memMeter.el,
  );
  const el = h('article', { class: 'card gpu-card', 'data-testid': 'gpu-card', 'data-gpu-index': gpu.index }, title, memory);

  if (planned) {
    memMeter.set(null, bytesTitle(total));
    memCaption.textContent = `${gib(total)} total · planned`;
    el.classList.add('planned');
    el.append(staticFacts(gpu), migList(gpu.mig) ?? '', h('p', { class: 'note' }, 'Planned hardware: no live metrics.'));
    return { el, update: () => undefined, setHistory: () => undefined };
  }

  const util = h('span', { class: 'util-value', 'data-testid': 'gpu-util' }, '—');
  const spark = sparkline(`GPU ${gpu.index} utilisation, last 60 samples`);
  const temp = metric('Temperature');
  const power = metric('Power draw');
  const smClock = metric('SM clock');
  const memClock = metric('Memory clock');
  const fan = metric('Fan');
  const memUtil = metric('Memory activity');
  const procs = h('div', { class: 'procs' });

  el.append(
    h(
      'section',
      { class: 'gpu-util' },
      h('div', { class: 'util-head' }, h('span', { class: 'row-label' }, 'Utilisation'), util),
      spark.el,
    ),
    h('div', { class: 'metrics' }, temp.el, power.el, smClock.el, memClock.el, fan.el, memUtil.el),
    staticFacts(gpu),
    migList(gpu.mig) ?? '',
    procs,
  );

  const showNoSample = (reason: string): void => {
    memMeter.set(null, bytesTitle(total));
    memCaption.textContent = `${gib(total)} total · ${reason}`;
    util.textContent = '—';
    util.title = reason;
    for (const m of [temp, power, smClock, memClock, fan, memUtil]) m.set(null, reason);
  };
  showNoSample('waiting for data');

  return {
    el,
    setHistory(utilisation) {
      spark.set(utilisation);
    },
    update(sample) {
      if (!sample) {
        showNoSample('no sample for this GPU');
        return;
      }
      const used = sample.memory_used_bytes;
      if (used === null) {
        memMeter.set(null, `${bytesTitle(total)}; usage ${absent}`);
        memCaption.textContent = `${gib(total)} total · usage not reported`;
      } else {
        memMeter.set(fraction(used, total), `used ${bytesTitle(used)} of ${bytesTitle(total)}`);
        memCaption.textContent = `${gib(used)} of ${gib(total)} used`;
      }
      const u = sample.utilization_gpu_percent;
      util.textContent = u === null ? '—' : percent(u);
      if (u === null) util.title = absent;
      else util.removeAttribute('title');
      const show = (m: Metric, value: number | null, format: (v: number) => string): void => {
        m.set(value === null ? null : format(value), absent);
      };
      show(temp, sample.temperature_c, celsius);
      show(power, sample.power_draw_watts, watts);
      show(smClock, sample.clock_sm_mhz, mhz);
      show(memClock, sample.clock_memory_mhz, mhz);
      show(fan, sample.fan_speed_percent, percent);
      show(memUtil, sample.utilization_memory_percent, percent);
      procs.replaceChildren(
        ...(sample.processes.length === 0
          ? []
          : [
              h('span', { class: 'row-label' }, `Processes (${sample.processes.length})`),
              h(
                'ul',
                { class: 'proc-list' },
                ...sample.processes.slice(0, 5).map((p) =>
                  h(
                    'li',
                    undefined,
                    h('span', { class: 'mono' }, `${p.name ?? 'unknown'} `, h('span', { class: 'dim' }, `pid ${p.pid}`)),
                    h('span', undefined, p.used_memory_bytes === null ? '—' : gib(p.used_memory_bytes)),
                  ),
                ),
              ),
            ]),
      );
    },
  };
}
