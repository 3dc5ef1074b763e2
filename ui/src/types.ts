// The control API's data shapes, as written in docs/api-contract.md (snake_case keys;
// `null` means "not supported" or "not known"). Also the one error type both transports throw.

export interface VersionInfo {
  name: string;
  version: string;
}

export type HardwareSource =
  | { kind: 'nvml' }
  | { kind: 'description'; label: string; spec: string | null };

export type DriverStatus =
  | 'ok'
  | 'not_found'
  | 'not_loaded'
  | 'no_permission'
  | 'error'
  | 'described';

export interface DriverState {
  status: DriverStatus;
  driver_version: string | null;
  cuda_driver_version: string | null;
  message: string;
  remedy: string | null;
}

export interface MigInstance {
  name: string;
  uuid: string | null;
  memory_total_bytes: number;
}

export interface MigInfo {
  enabled: boolean;
  pending_enabled: boolean;
  instances: MigInstance[];
}

export interface GpuInfo {
  index: number;
  name: string;
  uuid: string | null;
  pci_bus_id: string | null;
  memory_total_bytes: number;
  memory_total_gib: number;
  compute_capability: string | null;
  power_limit_watts: number | null;
  mig: MigInfo | null;
  nvlink_peers: number[];
}

export interface SystemInfo {
  hostname: string | null;
  os_name: string | null;
  os_version: string | null;
  kernel_version: string | null;
  cpu_model: string;
  cpu_cores: number | null;
  cpu_threads: number;
  memory_total_bytes: number;
  memory_available_bytes: number;
  models_dir: string;
  models_dir_free_bytes: number | null;
  models_dir_total_bytes: number | null;
}

export interface Warning {
  code: string;
  message: string;
}

export interface HardwareReport {
  source: HardwareSource;
  driver: DriverState;
  gpus: GpuInfo[];
  system: SystemInfo;
  warnings: Warning[];
}

export interface GpuProcess {
  pid: number;
  name: string | null;
  used_memory_bytes: number | null;
}

export interface GpuSample {
  index: number;
  utilization_gpu_percent: number | null;
  utilization_memory_percent: number | null;
  memory_used_bytes: number | null;
  memory_free_bytes: number | null;
  temperature_c: number | null;
  power_draw_watts: number | null;
  clock_sm_mhz: number | null;
  clock_memory_mhz: number | null;
  fan_speed_percent: number | null;
  processes: GpuProcess[];
}

export interface Sample {
  timestamp_ms: number;
  gpus: GpuSample[];
  system: { cpu_usage_percent: number | null; memory_available_bytes: number };
}

export interface Settings {
  version: 2;
  models_dir: string | null;
  planned_hardware: string | null;
  /** OpenAI-compatible endpoints outside this app that the gateway routes to. */
  deployments: ExternalDeployment[];
  /** Duo feature key (`duo_chat`) → the name of the deployment that serves it. */
  features: Record<string, string>;
  /** Whether the gateway's request log also keeps prompts and outputs. */
  log_prompts: boolean;
}

/** An endpoint the user added: another vLLM, a hosted service. */
export interface ExternalDeployment {
  name: string;
  /** Base URL ending in `/v1`. */
  endpoint: string;
  served_model: string;
  /** The environment variable that holds its API key where the server runs (never the key). */
  api_key_env?: string | null;
}

/** The error body both transports deliver: `{ code, message, field? }`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string | null;
}

/** A failed API call. `code` is stable and safe to branch on; `message` is for people. */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string | null;

  constructor(body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.field = body.field ?? null;
  }
}

// ---------------------------------------------------------------- models: catalog, recommend, fit

/** How GitLab rates a model for one kind of Duo work. */
export type Rating = 'full' | 'largely' | 'partial' | 'listed' | 'none' | 'not_listed';

/** The four rating columns of GitLab's list of approved models. */
export type RatedAs = 'completion' | 'generation' | 'chat' | 'agent_platform';

export type ReleaseState = 'ga' | 'beta' | 'experimental';

export type Quantization = 'bf16' | 'fp8' | 'awq' | 'gptq' | 'mxfp4';

export interface RatingRange {
  from: string;
  until: string | null;
  release: ReleaseState | null;
  completion: Rating;
  generation: Rating;
  chat: Rating;
  agent_platform: Rating;
}

export interface Deprecation {
  since: string;
  removed_in: string | null;
  /** Catalog id of the model to move to. */
  replacement: string | null;
  note: string;
}

