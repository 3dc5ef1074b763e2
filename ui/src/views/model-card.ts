// One model's card on the Models page (`data-testid="model-card"`, `data-model="<id>"`):
// name, family, release state and deprecation, the fit badge, what the usable checkpoint
// gets (tensor parallelism, context, requests at once), its memory bar, GitLab's rating per
// kind of Duo work, and a "Why" section with the explanation, warnings, suggestions (each
// with a button that applies it) and the vLLM command line.

import { h } from '../dom';
import { gib, times } from '../format';
import type { CatalogModel, FitResult, ModelAdvice, RatedAs, Suggestion, VllmPlan } from '../types';
import { copyButton } from './copy';
import { memoryBar } from './memory-bar';
import {
  BADGE_TEXT,
  RATED_AS_ORDER,
  RATED_AS_SHORT,
  RATED_AS_TEXT,
  fitBadge,
  gpuList,
  ratingChip,
  releaseChip,
  shortTokens,
  tokens,
} from './model-bits';

/** What a card needs from the page: catalog look-ups and the actions of suggestions. */
export interface CardContext {
  catalogModel(id: string): CatalogModel | undefined;
  /** The GitLab version the ratings are for. */
  gitlab: string;
  /** The rating column of the selected Duo feature, highlighted; null when all are shown. */
  focus: RatedAs | null;
  /** Re-runs the page with this context. */
  useContext(context: number): void;
  /** Re-runs the page for this hardware spec. */
  useHardware(spec: string): void;
  /** The fit of another checkpoint of a model, with the page's hardware and load. */
  fitVariant(advice: ModelAdvice, variant: string): Promise<FitResult>;
}

function stat(label: string, value: string, title?: string): HTMLElement {
  return h(
    'div',
    { class: 'metric' },
    h('span', { class: 'metric-label' }, label),
    h('span', { class: 'metric-value', title }, value),
  );
}

/** The facts of a checkpoint that fits: TP and GPUs, context, requests at once. */
function fitStats(fit: FitResult): HTMLElement[] {
  return [
    stat(
      'Parallelism',
      `TP ${fit.tensor_parallel_size} · ${gpuList(fit.gpus)}`,
      `Tensor parallelism ${fit.tensor_parallel_size} on ${gpuList(fit.gpus)}${fit.tensor_parallel_size > 1 ? (fit.nvlink ? ', joined by NVLink' : ', not joined by NVLink') : ''}`,
    ),
    stat('Context', shortTokens(fit.max_model_len), `${tokens(fit.max_model_len)} tokens (native ${tokens(fit.native_context)}; at most ${tokens(fit.max_context)} here)`),
    stat('Requests at once', requestsAtOnce(fit), requestsTitle(fit)),
  ];
}

/** "10 (10.37×)": whole requests of the full context, and vLLM's own fraction. */
function requestsAtOnce(fit: FitResult): string {
  return `${Math.floor(fit.concurrency)} (${times(fit.concurrency)})`;
}

/** Why `--max-num-seqs` may be higher than the requests of the full context. */
function requestsTitle(fit: FitResult): string {
  const whole = Math.floor(fit.concurrency);
  const full = `${whole} request${whole === 1 ? '' : 's'} of the full context (${tokens(fit.max_model_len)} tokens) at once: the KV cache holds ${times(fit.concurrency)} one request`;
  const seqs = fit.vllm?.max_num_seqs;
  return seqs !== undefined && seqs > whole ? `${full}; vLLM admits up to ${seqs} shorter ones (--max-num-seqs ${seqs}), sharing the same cache` : full;
}

/** Groups `--flag value` pairs, one per line, as a shell command. */
function vllmCommand(fit: FitResult, vllm: VllmPlan, repo: string | null): string {
  const lines: string[] = [];
  const args = vllm.args;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg.startsWith('--') && next !== undefined && !next.startsWith('--')) {
      lines.push(`${arg} ${next}`);
      i += 1;
    } else {
      lines.push(arg);
    }
  }
  const env = vllm.cuda_visible_devices ? [`CUDA_VISIBLE_DEVICES=${vllm.cuda_visible_devices}`] : [];
  return [...env, `vllm serve ${repo ?? fit.model}`, ...lines.map((l) => `  ${l}`)].join(' \\\n');
}

