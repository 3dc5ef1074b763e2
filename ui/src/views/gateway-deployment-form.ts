// "Add an external deployment" (`data-testid="deployment-form"`): a model served elsewhere, as
// GitLab models it — a name (`deployment-name`), a platform (`deployment-platform`: an
// OpenAI-compatible server reached through this gateway, AWS Bedrock or Azure OpenAI, which
// GitLab's AI gateway calls itself), its address (`deployment-endpoint`; /v1 for an
// OpenAI-compatible server, the resource for Azure, none for Bedrock), the model
// (`deployment-served-model`), the family (`deployment-family`, "automatic" by default),
// Bedrock's region (`deployment-region`) and its key: typed once into `deployment-key` (kept
// in the secret store, never shown again) or the name of an environment variable
// (`deployment-key-env`). An OpenAI-compatible server may list replicas (`deployment-replicas`:
// "Add a replica" (`deployment-replica-add`) adds a row `deployment-replica` with its address
// `deployment-replica-endpoint`, an optional key variable `deployment-replica-key-env` and
// `deployment-replica-remove`); the gateway spreads requests over them. Errors
// (`deployment-error`) appear next to their field, a replica's in its row, with a one-click
// fix (`deployment-error-fix`) where the right value is plain (`…/v1`).

import { h } from '../dom';
import type { ExternalDeployment, Family, Platform, Replica } from '../types';
import { checkEndpoint, checkName, endpointWithV1, formErrors, type FormField } from '../forms';
import { control } from './gateway-bits';

export interface DeploymentForm {
  el: HTMLElement;
}

export interface DeploymentFormActions {
  /** Saves a new external deployment, and its key when one was typed. */
  add(deployment: ExternalDeployment, key: string | null): Promise<void>;
  /** The names in use (engines and external deployments). */
  taken(): string[];
  /** Where typed keys are kept, in words. */
  secretStore(): string;
}

const FAMILIES: Family[] = ['GENERAL', 'MISTRAL', 'MIXTRAL', 'CODESTRAL', 'LLAMA3', 'CODELLAMA', 'CODEGEMMA', 'DEEPSEEKCODER', 'CLAUDE_3', 'GPT', 'GEMINI'];

const PLATFORMS: { value: Platform; label: string; hint: string }[] = [
  { value: 'openai_compatible', label: 'OpenAI-compatible server', hint: 'vLLM on another machine or a hosted service: reached through this gateway, so GitLab keeps one endpoint.' },
  { value: 'bedrock', label: 'AWS Bedrock', hint: 'Called by GitLab’s AI gateway with its own AWS credentials and AWS_REGION; no endpoint or key here.' },
  { value: 'azure_openai', label: 'Azure OpenAI', hint: 'Called by GitLab’s AI gateway: the resource’s address, the deployment name and its key.' },
];

function textInput(id: string, placeholder: string, testid: string, type = 'text'): HTMLInputElement {
  return h('input', { id, type, placeholder, autocomplete: 'off', spellcheck: 'false', 'data-testid': testid });
}

/** One replica's row: its address and an optional key variable of its own. */
interface ReplicaRow {
  /** Its fields' keys are `replica-<id>` and `replica-<id>-env`. */
  id: number;
  el: HTMLElement;
  endpoint: HTMLInputElement;
  keyEnv: HTMLInputElement;
}

/** The form's key for a server field of the `index`-th replica sent (`…replicas[1].endpoint`). */
export function replicaFieldKey(serverField: string, sent: { id: number }[]): string | null {
  const match = /\.replicas\[(\d+)\]\.(endpoint|api_key_env)$/.exec(serverField);
  if (!match) return null;
  const row = sent[Number(match[1])];
  if (!row) return null;
  return match[2] === 'api_key_env' ? `replica-${String(row.id)}-env` : `replica-${String(row.id)}`;
}

function select(id: string, testid: string, options: [string, string][]): HTMLSelectElement {
  return h('select', { id, 'data-testid': testid }, ...options.map(([value, label]) => h('option', { value }, label)));
}

