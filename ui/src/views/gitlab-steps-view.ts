// The values to type into GitLab's admin pages, in GitLab's order: each text to type in with
// a copy button, each choice in words (`gitlab-steps`). The GitLab page and the setup
// wizard's GitLab step show them.

import { h } from '../dom';
import type { ManualSteps } from '../types';
import { copyButton } from './copy';

/** The steps as an ordered list of titled field lists. */
export function stepsView(steps: ManualSteps): HTMLElement {
  return h(
    'ol',
    { class: 'gitlab-steps', 'data-testid': 'gitlab-steps' },
    ...steps.steps.map((step) =>
      h(
        'li',
        undefined,
        h('div', { class: 'doctor-title' }, step.title),
        h('div', { class: 'hint' }, step.place),
        h(
          'dl',
          { class: 'gitlab-fields' },
          ...step.fields.flatMap((f) => {
            // Text to type in is code with a copy button; what to choose or tick is words.
            if (!f.copy) return [h('dt', undefined, f.label), h('dd', undefined, f.value)];
            const value = h('code', undefined, f.value);
            return [h('dt', undefined, f.label), h('dd', undefined, value, copyButton(f.value, value, { title: `Copy ${f.label}` }))];
          }),
        ),
      ),
    ),
  );
}