export interface Feature {
  key: string;
  title: string;
  group: string;
  state: string;
  since: string | null;
  rated_as: RatedAs;
  falls_back_to: string | null;
  not_on_premium: boolean;
  families: string[];
}

export interface Variant {
  name: string;
  quantization: Quantization;
  repo: string;
  weight_bytes: number;
  verified: boolean;
  source: string;
}

export interface GgufFile {
  repo: string;
  file: string;
  quant: string;
  bytes: number;
  verified: boolean;
  source: string;
}

export interface Serving {
  min_vllm: string;
  flags: string[];
  tokenizer_is_model_dir: boolean;
  prepare: { copy: string; to: string }[];
  chat_template: string | null;
}

export interface CatalogModel {
  id: string;
  name: string;
  family: string;
  hf_repo: string | null;
  release: ReleaseState;
  deprecation: Deprecation | null;
  gitlab: RatingRange[];
  /** Absent for cloud-only models. */
  arch: { context: number; params: number } | null;
  variants: Variant[];
  gguf: GgufFile[];
  gated: boolean;
  serving: Serving | null;
  cloud: { provider: string; identifier_example: string } | null;
}

export interface FitConstants {
  non_torch_gib: number;
  max_num_batched_tokens: number;
  activation_bytes_per_token_hidden: number;
  min_activation_gib: number;
  cuda_graphs_gib: number;
  kv_bytes: number;
}

export interface CatalogView {
  version: string;
  default_gitlab: string;
  features: Feature[];
  models: CatalogModel[];
  fit_constants: FitConstants;
}

/** Parameters of `recommend`; every field is optional. */
export interface RecommendParams {
  /** Plan for a hardware spec ("2xL40S") instead of this machine. */
  gpus?: string;
  /** Only this Duo feature key. */
  feature?: string;
  context?: number;
  concurrency?: number;
  gitlab?: string;
  gpu_memory_utilization?: number;
  constants?: Partial<FitConstants>;
}

/** Parameters of `fit` (the server takes no `gitlab` or `feature` here). */
export interface FitParams {
  model: string;
  variant?: string;
  gpus?: string;
  context?: number;
  concurrency?: number;
  tensor_parallel_size?: number;
  gpu_memory_utilization?: number;
  constants?: Partial<FitConstants>;
}

/** Memory of each GPU the model runs on; the parts add up to `budget_bytes`. */
export interface MemoryPerGpu {
  total_bytes: number;
  budget_bytes: number;
  weights_bytes: number;
  non_torch_bytes: number;
  activations_bytes: number;
  cuda_graphs_bytes: number;
  /** Negative when weights and overhead alone exceed the budget. */
  kv_cache_bytes: number;
  unreserved_bytes: number;
}

export type SuggestionKind = 'shorter_context' | 'quantized_variant' | 'more_gpus' | 'bigger_gpu';

export interface Suggestion {
  kind: SuggestionKind;
  message: string;
  context?: number;
  variant?: string;
  gpus?: string;
}

export interface VllmPlan {
  tensor_parallel_size: number;
  gpu_memory_utilization: number;
  max_model_len: number;
  max_num_seqs: number;
  args: string[];
  cuda_visible_devices: string;
}

export interface FitResult {
  model: string;
  name: string;
  variant: string;
  quantization: Quantization;
  weight_bytes: number;
  fits: boolean;
  gpus: number[];
  tensor_parallel_size: number;
  nvlink: boolean;
  gpu_memory_utilization: number;
  /** The chosen context when it fits, else the largest that would (0: none). */
  max_model_len: number;
  max_context: number;
  native_context: number;
  concurrency: number;
  memory: MemoryPerGpu | null;
  kv_bytes_per_token: number;
  kv_bytes_per_request: number;
  required_free_bytes: number;
  /** The vLLM settings; null when the model does not fit. */
  vllm: VllmPlan | null;
  explanation: string[];
  suggestions: Suggestion[];
  warnings: string[];
}

export type FitBadge = 'fits' | 'fits_quantized' | 'does_not_fit';

/** The fit of a model's own checkpoint, with what the page needs to judge it. */
export interface ModelAdvice extends FitResult {
  badge: FitBadge;
  /** The best quantized checkpoint that fits, when the own one does not. */
  quantized: FitResult | null;
  family: string;
  hf_repo: string | null;
  release: ReleaseState;
  deprecated: boolean;
  deprecation: Deprecation | null;
  listed: boolean;
  ratings: RatingRange | null;
  min_gpu_memory_gib: number;
  gguf: (GgufFile & { fits_in_memory: boolean | null })[];
}

