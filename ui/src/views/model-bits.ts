// Small pieces shared by the Models page: the fit badge, rating and release chips, and
// the wording of badges, ratings, token counts and GPU lists. Chips are spans with a
// class per value, so colours live in styles.css.

import { h } from '../dom';
import type { FitBadge, RatedAs, Rating, ReleaseState } from '../types';

export const BADGE_TEXT: Record<FitBadge, string> = {
  fits: 'Fits',
  fits_quantized: 'Fits with a quantized variant',
  does_not_fit: 'Does not fit',
};

export const RATING_TEXT: Record<Rating, string> = {
  full: 'Full',
  largely: 'Largely',
  partial: 'Partial',
  listed: 'Listed',
  none: 'None',
  not_listed: 'Not listed',
};

const RATING_TITLE: Record<Rating, string> = {
  full: 'GitLab rates it fully capable for this work',
  largely: 'GitLab rates it largely capable for this work',
  partial: 'GitLab rates it partially capable for this work',
  listed: 'GitLab lists it for this work without a capability rating',
  none: 'GitLab rates it not capable of this work',
  not_listed: 'GitLab does not list it for this work',
};

export const RATED_AS_TEXT: Record<RatedAs, string> = {
  completion: 'Completion',
  generation: 'Generation',
  chat: 'Chat',
  agent_platform: 'Agent Platform',
};

/** The column names as short as a card's rating cell needs. */
export const RATED_AS_SHORT: Record<RatedAs, string> = {
  completion: 'Completion',
  generation: 'Generation',
  chat: 'Chat',
  agent_platform: 'Agents',
};

export const RATED_AS_ORDER: readonly RatedAs[] = ['completion', 'generation', 'chat', 'agent_platform'];

const RELEASE_TEXT: Record<ReleaseState, string> = {
  ga: 'GA',
  beta: 'Beta',
  experimental: 'Experimental',
};

export function fitBadge(badge: FitBadge): HTMLElement {
  return h('span', { class: `fit-badge fit-${badge}`, 'data-testid': 'fit-badge', 'data-badge': badge }, BADGE_TEXT[badge]);
}

export function ratingChip(rating: Rating, title?: string): HTMLElement {
  return h(
    'span',
    { class: `chip rating rating-${rating}`, 'data-rating': rating, title: title ?? RATING_TITLE[rating] },
    RATING_TEXT[rating],
  );
}

/** "GA", "Beta", "Experimental"; unknown states (a feature's "experiment") as written. */
export function releaseChip(state: string): HTMLElement {
  const text = state in RELEASE_TEXT ? RELEASE_TEXT[state as ReleaseState] : state.charAt(0).toUpperCase() + state.slice(1);
  return h('span', { class: `chip release release-${state}`, title: `Release state in GitLab: ${text}` }, text);
}

/** "32,768" */
export function tokens(n: number): string {
  return n.toLocaleString('en-US');
}

/** "32k" for whole multiples of 1,024, else "14,000". */
export function shortTokens(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}k` : tokens(n);
}

/** "GPU 0", "GPUs 0–3", "GPUs 0, 2". */
export function gpuList(gpus: number[]): string {
  if (gpus.length === 0) return 'no GPU';
  if (gpus.length === 1) return `GPU ${gpus[0] ?? 0}`;
  const first = gpus[0] ?? 0;
  const last = gpus[gpus.length - 1] ?? 0;
  const contiguous = gpus.every((g, i) => g === first + i);
  return contiguous ? `GPUs ${first}–${last}` : `GPUs ${gpus.join(', ')}`;
}
