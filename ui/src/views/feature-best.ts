// "Best per Duo feature" (`data-testid="feature-best"`): for each Duo feature the three
// best-rated models that fit, with GitLab's rating, or the server's message when none does.
// Features whose top three are the same are shown together, so the many Duo Chat tools
// read as one list. Also the compact list of cloud-only models (`cloud-models`).

import { h } from '../dom';
import type { CloudModel, FeatureAdvice, RankedModel } from '../types';
import { ratingChip, releaseChip, shortTokens, tokens } from './model-bits';

const TOP = 3;

interface Group {
  features: FeatureAdvice[];
  top: RankedModel[];
  message: string | null;
}

/** Features with the same top three share a group; so do all features where nothing fits. */
function signature(f: FeatureAdvice): string {
  return f.ranked
    .slice(0, TOP)
    .map((r) => `${r.model}:${r.variant}:${r.rating}`)
    .join('|');
}

function groups(features: FeatureAdvice[], gitlab: string): Group[] {
  const bySignature = new Map<string, Group>();
  for (const f of features) {
    const key = signature(f);
    const group = bySignature.get(key);
    if (group) group.features.push(f);
    else bySignature.set(key, { features: [f], top: f.ranked.slice(0, TOP), message: f.message });
  }
  const all = [...bySignature.values()];
  for (const group of all) {
    // Each feature's message names the feature; a group of several gets one for all.
    if (group.top.length === 0 && group.features.length > 1) {
      group.message = `No approved model for these ${group.features.length} features fits this hardware in GitLab ${gitlab}.`;
    }
  }
  return all;
}

function featureName(f: FeatureAdvice, titles: Map<string, string>): HTMLElement {
  const fallback = f.falls_back_to ? (titles.get(f.falls_back_to) ?? f.falls_back_to) : null;
  return h(
    'li',
    { 'data-feature': f.feature, title: fallback ? `Uses the model configured for ${fallback} unless one is set for it` : undefined },
    f.title,
    f.state !== 'ga' ? releaseChip(f.state) : null,
  );
}

/**
 * `gitlab`: the version the ratings are for.
 * `ownVariant`: the model's own checkpoint, so a quantized one in the ranking is named.
 * `onPick`: shows the model's card.
 */
export function featureBest(
  features: FeatureAdvice[],
  gitlab: string,
  ownVariant: (model: string) => string | undefined,
  onPick: (model: string) => void,
): HTMLElement {
  const titles = new Map(features.map((f) => [f.feature, f.title]));
  const boxes = groups(features, gitlab).map((g) =>
    h(
      'div',
      { class: 'best-group', 'data-testid': 'feature-best-group', 'data-features': g.features.map((f) => f.feature).join(' ') },
      h('ul', { class: 'best-features' }, ...g.features.map((f) => featureName(f, titles))),
      g.top.length > 0
        ? h(
            'ol',
            { class: 'best-models' },
            ...g.top.map((r) => {
              const pick = h('button', { type: 'button', class: 'link', title: 'Show its card' }, r.name);
              pick.addEventListener('click', () => {
                onPick(r.model);
              });
              const quantized = r.variant !== ownVariant(r.model);
              return h(
                'li',
                { 'data-model': r.model },
                h(
                  'div',
                  { class: 'best-row' },
                  h('span', { class: 'best-name' }, pick, quantized ? h('span', { class: 'chip variant' }, r.variant) : null),
                  h(
                    'span',
                    { class: 'best-facts' },
                    h(
                      'span',
                      { class: 'dim', title: `tensor parallelism ${r.tensor_parallel_size}, ${tokens(r.max_model_len)} tokens, ${Math.floor(r.concurrency)} at once of the full context (${r.concurrency.toFixed(2)}×)` },
                      `TP ${r.tensor_parallel_size} · ${shortTokens(r.max_model_len)}`,
                    ),
                    ratingChip(r.rating),
                  ),
                ),
              );
            }),
          )
        : h('p', { class: 'note' }, g.message ?? 'No approved model fits.'),
    ),
  );
  return h(
    'section',
    { class: 'feature-best', 'data-testid': 'feature-best', 'aria-label': 'Best per Duo feature' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Best per Duo feature')),
    h('div', { class: 'best-grid' }, ...boxes),
  );
}

export function cloudModels(cloud: CloudModel[]): HTMLElement | null {
  if (cloud.length === 0) return null;
  return h(
    'section',
    { class: 'cloud', 'data-testid': 'cloud-models', 'aria-label': 'Cloud-only models' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Cloud-only models'), h('p', { class: 'hint' }, 'Configure these in GitLab; they do not run on this machine.')),
    h(
      'ul',
      { class: 'cloud-list' },
      ...cloud.map((c) =>
        h(
          'li',
          { 'data-model': c.model },
          h('span', { class: 'cloud-name' }, c.name),
          h('span', { class: 'family' }, c.family),
          h('code', { class: 'mono dim', title: 'Model identifier, for example' }, c.identifier_example),
        ),
      ),
    ),
  );
}
