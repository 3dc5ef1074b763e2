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
  version: 1;
  models_dir: string | null;
  planned_hardware: string | null;
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