export function deploymentForm(actions: DeploymentFormActions): DeploymentForm {
  const name = textInput('deployment-name', 'gpu-2', 'deployment-name');
  name.maxLength = 64;
  const platform = select('deployment-platform', 'deployment-platform', PLATFORMS.map((p) => [p.value, p.label]));
  const endpoint = textInput('deployment-endpoint', 'http://gpu-2.internal:8000/v1', 'deployment-endpoint');
  const servedModel = textInput('deployment-served-model', 'mistralai/Mistral-7B-Instruct-v0.3', 'deployment-served-model');
  const family = select('deployment-family', 'deployment-family', [['', 'Automatic (from the model)'], ...FAMILIES.map((f): [string, string] => [f, f])]);
  const region = textInput('deployment-region', 'us-east-1', 'deployment-region');
  const key = textInput('deployment-key', 'sk-…', 'deployment-key', 'password');
  const keyEnv = textInput('deployment-key-env', 'GPU2_API_KEY', 'deployment-key-env');
  const platformHint = h('p', { class: 'hint', 'data-testid': 'deployment-platform-hint' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'deployment-add' }, 'Add deployment');
  const general = h('div', { class: 'form-general' });
  const current = (): Platform => platform.value as Platform;

  const fields = {
    name: {
      ctl: control('Name', 'deployment-name', name),
      input: name,
      check: ({ value }: { value: string }) =>
        checkName(value, 'The name') ??
        (actions.taken().includes(value.trim()) ? `A deployment is already called ${value.trim()}: choose another name.` : null),
    },
    platform: { ctl: control('Platform', 'deployment-platform', platform), input: platform },
    endpoint: {
      ctl: control('Endpoint', 'deployment-endpoint', endpoint),
      input: endpoint,
      check: ({ value }: { value: string }) => {
        if (current() === 'openai_compatible') return checkEndpoint(value);
        if (current() === 'azure_openai' && !/^https:\/\/[^/]+/.test(value.trim())) return 'Enter the resource’s https address, e.g. https://team.openai.azure.com.';
        return null;
      },
      fix: (value: string) => (current() === 'openai_compatible' ? endpointWithV1(value) : null),
    },
    served_model: {
      ctl: control('Model', 'deployment-served-model', servedModel, 'The served name (its /v1/models lists it), the Bedrock model id or ARN, or the Azure deployment name.'),
      input: servedModel,
      check: ({ value }: { value: string }) => (value.trim() === '' ? 'Enter the model: the served name, the Bedrock model id, or the Azure deployment.' : null),
    },
    family: { ctl: control('Model family', 'deployment-family', family, 'GitLab picks its prompts by family; GENERAL fits any other model.'), input: family },
    region: {
      ctl: control('AWS region', 'deployment-region', region, 'The AI gateway’s AWS_REGION; a cross-region model id (us., eu., apac.) must match it.'),
      input: region,
      check: ({ value }: { value: string }) => (current() === 'bedrock' && value.trim() === '' ? 'Enter the AI gateway’s AWS region, e.g. us-east-1.' : null),
    },
    key: { ctl: control('API key (optional)', 'deployment-key', key, 'Kept in the secret store, never shown again.'), input: key },
    api_key_env: {
      ctl: control('…or a key variable', 'deployment-key-env', keyEnv, 'The name of an environment variable that holds the key where the server runs.'),
      input: keyEnv,
    },
  };
  fields.name.ctl.classList.add('ctl-name');
  fields.endpoint.ctl.classList.add('ctl-wide');
  fields.served_model.ctl.classList.add('ctl-wide');
  fields.api_key_env.ctl.classList.add('ctl-env');
  const shown = (field: string): boolean => {
    if (field.startsWith('replica-')) return current() === 'openai_compatible';
    if (current() === 'bedrock') return !['endpoint', 'key', 'api_key_env'].includes(field);
    return field !== 'region';
  };
  /** The replica rows, and those sent with the last add (the server names them by index). */
  const rows: ReplicaRow[] = [];
  let sentRows: ReplicaRow[] = [];
  let nextRow = 0;
  const error = formErrors({
    testid: 'deployment-error',
    fields,
    general,
    visible: shown,
    fieldOf: (field) =>
      replicaFieldKey(field, sentRows) ?? (field === 'deployments.api_key' ? 'key' : field.replace(/^deployments\./, '')),
  });

  const replicaRows = h('div', { class: 'replica-rows' });
  const addReplica = h(
    'button',
    { type: 'button', class: 'secondary small', 'data-testid': 'deployment-replica-add', onclick: () => { addRow(); } },
    'Add a replica',
  );
  const replicas = h(
    'div',
    { class: 'replicas', 'data-testid': 'deployment-replicas' },
    h('div', { class: 'replicas-head' }, h('span', { class: 'ctl-label' }, 'Replicas (optional)'), addReplica),
    h('p', { class: 'hint' }, 'More servers of the same model. The gateway sends each request to the one with the fewest requests in progress, takes one that fails out until it answers again, and sends it the deployment’s key unless it names a variable of its own.'),
    replicaRows,
  );

  function addRow(): void {
    const id = nextRow++;
    const endpointInput = textInput(`deployment-replica-${String(id)}`, 'http://gpu-3.internal:8000/v1', 'deployment-replica-endpoint');
    const envInput = textInput(`deployment-replica-${String(id)}-env`, 'GPU3_API_KEY', 'deployment-replica-key-env');
    const endpointField: FormField = {
      ctl: control('Replica endpoint', endpointInput.id, endpointInput),
      input: endpointInput,
      check: ({ value }) => (value.trim() === '' ? null : checkEndpoint(value)),
      fix: (value) => endpointWithV1(value),
    };
    const envField: FormField = {
      ctl: control('Its key variable (optional)', envInput.id, envInput),
      input: envInput,
    };
    endpointField.ctl.classList.add('ctl-wide');
    envField.ctl.classList.add('ctl-env');
    const row: ReplicaRow = { id, endpoint: endpointInput, keyEnv: envInput, el: h('div') };
    const remove = h(
      'button',
      { type: 'button', class: 'secondary small', 'data-testid': 'deployment-replica-remove', title: 'Remove this replica', onclick: () => { removeRow(row); } },
      'Remove',
    );
    row.el = h('div', { class: 'gateway-form-row replica-row', 'data-testid': 'deployment-replica' }, endpointField.ctl, envField.ctl, remove);
    rows.push(row);
    error.add(`replica-${String(id)}`, endpointField);
    error.add(`replica-${String(id)}-env`, envField);
    replicaRows.append(row.el);
    endpointInput.focus();
  }

  function removeRow(row: ReplicaRow): void {
    error.remove(`replica-${String(row.id)}`);
    error.remove(`replica-${String(row.id)}-env`);
    rows.splice(rows.indexOf(row), 1);
    row.el.remove();
  }

  function follow(): void {
    platformHint.textContent = PLATFORMS.find((p) => p.value === current())?.hint ?? '';
    for (const [field, { ctl }] of Object.entries(fields)) ctl.hidden = !shown(field);
    replicas.hidden = current() !== 'openai_compatible';
    endpoint.placeholder = current() === 'azure_openai' ? 'https://team.openai.azure.com' : 'http://gpu-2.internal:8000/v1';
    servedModel.placeholder =
      current() === 'bedrock' ? 'us.anthropic.claude-3-5-sonnet-20241022-v2:0' : current() === 'azure_openai' ? 'gpt-4o' : 'mistralai/Mistral-7B-Instruct-v0.3';
    fields.key.ctl.title = actions.secretStore();
    error.clear();
  }
  platform.addEventListener('change', follow);

  const el = h(
    'form',
    { class: 'gateway-form deployment-form', novalidate: true, 'aria-label': 'Add an external deployment', 'data-testid': 'deployment-form' },
    h('h4', undefined, 'Add an external deployment'),
    platformHint,
    general,
    h('div', { class: 'gateway-form-row' }, fields.name.ctl, fields.platform.ctl, fields.endpoint.ctl, fields.served_model.ctl),
    h('div', { class: 'gateway-form-row' }, fields.family.ctl, fields.region.ctl, fields.key.ctl, fields.api_key_env.ctl),
    replicas,
    h('div', { class: 'engine-buttons' }, submit),
  );
  follow();

  /** The deployment as entered, or null after showing what is wrong next to its field. */
  function read(): ExternalDeployment | null {
    if (!error.check()) return null;
    const env = keyEnv.value.trim();
    const bedrock = current() === 'bedrock';
    if (!bedrock && env !== '' && key.value.trim() !== '') {
      error.show('Give the key or a variable that holds it, not both.', 'api_key_env');
      return null;
    }
    // Rows left empty are not replicas; the server names the others by their place.
    sentRows = current() === 'openai_compatible' ? rows.filter((r) => r.endpoint.value.trim() !== '') : [];
    const replicaList: Replica[] = sentRows.map((r) => ({
      endpoint: r.endpoint.value.trim(),
      api_key_env: r.keyEnv.value.trim() === '' ? null : r.keyEnv.value.trim(),
    }));
    return {
      name: name.value.trim(),
      platform: current(),
      endpoint: bedrock ? '' : endpoint.value.trim(),
      served_model: servedModel.value.trim(),
      family: family.value === '' ? null : (family.value as Family),
      region: bedrock ? region.value.trim() : null,
      api_key_env: bedrock || env === '' ? null : env,
      api_key_stored: false,
      // Only when there are some: a deployment without replicas is sent as it always was.
      ...(replicaList.length > 0 ? { replicas: replicaList } : {}),
    };
  }

  let busy = false;
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const deployment = read();
    if (!deployment) return;
    const typedKey = deployment.platform === 'bedrock' ? '' : key.value.trim();
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Adding…';
    actions
      .add(deployment, typedKey === '' ? null : typedKey)
      .then(
        () => {
          for (const input of [name, endpoint, servedModel, region, key, keyEnv]) input.value = '';
          family.value = '';
          for (const row of [...rows]) removeRow(row);
          error.reset();
        },
        (reason: unknown) => {
          error.report(reason, 'The deployment could not be added.');
        },
      )
      .finally(() => {
        key.value = '';
        busy = false;
        submit.disabled = false;
        submit.textContent = 'Add deployment';
      });
  });

  return { el };
}
