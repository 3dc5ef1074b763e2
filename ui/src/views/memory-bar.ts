// The stacked memory bar of a fit (`data-testid="memory-bar"`): how one GPU's memory is
// split between the weights, the KV cache, vLLM's runtime overhead (outside PyTorch,
// activation peak, CUDA graphs) and what stays outside vLLM's budget. Every GPU of a
// tensor-parallel group holds the same share, so one bar stands for each of them.
//
// When the weights and overhead alone exceed the budget (`kv_cache_bytes < 0`), the bar is
// scaled to what the model asks for instead, a marker shows where the budget ends, and the
// part past it is hatched red with "over by X GiB".

import { h } from '../dom';
import { bytesTitle, gib } from '../format';
import type { MemoryPerGpu } from '../types';
import { gpuList } from './model-bits';

interface Part {
  key: 'weights' | 'kv' | 'overhead' | 'outside';
  label: string;
  bytes: number;
  title: string;
}

/** Overhead inside the budget: CUDA graphs count there only from vLLM 0.20. */
function overheadBytes(m: MemoryPerGpu): number {
  return m.non_torch_bytes + m.activations_bytes + (m.cuda_graphs_in_budget ? m.cuda_graphs_bytes : 0);
}

function parts(m: MemoryPerGpu): Part[] {
  const overhead = overheadBytes(m);
  const graphs = m.cuda_graphs_in_budget ? `, CUDA graphs ${gib(m.cuda_graphs_bytes)}` : '';
  return [
    { key: 'weights', label: 'Weights', bytes: m.weights_bytes, title: `Weights: ${gib(m.weights_bytes)} per GPU` },
    {
      key: 'kv',
      label: 'KV cache',
      bytes: Math.max(0, m.kv_cache_bytes),
      title: `KV cache: ${gib(Math.max(0, m.kv_cache_bytes))} for the context of the requests running at once`,
    },
    {
      key: 'overhead',
      label: 'Overhead',
      bytes: overhead,
      title:
        `Runtime overhead: ${gib(overhead)} (outside PyTorch ${gib(m.non_torch_bytes)}, ` +
        `activation peak ${gib(m.activations_bytes)}${graphs})`,
    },
    {
      key: 'outside',
      label: 'Outside budget',
      bytes: m.unreserved_bytes,
      title:
        `Outside vLLM's budget: ${gib(m.unreserved_bytes)}; after the KV cache vLLM still needs ${gib(m.after_kv_bytes)} of it ` +
        `(${m.cuda_graphs_in_budget ? '' : `CUDA graphs ${gib(m.cuda_graphs_bytes)}, `}the sampler's warm-up)`,
    },
  ];
}

function pct(part: number, whole: number): string {
  return `${whole > 0 ? Math.max(0, Math.min(100, (part / whole) * 100)).toFixed(2) : '0'}%`;
}

/** Sets geometry through the CSSOM (not a `style` attribute, which a strict CSP refuses). */
function placed<T extends HTMLElement>(el: T, geometry: { width?: string; left?: string }): T {
  if (geometry.width !== undefined) el.style.width = geometry.width;
  if (geometry.left !== undefined) el.style.left = geometry.left;
  return el;
}

/** `gpus`: the GPUs the model runs on, for the caption. */
export function memoryBar(memory: MemoryPerGpu, gpus: number[], testid = 'memory-bar'): HTMLElement {
  const all = parts(memory);
  const over = memory.kv_cache_bytes < 0 ? -memory.kv_cache_bytes : 0;
  // Fitting: the track is the GPU. Overflowing: the track is what the model asks of the budget.
  const demand = memory.weights_bytes + overheadBytes(memory);
  const scale = over > 0 ? demand : memory.total_bytes;
  const drawn = over > 0 ? all.filter((p) => p.key === 'weights' || p.key === 'overhead') : all;

  const track = h(
    'div',
    { class: 'mem-track', role: 'img', 'aria-label': drawn.map((p) => `${p.label} ${gib(p.bytes)}`).join(', ') },
    ...drawn
      .filter((p) => p.bytes > 0)
      .map((p) =>
        placed(h('div', { class: `mem-seg mem-${p.key}`, title: p.title, 'data-part': p.key }), { width: pct(p.bytes, scale) }),
      ),
  );
  if (over > 0) {
    const budgetAt = pct(memory.budget_bytes, scale);
    track.append(
      placed(
        h('div', {
          class: 'mem-over',
          title: `Over the budget by ${gib(over)}: weights and overhead do not fit in ${gib(memory.budget_bytes)}`,
        }),
        { left: budgetAt },
      ),
      placed(h('div', { class: 'mem-marker', title: `vLLM's budget per GPU: ${gib(memory.budget_bytes)}` }), { left: budgetAt }),
    );
  }

  const where = gpus.length > 1 ? `Each of ${gpuList(gpus)}` : gpus.length === 1 ? `Memory of ${gpuList(gpus)}` : 'Memory per GPU';
  const head = h(
    'div',
    { class: 'row-label' },
    h('span', undefined, where),
    over > 0
      ? h('span', { class: 'mem-over-text', 'data-testid': 'memory-over' }, `over by ${gib(over)}`)
      : h('span', { class: 'caption', title: bytesTitle(memory.total_bytes) }, `${gib(memory.total_bytes)} usable`),
  );
  const legend = h(
    'ul',
    { class: 'mem-legend' },
    ...all.map((p) =>
      h(
        'li',
        { title: p.title },
        h('span', { class: `mem-swatch mem-${p.key}`, 'aria-hidden': 'true' }),
        `${p.label} `,
        h('span', { class: 'mem-num' }, p.key === 'kv' && over > 0 ? 'none' : gib(p.bytes)),
      ),
    ),
  );
  const scaleNote =
    over > 0
      ? h(
          'p',
          { class: 'mem-note' },
          `Needs ${gib(demand)} of a ${gib(memory.budget_bytes)} budget (${gib(memory.total_bytes)} usable per GPU).`,
        )
      : null;
  return h(
    'div',
    { class: `mem-bar${over > 0 ? ' overflow' : ''}`, 'data-testid': testid, 'data-gpus': gpus.join(',') },
    head,
    track,
    legend,
    scaleNote,
  );
}