export interface RankedModel {
  model: string;
  name: string;
  variant: string;
  rating: Rating;
  release: string;
  deprecated: boolean;
  tensor_parallel_size: number;
  max_model_len: number;
  concurrency: number;
}

export interface FeatureAdvice {
  feature: string;
  title: string;
  state: string;
  falls_back_to: string | null;
  ranked: RankedModel[];
  message: string | null;
}

export interface CloudModel {
  model: string;
  name: string;
  family: string;
  identifier_example: string;
}

export interface Recommendation {
  catalog_version: string;
  gitlab_version: string;
  /** Fitting first, best rated first. */
  models: ModelAdvice[];
  features: FeatureAdvice[];
  cloud: CloudModel[];
  /** When nothing fits: the GPU size needed, llama.cpp options. */
  advice: string[];
}

// ---------------------------------------------------------------- engines

export type EngineKind = 'vllm' | 'llama_cpp';

export type EngineState =
  | 'stopped'
  | 'installing'
  | 'downloading'
  | 'starting'
  | 'ready'
  | 'failed'
  | 'backing_off'
  | 'stopping';

/** Parameters of `engine_plan` (catalog models only). */
export interface EnginePlanParams {
  model: string;
  variant?: string;
  gpus?: string;
  context?: number;
  concurrency?: number;
  tensor_parallel_size?: number;
  gpu_memory_utilization?: number;
  name?: string;
  override_memory_estimate?: boolean;
}

/** Parameters of `engine_start`: exactly one of `model` and `gguf`. */
export interface EngineStartParams {
  model?: string;
  variant?: string;
  gguf?: string;
  name?: string;
  context?: number;
  concurrency?: number;
  tensor_parallel_size?: number;
  gpu_memory_utilization?: number;
  gpu_layers?: number;
  model_dir?: string;
  override_memory_estimate?: boolean;
}

export type PrepareStep =
  | { action: 'copy'; from: string; to: string }
  | { action: 'write'; path: string; contents: string };

export interface EnginePlan {
  kind: EngineKind;
  served_name: string;
  program: string;
  args: string[];
  /** Secrets read "<hidden>". */
  env: { name: string; value: string }[];
  working_dir: string;
  prepare: PrepareStep[];
  host: string;
  port: number;
  api_key: string;
}

export interface EnginePlanView {
  plan: EnginePlan;
  /** As a user would type it, the key hidden. */
  command_line: string;
  /** http://127.0.0.1:<port>/v1 */
  base_url: string;
  /** The fit the sizing flags come from; null for a GGUF file. */
  fit: FitResult | null;
  /** What a start checks first. */
  preflight: { checks: PreflightCheck[] };
}

/** One pre-start check: engine installed, weights complete, real GPUs, fit, free memory. */
export interface PreflightCheck {
  item: 'engine' | 'weights' | 'hardware' | 'fit' | 'free_memory';
  outcome: 'pass' | 'warn' | 'fail';
  message: string;
  fix: string | null;
  /** The user may start anyway (memory estimates only). */
  overridable: boolean;
}

export interface EngineFailure {
  kind: string;
  evidence: string;
  fix: string;
  largest?: number;
}

export interface EngineStatus {
  name: string;
  kind: EngineKind;
  state: EngineState;
  pid: number | null;
  base_url: string;
  restarts: number;
  /** When the engine entered its state (server clock). */
  since_ms: number;
  failure: EngineFailure | null;
  /** When a backing-off engine is started again (server clock). */
  next_start_ms: number | null;
  /** The key hidden. */
  command_line: string;
  log_path: string;
  /** Problems of a running engine that do not stop it (e.g. a silent fall-back to the CPU). */
  warnings: string[];
}

// ---------------------------------------------------------------- jobs: installs and downloads

/** Engines the app installs into its own environment. */
export type InstallableEngine = 'vllm' | 'llama_cpp';

export type JobKind = 'install' | 'download';

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

export type InstallPhase =
  | 'pending'
  | 'checking_disk'
  | 'creating_environment'
  | 'updating_pip'
  | 'resolving'
  | 'downloading'
  | 'installing'
  | 'verifying'
  | 'done';

export interface InstallProgress {
  phase: InstallPhase;
  /** The package being fetched or built. */
  package: string | null;
  /** Packages to install, once resolved. */
  packages_total: number | null;
  packages_done: number;
  done_bytes: number;
  /** Null until the index told the packages' sizes. */
  total_bytes: number | null;
  /** The last line pip printed. */
  line: string;
}