function vllmBlock(fit: FitResult, model: CatalogModel | undefined): HTMLElement | null {
  if (!fit.vllm) return null;
  const repo = model?.variants.find((v) => v.name === fit.variant)?.repo ?? model?.hf_repo ?? null;
  const text = vllmCommand(fit, fit.vllm, repo);
  const code = h('code', undefined, text);
  const copy = copyButton(text, code, { testid: 'copy-vllm' });
  const serving = model?.serving;
  const notes: string[] = [];
  if (serving) {
    notes.push(`vLLM ${serving.min_vllm} or newer`);
    const flags = [...serving.flags, ...serving.every_checkpoint_flags];
    if (flags.length > 0) notes.push(`the catalog also serves it with ${flags.join(' ')}`);
  }
  return h(
    'div',
    { class: 'vllm' },
    h('div', { class: 'row-label' }, h('span', undefined, `vLLM command (${fit.variant} checkpoint)`), copy),
    h('pre', { class: 'code', 'data-testid': 'vllm-args' }, code),
    notes.length > 0 ? h('p', { class: 'hint' }, `${notes.join('; ')}.`) : null,
  );
}

function explanationList(lines: string[]): HTMLElement {
  return h('ul', { class: 'explain' }, ...lines.map((line) => h('li', undefined, line)));
}

/** The fit of one checkpoint in brief: its badge, facts, memory bar and command. */
function variantFit(fit: FitResult, model: CatalogModel | undefined): HTMLElement {
  const badge = fit.fits ? 'fits' : 'does_not_fit';
  return h(
    'div',
    { class: 'variant-fit', 'data-testid': 'variant-fit', 'data-variant': fit.variant },
    h(
      'div',
      { class: 'variant-head' },
      h('strong', undefined, `${fit.variant} checkpoint · ${gib(fit.weight_bytes)}`),
      h('span', { class: `fit-badge fit-${badge}`, 'data-testid': 'variant-fit-badge' }, BADGE_TEXT[badge]),
    ),
    fit.fits ? h('div', { class: 'metrics' }, ...fitStats(fit)) : null,
    fit.memory ? memoryBar(fit.memory, fit.gpus, 'variant-memory-bar') : null,
    h('details', { class: 'why-nested' }, h('summary', undefined, 'Explanation'), explanationList(fit.explanation)),
    ...fit.warnings.map((w) => h('p', { class: 'warning' }, h('span', { 'aria-hidden': 'true' }, '⚠'), ' ', w)),
    fit.fits ? vllmBlock(fit, model) : null,
  );
}

function suggestionItem(s: Suggestion, advice: ModelAdvice, ctx: CardContext, model: CatalogModel | undefined): HTMLElement {
  const slot = h('div', { class: 'suggestion-result' });
  let button: HTMLButtonElement | null = null;
  switch (s.kind) {
    case 'shorter_context':
      if (s.context !== undefined) {
        const context = s.context;
        button = h('button', { type: 'button', class: 'secondary small' }, `Use ${tokens(context)} tokens`);
        button.addEventListener('click', () => {
          ctx.useContext(context);
        });
      }
      break;
    case 'quantized_variant':
      if (s.variant !== undefined) {
        const variant = s.variant;
        const show = h('button', { type: 'button', class: 'secondary small' }, `Show the ${variant} fit`);
        show.addEventListener('click', () => {
          show.disabled = true;
          slot.replaceChildren(h('p', { class: 'hint' }, `Computing the fit of ${variant}…`));
          ctx
            .fitVariant(advice, variant)
            .then(
              (fit) => {
                slot.replaceChildren(variantFit(fit, model));
                show.hidden = true;
              },
              (e: unknown) => {
                slot.replaceChildren(
                  h('p', { class: 'field-error', role: 'alert' }, e instanceof Error ? e.message : 'The fit could not be computed.'),
                );
              },
            )
            .finally(() => {
              show.disabled = false;
            });
        });
        button = show;
      }
      break;
    case 'more_gpus':
    case 'bigger_gpu':
      if (s.gpus !== undefined) {
        const spec = s.gpus;
        button = h('button', { type: 'button', class: 'secondary small' }, `Plan for ${spec}`);
        button.addEventListener('click', () => {
          ctx.useHardware(spec);
        });
      }
      break;
  }
  return h(
    'li',
    { class: 'suggestion', 'data-testid': 'suggestion', 'data-kind': s.kind },
    h('div', { class: 'suggestion-row' }, h('span', undefined, s.message), button),
    slot,
  );
}

