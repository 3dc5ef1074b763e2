// "Add an external deployment" (`data-testid="deployment-form"`): another OpenAI-compatible
// server the gateway may route to — a name (`deployment-name`), its address ending in /v1
// (`deployment-endpoint`), the model it serves (`deployment-served-model`) and, optionally,
// the name of the environment variable that holds its API key (`deployment-key-env`; the key
// itself is never asked for). Errors (`deployment-error`) appear next to their field:
// checked as typed (name, address ending in /v1, served model), and where the server
// names one (`deployments.endpoint` → the endpoint field).

import { h } from '../dom';
import type { ExternalDeployment } from '../types';
import { checkEndpoint, checkName, formErrors } from '../forms';
import { control } from './gateway-bits';

export interface DeploymentForm {
  el: HTMLElement;
}

export interface DeploymentFormActions {
  /** Saves a new external deployment. */
  add(deployment: ExternalDeployment): Promise<void>;
  /** The names in use (engines and external deployments). */
  taken(): string[];
}

function textInput(id: string, placeholder: string, testid: string): HTMLInputElement {
  return h('input', { id, type: 'text', placeholder, autocomplete: 'off', spellcheck: 'false', 'data-testid': testid });
}

export function deploymentForm(actions: DeploymentFormActions): DeploymentForm {
  const name = textInput('deployment-name', 'gpu-2', 'deployment-name');
  name.maxLength = 64;
  const endpoint = textInput('deployment-endpoint', 'http://gpu-2.internal:8000/v1', 'deployment-endpoint');
  const servedModel = textInput('deployment-served-model', 'mistralai/Mistral-7B-Instruct-v0.3', 'deployment-served-model');
  const keyEnv = textInput('deployment-key-env', 'GPU2_API_KEY', 'deployment-key-env');
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'deployment-add' }, 'Add deployment');
  const general = h('div', { class: 'form-general' });

  const fields = {
    name: {
      ctl: control('Name', 'deployment-name', name),
      input: name,
      check: ({ value }: { value: string }) =>
        checkName(value, 'The name') ??
        (actions.taken().includes(value.trim()) ? `A deployment is already called ${value.trim()}: choose another name.` : null),
    },
    endpoint: { ctl: control('Endpoint (ending in /v1)', 'deployment-endpoint', endpoint), input: endpoint, check: ({ value }: { value: string }) => checkEndpoint(value) },
    served_model: {
      ctl: control('Served model', 'deployment-served-model', servedModel),
      input: servedModel,
      check: ({ value }: { value: string }) => (value.trim() === '' ? 'Enter the model name that server serves (its /v1/models lists it).' : null),
    },
    api_key_env: {
      ctl: control(
        'API key variable (optional)',
        'deployment-key-env',
        keyEnv,
        'The name of an environment variable, not the key: the gateway reads the key from it where the server runs.',
      ),
      input: keyEnv,
    },
  };
  fields.name.ctl.classList.add('ctl-name');
  fields.endpoint.ctl.classList.add('ctl-wide');
  fields.served_model.ctl.classList.add('ctl-wide');
  fields.api_key_env.ctl.classList.add('ctl-env');
  const error = formErrors({ testid: 'deployment-error', fields, general, fieldOf: (field) => field.replace(/^deployments\./, '') });

  const el = h(
    'form',
    { class: 'gateway-form deployment-form', novalidate: true, 'aria-label': 'Add an external deployment', 'data-testid': 'deployment-form' },
    h('h4', undefined, 'Add an external deployment'),
    h('p', { class: 'hint' }, 'Another OpenAI-compatible server (vLLM on another machine, a hosted service). Engines started on the Engines page appear here by themselves.'),
    general,
    h('div', { class: 'gateway-form-row' }, fields.name.ctl, fields.endpoint.ctl, fields.served_model.ctl, fields.api_key_env.ctl),
    h('div', { class: 'engine-buttons' }, submit),
  );

  /** The deployment as entered, or null after showing what is wrong next to its field. */
  function read(): ExternalDeployment | null {
    if (!error.check()) return null;
    const env = keyEnv.value.trim();
    return { name: name.value.trim(), endpoint: endpoint.value.trim(), served_model: servedModel.value.trim(), api_key_env: env === '' ? null : env };
  }

  let busy = false;
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const deployment = read();
    if (!deployment) return;
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Adding…';
    actions
      .add(deployment)
      .then(
        () => {
          for (const input of [name, endpoint, servedModel, keyEnv]) input.value = '';
          error.reset();
        },
        (reason: unknown) => {
          error.report(reason, 'The deployment could not be added.');
        },
      )
      .finally(() => {
        busy = false;
        submit.disabled = false;
        submit.textContent = 'Add deployment';
      });
  });

  return { el };
}
