// Small reusable pieces of the overview: a meter bar (with a hatched "unknown" state),
// a progress bar (with a moving striped state while the amount is unknown), a labelled
// metric that shows "—" with a reason instead of a made-up 0, and an SVG sparkline of the
// last 60 values.

import { h, s } from './dom';
import { DASH } from './format';

export const NOT_SUPPORTED = 'not supported by this card';

export interface Meter {
  el: HTMLElement;
  /** `fraction` in 0..1, or null when the used part is unknown (hatched, empty bar). */
  set(fraction: number | null, title: string): void;
}

export function meter(testid?: string): Meter {
  const fill = h('div', { class: 'meter-fill' });
  const el = h('div', { class: 'meter', role: 'meter', 'data-testid': testid }, fill);
  el.setAttribute('aria-valuemin', '0');
  el.setAttribute('aria-valuemax', '100');
  return {
    el,
    set(fraction, title) {
      el.title = title;
      el.classList.toggle('unknown', fraction === null);
      const pct = fraction === null ? 0 : Math.round(fraction * 1000) / 10;
      fill.style.width = `${pct}%`;
      el.classList.toggle('high', fraction !== null && fraction >= 0.9);
      if (fraction === null) el.removeAttribute('aria-valuenow');
      else el.setAttribute('aria-valuenow', String(pct));
    },
  };
}

export interface ProgressBar {
  el: HTMLElement;
  /**
   * `percent` in 0..100, or null while the amount of work is not known (striped, moving);
   * `text` is what a screen reader says (`aria-valuetext`) and the tooltip.
   */
  set(percent: number | null, text: string): void;
  /** Shows the work as ended: full and still when done, else still at what it reached. */
  end(done: boolean): void;
}

/** A `role="progressbar"` bar named by `label`. */
export function progressBar(label: string, testid?: string): ProgressBar {
  const fill = h('div', { class: 'progress-fill' });
  const el = h('div', { class: 'progress', role: 'progressbar', 'aria-label': label, 'data-testid': testid }, fill);
  el.setAttribute('aria-valuemin', '0');
  el.setAttribute('aria-valuemax', '100');
  const show = (percent: number | null, text: string): void => {
    el.classList.toggle('indeterminate', percent === null);
    el.title = text;
    el.setAttribute('aria-valuetext', text);
    if (percent === null) {
      el.removeAttribute('aria-valuenow');
      fill.style.width = '';
      return;
    }
    const pct = Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
    el.setAttribute('aria-valuenow', String(pct));
    fill.style.width = `${pct}%`;
  };
  return {
    el,
    set(percent, text) {
      el.classList.remove('ended', 'done');
      show(percent, text);
    },
    end(done) {
      el.classList.add('ended');
      el.classList.toggle('done', done);
      if (done) show(100, 'Done');
      else if (el.classList.contains('indeterminate')) show(0, el.title);
    },
  };
}

export interface Metric {
  el: HTMLElement;
  /** Shows `text`; null shows "—" with `absentReason` as the tooltip. */
  set(text: string | null, absentReason?: string): void;
}

export function metric(label: string, testid?: string): Metric {
  const value = h('span', { class: 'metric-value' }, DASH);
  const el = h('div', { class: 'metric', 'data-testid': testid }, h('span', { class: 'metric-label' }, label), value);
  return {
    el,
    set(text, absentReason = NOT_SUPPORTED) {
      const absent = text === null;
      value.textContent = absent ? DASH : text;
      value.classList.toggle('absent', absent);
      if (absent) value.title = absentReason;
      else value.removeAttribute('title');
    },
  };
}

/** A labelled static fact: "Compute capability  8.0". */
export function fact(label: string, value: string | null, title?: string): HTMLElement {
  const v = h('dd', { title: value === null ? NOT_SUPPORTED : title }, value ?? DASH);
  if (value === null) v.classList.add('absent');
  return h('div', { class: 'fact' }, h('dt', undefined, label), v);
}

export const SPARK_POINTS = 60;

export interface Sparkline {
  el: SVGSVGElement;
  /**
   * Draws the last `SPARK_POINTS` of `values` (0..100, null a gap), oldest first; the
   * element's `data-points` says how many values it shows.
   */
  set(values: readonly (number | null)[]): void;
}

export function sparkline(label: string): Sparkline {
  const W = 120;
  const H = 32;
  let values: readonly (number | null)[] = [];
  const area = s('path', { class: 'spark-area' });
  const line = s('path', { class: 'spark-line' });
  const el = s(
    'svg',
    { class: 'spark', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
    s('line', { class: 'spark-grid', x1: 0, x2: W, y1: H / 2, y2: H / 2 }),
    area,
    line,
  );

  const draw = (): void => {
    const step = W / (SPARK_POINTS - 1);
    const offset = SPARK_POINTS - values.length;
    let lineD = '';
    let areaD = '';
    let run: [number, number][] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const first = run[0];
      const last = run[run.length - 1];
      if (first && last) {
        const pts = run.map(([x, y]) => `${x.toFixed(1)} ${y.toFixed(1)}`);
        lineD += `M${pts.join(' L')} `;
        if (run.length === 1) lineD += `h0.01 `;
        areaD += `M${first[0].toFixed(1)} ${H} L${pts.join(' L')} L${last[0].toFixed(1)} ${H} Z `;
      }
      run = [];
    };
    values.forEach((v, i) => {
      if (v === null) {
        flush();
        return;
      }
      const clamped = Math.min(100, Math.max(0, v));
      run.push([(offset + i) * step, H - 1 - (clamped / 100) * (H - 2)]);
    });
    flush();
    line.setAttribute('d', lineD.trim());
    area.setAttribute('d', areaD.trim());
  };

  el.dataset.points = '0';
  return {
    el,
    set(next) {
      values = next.slice(-SPARK_POINTS);
      el.dataset.points = String(values.length);
      draw();
    },
  };
}