function deprecationLine(advice: ModelAdvice, ctx: CardContext): HTMLElement | null {
  const d = advice.deprecation;
  if (!d) return null;
  const replacement = d.replacement ? (ctx.catalogModel(d.replacement)?.name ?? d.replacement) : null;
  let text = `Deprecated since GitLab ${d.since}`;
  if (d.removed_in) text += `, no longer listed from ${d.removed_in}`;
  text += replacement ? `. Replacement: ${replacement}.` : '.';
  return h('p', { class: 'deprecation', title: d.note, 'data-testid': 'deprecation' }, text);
}

function ratingsRow(advice: ModelAdvice, ctx: CardContext): HTMLElement {
  const ratings = advice.ratings;
  return h(
    'div',
    { class: 'ratings', 'data-testid': 'ratings' },
    h('span', { class: 'ratings-label' }, `GitLab ${ctx.gitlab}`),
    h(
      'div',
      { class: 'rating-cells' },
      ...RATED_AS_ORDER.map((col) =>
        h(
          'div',
          { class: `rating-cell${ctx.focus === col ? ' focus' : ''}`, 'data-column': col },
          h('span', { class: 'rating-col', title: RATED_AS_TEXT[col] }, RATED_AS_SHORT[col]),
          ratingChip(ratings ? ratings[col] : 'not_listed'),
        ),
      ),
    ),
  );
}

export function modelCard(advice: ModelAdvice, ctx: CardContext): HTMLElement {
  const model = ctx.catalogModel(advice.model);
  const usable: FitResult | null =
    advice.badge === 'fits' ? advice : advice.badge === 'fits_quantized' ? advice.quantized : null;

  const sub = h(
    'div',
    { class: 'model-sub' },
    h('span', { class: 'family' }, advice.family),
    releaseChip(advice.release),
    advice.deprecated ? h('span', { class: 'chip deprecated', title: advice.deprecation?.note }, 'Deprecated') : null,
    advice.listed ? null : h('span', { class: 'chip unlisted', title: `GitLab ${ctx.gitlab} does not list this model` }, 'Not listed'),
  );
  const head = h(
    'div',
    { class: 'model-head' },
    h('div', { class: 'model-title' }, h('h3', { title: advice.hf_repo ?? advice.name }, advice.name), sub),
    fitBadge(advice.badge),
  );

  const checkpoint = usable ?? advice;
  const stats = usable !== null ? fitStats(usable) : missStats(advice);
  const verdict = h('p', { class: 'verdict', 'data-testid': 'verdict' }, ...verdictText(advice));

  const memory = checkpoint.memory
    ? memoryBar(checkpoint.memory, checkpoint.gpus)
    : h(
        'div',
        { class: 'mem-bar' },
        h('div', { class: 'row-label' }, h('span', undefined, 'Memory'), h('span', { class: 'caption' }, 'no GPU')),
        h('div', { class: 'mem-track no-gpu', title: 'There is no GPU to place the model on' }),
      );

  const warnings = [...advice.warnings, ...(advice.quantized?.warnings ?? [])];
  const why = h(
    'details',
    { class: 'why', 'data-testid': 'why' },
    h('summary', undefined, 'Why', h('span', { class: 'dim' }, whySummary(advice, warnings.length))),
    advice.quantized && advice.badge === 'fits_quantized'
      ? h(
          'div',
          { class: 'why-part' },
          h('h4', undefined, `With the ${advice.quantized.variant} checkpoint`),
          explanationList(advice.quantized.explanation),
          h('h4', undefined, `With the ${advice.variant} checkpoint`),
          explanationList(advice.explanation),
        )
      : explanationList(advice.explanation),
    warnings.length > 0
      ? h('div', { class: 'why-part' }, ...warnings.map((w) => h('p', { class: 'warning' }, h('span', { 'aria-hidden': 'true' }, '⚠'), ' ', w)))
      : null,
    advice.suggestions.length > 0
      ? h(
          'div',
          { class: 'why-part' },
          h('h4', undefined, 'Suggestions'),
          h('ul', { class: 'suggestions' }, ...advice.suggestions.map((s) => suggestionItem(s, advice, ctx, model))),
        )
      : null,
    (usable ? vllmBlock(usable, model) : null) ??
      h('p', { class: 'note' }, 'No vLLM command: the model does not fit this hardware.'),
  );

  return h(
    'article',
    { class: `card model-card badge-${advice.badge}`, 'data-testid': 'model-card', 'data-model': advice.model, id: `model-${advice.model}` },
    head,
    verdict,
    h('div', { class: 'metrics model-stats' }, ...stats),
    deprecationLine(advice, ctx),
    memory,
    ratingsRow(advice, ctx),
    why,
  );
}

