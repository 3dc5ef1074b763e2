// "Download weights" (`data-testid="download-panel"`): a form (`download-form`) that fetches
// a catalog model's checkpoint into the models folder — model (`download-model`), checkpoint
// (`download-variant`), revision (`download-revision`) and a Hugging Face token for gated
// models (`download-token`, a password field emptied as soon as it is sent) — and one entry
// per download (`download-job`, `data-job="<id>"`) with its progress bar (`job-progress`),
// bytes (`job-bytes`), speed (`job-speed`), files (`job-files`), the files being fetched
// (`job-current`) and Cancel (`job-cancel`); once done, the folder (`download-folder`). A
// refused start is shown next to the field the server names (`download-error`).

import { h, replaceChildren } from '../dom';
import { gib, percent, size, sizeOf, speed } from '../format';
import { ApiError, type CatalogModel, type CatalogView, type DownloadParams, type JobStatus } from '../types';
import { progressBar } from '../widgets';
import { copyButton } from './copy';
import { fillModelSelect } from './engine-form';
import { callError, cancelButton, messageOf, outcome, showOnBar, stateBadge } from './job-bits';

export interface DownloadActions {
  download(params: DownloadParams): Promise<JobStatus>;
  cancel(id: string): Promise<JobStatus>;
  /** Hears the job a call returned, to show it at once and watch it. */
  changed: (job: JobStatus) => void;
}

export interface DownloadPanel {
  el: HTMLElement;
  setCatalog(catalog: CatalogView): void;
  setCatalogError(message: string): void;
  /** Shows the download jobs the server lists. */
  apply(jobs: JobStatus[]): void;
}

/** The fields an error can point at; anything else is shown above the form. */
type Field = 'model' | 'variant' | 'revision' | 'token' | 'general';

interface Entry {
  el: HTMLElement;
  show(job: JobStatus): void;
}

function downloadEntry(first: JobStatus, actions: DownloadActions): Entry {
  let job = first;
  const error = callError(`download-call-error-${first.id.replace(/[^A-Za-z0-9_-]/g, '-')}`);
  const badge = stateBadge();
  const cancel = cancelButton(
    `Cancel the download of ${first.target}`,
    () => actions.cancel(job.id).then(actions.changed),
    (message) => {
      error.set(message);
    },
  );
  const bar = progressBar(`Downloading ${first.target}`, 'job-progress');
  const pct = h('span', { class: 'caption', 'data-testid': 'job-percent' });
  const bytes = h('span', { 'data-testid': 'job-bytes' });
  const rate = h('span', { 'data-testid': 'job-speed' });
  const files = h('span', { 'data-testid': 'job-files' });
  const current = h('p', { class: 'mono job-current', 'data-testid': 'job-current' });
  const progress = h('div', { class: 'job-progress' }, bar.el, h('div', { class: 'job-facts' }, bytes, rate, files, pct), current);
  const ended = outcome();

  const el = h(
    'li',
    { class: 'download-job', 'data-testid': 'download-job', 'data-job': first.id },
    h(
      'div',
      { class: 'job-head' },
      h('div', { class: 'job-title' }, h('h4', { class: 'mono', title: first.target }, first.target), badge.el),
      h('div', { class: 'job-buttons' }, cancel.el),
    ),
    progress,
    ended.el,
    error.el,
  );

  return {
    el,
    show(next) {
      job = next;
      const running = next.state === 'running';
      el.dataset.state = next.state;
      badge.set(next.state);
      cancel.set(running);
      const d = next.download;
      const known = d !== null && d.total_bytes > 0;
      bytes.textContent = known ? sizeOf(d.done_bytes, d.total_bytes) : running ? 'Asking the hub for the file list…' : '';
      rate.textContent = running && d && d.bytes_per_second > 0 ? speed(d.bytes_per_second) : '';
      files.textContent = d && d.files_total > 0 ? `${d.files_done} of ${d.files_total} files` : '';
      pct.textContent = running && next.percent !== null ? percent(next.percent) : '';
      current.textContent = running && d && d.current.length > 0 ? `Fetching ${d.current.join(', ')}` : '';
      current.title = current.textContent;
      showOnBar(bar, next, [bytes.textContent, files.textContent].filter(Boolean).join(', '));
      progress.hidden = !running && !(next.state === 'done' && known);
      if (running) ended.set(null);
      else if (next.state === 'done') {
        const folder = h('code', { class: 'path', 'data-testid': 'download-folder' }, next.result ?? '');
        ended.set(
          'done',
          h('span', undefined, d ? `Downloaded ${size(d.total_bytes)} into ` : 'Downloaded into ', folder),
          copyButton(next.result ?? '', folder, { testid: 'copy-folder', title: 'Copy the folder' }),
        );
      } else if (next.state === 'failed') {
        const error = next.error;
        const hint = error?.code === 'gated_model' ? ' Enter a token above and download again.' : error?.code === 'disk_full' ? ' Free some space, or choose another models folder in the settings.' : '';
        ended.set('failed', h('span', { class: 'job-error', 'data-code': error?.code ?? 'unknown' }, `${error?.message ?? 'The download failed.'}${hint}`));
      }
      else ended.set('cancelled', 'Cancelled — what was fetched is kept; downloading it again resumes there.');
    },
  };
}

