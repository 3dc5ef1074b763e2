// The dashboard's time window (`data-testid="window-picker"`): 1, 5, 15 or 60 minutes, as a
// row of radio buttons (arrow keys move between them), remembered in the UI state.

import { h } from '../dom';
import { WINDOW_MINUTES, type WindowMinutes } from '../chart-data';
import { setUiState, uiState } from '../ui-state';

export interface WindowPicker {
  el: HTMLElement;
  value(): WindowMinutes;
}

function remembered(): WindowMinutes {
  return uiState('dashboardWindow', 5, (v) => (WINDOW_MINUTES as readonly unknown[]).includes(v)) as WindowMinutes;
}

export function windowPicker(onChange: (minutes: WindowMinutes) => void): WindowPicker {
  let current = remembered();
  const options = WINDOW_MINUTES.map((minutes) => {
    const input = h('input', { type: 'radio', name: 'dashboard-window', value: minutes, 'data-testid': `window-${minutes}` });
    input.checked = minutes === current;
    input.addEventListener('change', () => {
      if (!input.checked) return;
      current = minutes;
      setUiState('dashboardWindow', minutes);
      onChange(minutes);
    });
    return h('label', { class: 'segment' }, input, h('span', undefined, `${minutes} min`));
  });
  const el = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Time window', 'data-testid': 'window-picker' }, ...options);
  return { el, value: () => current };
}