/** Where a model that does not fit would: the first "more GPUs" or "bigger GPU" spec. */
function wouldFitOn(advice: ModelAdvice): string | null {
  const bySize = (kind: Suggestion['kind']) => advice.suggestions.find((s) => s.kind === kind)?.gpus;
  return bySize('more_gpus') ?? bySize('bigger_gpu') ?? null;
}

/** The facts of a model that does not fit: what one GPU needs, its context, where it would fit. */
function missStats(advice: ModelAdvice): HTMLElement[] {
  const elsewhere = wouldFitOn(advice);
  return [
    stat('One GPU needs', `≥ ${advice.min_gpu_memory_gib.toFixed(1)} GiB`, 'GPU memory one GPU would need for the desired context'),
    stat('Native context', shortTokens(advice.native_context), `${tokens(advice.native_context)} tokens`),
    stat('Would fit on', elsewhere ?? '—', elsewhere ? 'See the suggestions under “Why”' : 'No hardware suggestion'),
  ];
}

/**
 * A checkpoint's weights in words: the files' size, and what vLLM holds once they are loaded
 * when the fit says that differs by more than 2 % (MXFP4 experts are laid out again: "60.8
 * GiB of weights, 64.4 GiB once loaded"), so the card agrees with its memory bar.
 */
export function weightWords(fit: Pick<FitResult, 'weight_bytes' | 'memory' | 'tensor_parallel_size' | 'pipeline'>): string {
  const files = `${gib(fit.weight_bytes)} of weights`;
  // Across nodes `memory` is the limiting stage's alone: the files' size is all there is.
  if (!fit.memory || fit.pipeline) return files;
  const loaded = fit.memory.weights_bytes * Math.max(1, fit.tensor_parallel_size);
  return Math.abs(loaded - fit.weight_bytes) > fit.weight_bytes * 0.02 ? `${files}, ${gib(loaded)} once loaded` : files;
}

/** One line under the name: which checkpoint the card is about, and its weights. */
function verdictText(advice: ModelAdvice): (string | HTMLElement)[] {
  const strong = (text: string) => h('strong', undefined, text);
  const q = advice.quantized;
  if (advice.badge === 'fits_quantized' && q) {
    return [
      'With the ',
      strong(q.variant),
      ` checkpoint (${weightWords(q)}); the ${advice.variant} one (${gib(advice.weight_bytes)}) does not fit.`,
    ];
  }
  const line: (string | HTMLElement)[] = [strong(advice.variant), ` checkpoint, ${weightWords(advice)}`];
  if (advice.badge === 'does_not_fit') line.push(advice.memory ? ': more than this hardware holds.' : ': there is no GPU to run it on.');
  else line.push(advice.tensor_parallel_size > 1 ? `, split over ${advice.tensor_parallel_size} GPUs.` : '.');
  return line;
}

function whySummary(advice: ModelAdvice, warnings: number): string {
  const parts: string[] = [];
  const n = advice.suggestions.length;
  if (n > 0) parts.push(`${n} suggestion${n === 1 ? '' : 's'}`);
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return parts.length > 0 ? ` · ${parts.join(' · ')}` : '';
}
