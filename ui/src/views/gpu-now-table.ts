// The dashboard's per-GPU current values (`data-testid="gpu-now"`, one row per GPU,
// `data-gpu-index`): the GPU's colour in the charts, its name, then utilisation, memory used
// of total, temperature, power of its limit and the clocks of the newest sample. Every cell
// has its final size before data arrives (memory "74.0 / 79.1 GiB", power "612 / 700 W"), so live values never move the layout.

import { h } from '../dom';
import { celsius, DASH, gib, mhz, percent, watts } from '../format';
import type { GpuInfo, GpuSample } from '../types';
import { gpuColour } from './metric-chart';

export interface GpuNowTable {
  el: HTMLElement;
  /** Shows the newest sample of each GPU (`undefined`: none yet). */
  update(samples: readonly (GpuSample | undefined)[]): void;
}

const COLUMNS = ['GPU', 'Utilisation', 'Memory', 'Temperature', 'Power', 'SM clock', 'Memory clock'] as const;

export function gpuNowTable(gpus: readonly GpuInfo[], absentReason: string): GpuNowTable {
  const rows = gpus.map((gpu) => {
    const cells = COLUMNS.slice(1).map(() => h('td', { class: 'num' }, DASH));
    const row = h(
      'tr',
      { 'data-testid': 'gpu-now', 'data-gpu-index': gpu.index },
      h(
        'th',
        { scope: 'row', title: gpu.name },
        h(
          'div',
          { class: 'gpu-now-name' },
          h('span', { class: 'swatch', style: `background:${gpuColour(gpu.index)}`, 'aria-hidden': 'true' }),
          h('span', { class: 'gpu-index' }, `GPU ${gpu.index}`),
          h('span', { class: 'gpu-now-model' }, gpu.name),
        ),
      ),
      ...cells,
    );
    return { gpu, row, cells };
  });
  const el = h(
    'div',
    { class: 'card table-card' },
    h(
      'table',
      { class: 'dash-table gpu-now-table', 'aria-label': 'Current values per GPU' },
      h('thead', undefined, h('tr', undefined, ...COLUMNS.map((c, i) => h('th', { scope: 'col', class: i === 0 ? undefined : 'num' }, c)))),
      h('tbody', undefined, ...rows.map((r) => r.row)),
    ),
  );

  const set = (cell: HTMLElement | undefined, text: string | null): void => {
    if (!cell) return;
    cell.textContent = text ?? DASH;
    cell.classList.toggle('absent', text === null);
    if (text === null) cell.title = absentReason;
    else cell.removeAttribute('title');
  };

  return {
    el,
    update(samples) {
      rows.forEach(({ gpu, cells }, i) => {
        const s = samples[i];
        const [util, memory, temp, power, sm, memClock] = cells;
        const used = s?.memory_used_bytes ?? null;
        const draw = s?.power_draw_watts ?? null;
        const limit = gpu.power_limit_watts;
        set(util, s?.utilization_gpu_percent == null ? null : percent(s.utilization_gpu_percent));
        set(memory, used === null ? null : `${gib(used).replace(' GiB', '')} / ${gib(gpu.memory_total_bytes)}`);
        set(temp, s?.temperature_c == null ? null : celsius(s.temperature_c));
        set(power, draw === null ? null : limit === null ? watts(draw) : `${watts(draw).replace(' W', '')} / ${watts(limit)}`);
        set(sm, s?.clock_sm_mhz == null ? null : mhz(s.clock_sm_mhz));
        set(memClock, s?.clock_memory_mhz == null ? null : mhz(s.clock_memory_mhz));
      });
    },
  };
}