export interface DownloadProgress {
  total_bytes: number;
  /** Bytes on disk so far, resumed bytes included. */
  done_bytes: number;
  files_total: number;
  files_done: number;
  /** Files being fetched now. */
  current: string[];
  bytes_per_second: number;
}

/** One install or download, as `jobs` lists it. */
export interface JobStatus {
  /** `install-vllm`, `install-llama_cpp`, `download-<repo>`. */
  id: string;
  kind: JobKind;
  /** The engine, or the repository. */
  target: string;
  state: JobState;
  /** Overall percentage, when known. */
  percent: number | null;
  install: InstallProgress | null;
  download: DownloadProgress | null;
  /** The installed version, or the model folder. */
  result: string | null;
  /** Why it failed (or that it was cancelled), in a shape to branch on. */
  error: JobFailure | null;
  /** When it ended (ms since the epoch). */
  finished_ms: number | null;
}

/** A job's failure: `gated_model` (field `token`), `disk_full`, `hub_unreachable`, `index_unreachable`, … */
export interface JobFailure {
  code: string;
  message: string;
  field?: string;
}

/** Parameters of `engine_install`. */
export interface InstallParams {
  engine: InstallableEngine;
}

/** Parameters of `model_download`. */
export interface DownloadParams {
  /** Catalog id. */
  model: string;
  /** Checkpoint (default: the model's own). */
  variant?: string;
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** Hugging Face token for a gated model; used for this download only. */
  token?: string;
}

// ---------------------------------------------------------------- gateway: routing and API keys

/** One Duo feature as the gateway serves it. */
export interface FeatureRoute {
  /** Feature key, e.g. `duo_chat`. */
  feature: string;
  /** For people, e.g. "General Chat". */
  title: string;
  /** The gateway's model name for it, e.g. `duo-chat`. */
  alias: string;
  /** What to enter in GitLab, e.g. `custom_openai/duo-chat`. */
  gitlab_identifier: string;
  /** The deployment that serves it, if any. */
  target: string | null;
  /** The feature key whose route it borrows, when it has none of its own. */
  via: string | null;
}

/** A place the gateway sends requests: an engine of this app or an external endpoint. */
export interface DeploymentView {
  name: string;
  source: 'engine' | 'external';
  served_model: string;
  endpoint: string;
  /** An engine that is ready, or an external deployment whose last check found it serving. */
  ready: boolean;
  /**
   * What is known: an engine's state, or for an external deployment `unchecked`,
   * `reachable`, `unreachable`, `wrong_key` or `model_missing`.
   */
  status: string;
  /** Why it does not take requests, when it does not. */
  reason: string | null;
  /** When an external deployment was last checked (ms since the epoch). */
  checked_at_ms: number | null;
  /** How long its last check's answer took. */
  latency_ms: number | null;
}

/** `gateway_info`: what to give GitLab, and what the gateway routes to. */
export interface GatewayInfo {
  /** Whether this program runs the gateway. */
  running: boolean;
  /** The address to give GitLab, ending in `/v1`. */
  base_url: string | null;
  /** Where it listens. */
  listen: string | null;
  /** Only this machine can reach it. */
  loopback_only: boolean;
  /** Clients need an API key (once any active key exists). */
  keys_required: boolean;
  features: FeatureRoute[];
  deployments: DeploymentView[];
}

/** A gateway API key, without its secret. Times are unix seconds. */
export interface KeyInfo {
  id: string;
  name: string;
  /** The key's visible start, e.g. `dwk_ab12cd34`. */
  prefix: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** Parameters of `key_create`. */
export interface KeyCreateParams {
  name: string;
  /** Days until it stops working (absent: until revoked). */
  expires_in_days?: number;
}

/** `key_create`'s answer: the only time the secret is ever sent. */
export interface CreatedKey {
  key: KeyInfo;
  secret: string;
}

/**
 * One event of the live stream (`subscribe_events`, `GET /api/events`): the event's name is
 * the kind. A subscriber first gets the current state of each kind, then every change.
 */
export type ServerEvent =
  | { kind: 'sample'; data: Sample }
  | { kind: 'engines'; data: EngineStatus[] }
  | { kind: 'jobs'; data: JobStatus[] }
  | { kind: 'gateway'; data: GatewayInfo };

export type ServerEventKind = ServerEvent['kind'];