function ctl(label: string, forId: string, control: HTMLElement, extraClass = '', hint?: HTMLElement): HTMLElement {
  return h('div', { class: `ctl ${extraClass}`.trim(), 'data-field': forId }, h('label', { for: forId, class: 'ctl-label' }, label), control, hint);
}

export function downloadPanel(actions: DownloadActions): DownloadPanel {
  let catalog: CatalogView | null = null;
  let busy = false;
  let error: HTMLElement | null = null;

  const model = h('select', { id: 'download-model', 'data-testid': 'download-model' }, h('option', { value: '' }, 'Loading the catalog…'));
  const variant = h('select', { id: 'download-variant', 'data-testid': 'download-variant' }, h('option', { value: '' }, 'The model’s own'));
  const revision = h('input', {
    id: 'download-revision',
    type: 'text',
    placeholder: 'main',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 200,
    'data-testid': 'download-revision',
  });
  const token = h('input', {
    id: 'download-token',
    type: 'password',
    placeholder: 'hf_…',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'download-token',
  });
  const tokenHint = h('span', { class: 'hint', id: 'download-token-hint' });
  const remember = h('input', { type: 'checkbox', id: 'download-remember', 'data-testid': 'download-remember' });
  token.setAttribute('aria-describedby', 'download-token-hint');
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'download-start' }, 'Download');
  const general = h('div', { class: 'job-form-general', 'data-field': 'general' });

  const fields: Record<Field, HTMLElement> = {
    model: ctl('Model', 'download-model', model, 'ctl-wide'),
    variant: ctl('Checkpoint', 'download-variant', variant),
    revision: ctl('Revision', 'download-revision', revision),
    token: ctl('Hugging Face token', 'download-token', token, 'ctl-token', tokenHint),
    general,
  };
  const inputs: Partial<Record<Field, HTMLInputElement | HTMLSelectElement>> = { model, variant, revision, token };
  const list = h('ul', { class: 'download-list', 'aria-label': 'Downloads', 'data-testid': 'download-list', hidden: true });
  const entries = new Map<string, Entry>();

  const form = h(
    'form',
    { class: 'job-form', novalidate: true, 'aria-label': 'Download weights', 'data-testid': 'download-form' },
    general,
    h('div', { class: 'engine-form-row' }, fields.model, fields.variant, fields.revision, fields.token),
    h('label', { for: 'download-remember', class: 'check-line' }, remember, ' Remember the token (in the secret store) for later downloads'),
    h('div', { class: 'engine-buttons' }, submit),
  );
  const el = h(
    'section',
    { class: 'card job-panel download-panel', 'aria-labelledby': 'download-title', 'data-testid': 'download-panel' },
    h(
      'div',
      { class: 'job-panel-head' },
      h('h3', { id: 'download-title' }, 'Download weights'),
      h('p', { class: 'hint' }, 'From Hugging Face into the models folder; vLLM then starts from this copy, offline.'),
    ),
    form,
    list,
  );

  const chosen = (): CatalogModel | undefined => catalog?.models.find((m) => m.id === model.value);

  function clearError(): void {
    error?.remove();
    error = null;
    for (const input of Object.values(inputs)) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-errormessage');
    }
  }

  function showError(message: string, field: string | null): void {
    clearError();
    const key: Field = field !== null && field in fields ? (field as Field) : 'general';
    const input = inputs[key];
    error = h(
      'p',
      { class: key === 'general' ? 'banner banner-error job-general-error' : 'field-error', role: 'alert', id: 'download-error', 'data-testid': 'download-error', 'data-field': key },
      message,
    );
    fields[key].append(error);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-errormessage', 'download-error');
      input.focus();
    }
  }

  function fillVariants(): void {
    const m = chosen();
    const own = m?.variants[0];
    variant.replaceChildren(
      h('option', { value: '' }, own ? `The model’s own (${own.name})` : 'The model’s own'),
      ...(m?.variants ?? []).map((v) => h('option', { value: v.name }, `${v.name} · ${v.quantization} · ${gib(v.weight_bytes)}`)),
    );
    variant.disabled = (m?.variants.length ?? 0) < 2;
    tokenHint.textContent = m?.gated
      ? 'This model is gated: accept its licence on Hugging Face, then give a token of that account.'
      : 'Only for gated models. Empty: the remembered one, if any.';
    tokenHint.classList.toggle('gated', m?.gated === true);
  }

  function read(): DownloadParams | null {
    clearError();
    if (!model.value) {
      showError(catalog ? 'Choose a model from the catalog.' : 'The catalog is not loaded: reload the page.', 'model');
      return null;
    }
    const params: DownloadParams = { model: model.value };
    if (variant.value) params.variant = variant.value;
    const rev = revision.value.trim();
    if (rev) params.revision = rev;
    const secret = token.value.trim();
    if (secret) params.token = secret;
    if (secret && remember.checked) params.remember_token = true;
    return params;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const params = read();
    if (!params) return;
    // The token leaves the page with this request and is not kept in it.
    token.value = '';
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Starting…';
    actions
      .download(params)
      .then(actions.changed, (reason: unknown) => {
        if (reason instanceof ApiError) showError(reason.message, reason.field);
        else showError(messageOf(reason, 'The download could not be started.'), null);
      })
      .finally(() => {
        busy = false;
        submit.disabled = false;
        submit.textContent = 'Download';
      });
  });

  model.addEventListener('change', fillVariants);
  for (const input of Object.values(inputs)) {
    const answered = (): void => {
      if (error && (input.getAttribute('aria-invalid') === 'true' || error.dataset.field === 'general')) clearError();
    };
    input.addEventListener('input', answered);
    input.addEventListener('change', answered);
  }
  fillVariants();

  return {
    el,
    setCatalog(view) {
      catalog = view;
      fillModelSelect(model, view, (m) => {
        const notes = [m.gated ? 'gated' : '', m.deprecation ? 'deprecated' : ''].filter(Boolean);
        return notes.length > 0 ? `${m.name} (${notes.join(', ')})` : m.name;
      });
      fillVariants();
    },
    setCatalogError(message) {
      model.replaceChildren(h('option', { value: '' }, 'The catalog could not be loaded'));
      showError(`The model catalog could not be loaded: ${message}`, null);
    },
    apply(jobs) {
      const downloads = jobs.filter((j) => j.kind === 'download');
      const ids = new Set(downloads.map((j) => j.id));
      for (const [id, entry] of entries) {
        if (!ids.has(id)) {
          entry.el.remove();
          entries.delete(id);
        }
      }
      for (const [i, job] of downloads.entries()) {
        let entry = entries.get(job.id);
        if (!entry) {
          entry = downloadEntry(job, actions);
          entries.set(job.id, entry);
        }
        entry.show(job);
        if (list.children[i] !== entry.el) list.insertBefore(entry.el, list.children[i] ?? null);
      }
      list.hidden = downloads.length === 0;
      if (downloads.length === 0) replaceChildren(list);
    },
  };
}
