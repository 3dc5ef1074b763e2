// Every command the UI calls: its arguments and what it returns (docs/api-contract.md).
// How each is sent over HTTP is in the command table (`contract.ts`); `COMMAND_NAMES`
// lists them once at run time, and the type checker keeps that list complete.

import type {
  ClusterJoinParams,
  ClusterRemoveParams,
  ClusterStartRequest,
  ClusterView,
  Heartbeat,
  HeartbeatAnswer,
  IssuedToken,
  JoinRequest,
  Joined,
  NodeView,
  RayClusterStatus,
  AiGatewaySetupParams,
  AiGatewayStatus,
  CatalogView,
  DashboardView,
  ConfigExport,
  ConfigImportParams,
  DeploymentCheck,
  DeploymentKeyParams,
  DeploymentRef,
  FeaturesRatedParams,
  RatedAssignment,
  CreatedKey,
  DownloadParams,
  EnginePlanParams,
  EnginePlanView,
  EngineStartParams,
  EngineStatus,
  FitParams,
  FitResult,
  DoctorReport,
  GatewayInfo,
  GatewayNetworkParams,
  ApplyReport,
  GitlabParams,
  GitlabStepsParams,
  ManualSteps,
  Plan,
  GeneratedFiles,
  HardwareReport,
  InstallParams,
  JobStatus,
  KeyCreateParams,
  KeyInfo,
  LogSearch,
  LogsParams,
  Recommendation,
  RecommendParams,
  Sample,
  Settings,
  SetupCheck,
  SetupStatus,
  SetupTest,
  SetupUpdateParams,
  VersionInfo,
} from './types';

/** Every command: its arguments and what it returns (docs/api-contract.md). */
export interface Commands {
  version: { args: undefined; result: VersionInfo };
  hardware: { args: undefined; result: HardwareReport };
  describe_hardware: { args: { spec: string }; result: HardwareReport };
  latest_sample: { args: undefined; result: Sample };
  sample_history: { args: { minutes?: number; points?: number }; result: Sample[] };
  dashboard: { args: { minutes?: number }; result: DashboardView };
  logs: { args: { params: LogsParams }; result: LogSearch };
  settings: { args: undefined; result: Settings };
  update_settings: { args: { settings: Settings }; result: Settings };
  catalog: { args: undefined; result: CatalogView };
  recommend: { args: { params: RecommendParams }; result: Recommendation };
  fit: { args: { params: FitParams }; result: FitResult };
  engine_plan: { args: { params: EnginePlanParams }; result: EnginePlanView };
  engine_start: { args: { params: EngineStartParams }; result: EngineStatus };
  engine_status: { args: undefined; result: EngineStatus[] };
  engine_stop: { args: { name: string }; result: EngineStatus };
  engine_retry: { args: { name: string }; result: EngineStatus };
  engine_apply_remedy: { args: { name: string }; result: EngineStatus };
  engine_remove: { args: { name: string }; result: EngineStatus };
  engine_logs: { args: { name: string; lines?: number }; result: string[] };
  engine_install: { args: { params: InstallParams }; result: JobStatus };
  model_download: { args: { params: DownloadParams }; result: JobStatus };
  jobs: { args: undefined; result: JobStatus[] };
  job_cancel: { args: { id: string }; result: JobStatus };
  gateway_info: { args: undefined; result: GatewayInfo };
  gateway_network: { args: { params: GatewayNetworkParams }; result: GatewayInfo };
  doctor: { args: undefined; result: DoctorReport };
  config_export: { args: undefined; result: ConfigExport };
  config_import: { args: { params: ConfigImportParams }; result: ConfigExport };
  ai_gateway_status: { args: undefined; result: AiGatewayStatus };
  ai_gateway_setup: { args: { params: AiGatewaySetupParams }; result: GeneratedFiles };
  ai_gateway_start: { args: undefined; result: AiGatewayStatus };
  ai_gateway_stop: { args: undefined; result: AiGatewayStatus };
  deployment_test: { args: { params: DeploymentRef }; result: DeploymentCheck };
  deployment_key: { args: { params: DeploymentKeyParams }; result: Settings };
  features_rated: { args: { params: FeaturesRatedParams }; result: RatedAssignment };
  keys: { args: undefined; result: KeyInfo[] };
  key_create: { args: { params: KeyCreateParams }; result: CreatedKey };
  key_revoke: { args: { params: { id: string } }; result: KeyInfo };
  gitlab_plan: { args: { params: GitlabParams }; result: Plan };
  gitlab_apply: { args: { params: GitlabParams }; result: ApplyReport };
  gitlab_steps: { args: { params: GitlabStepsParams }; result: ManualSteps };
  setup_status: { args: undefined; result: SetupStatus };
  setup_update: { args: { params: SetupUpdateParams }; result: SetupStatus };
  setup_check: { args: undefined; result: SetupCheck };
  setup_test: { args: undefined; result: SetupTest };
  cluster_token: { args: undefined; result: IssuedToken };
  cluster_admit: { args: { params: JoinRequest }; result: Joined };
  cluster_heartbeat: { args: { params: Heartbeat }; result: HeartbeatAnswer };
  cluster_nodes: { args: undefined; result: ClusterView };
  cluster_remove: { args: { params: ClusterRemoveParams }; result: NodeView };
  cluster_join: { args: { params: ClusterJoinParams }; result: ClusterView };
  cluster_start: { args: { params: ClusterStartRequest }; result: RayClusterStatus };
  cluster_stop: { args: undefined; result: RayClusterStatus };
}
export type Command = keyof Commands;

/** The commands the UI calls, each once: the type checker keeps this list complete. */
export const COMMAND_NAMES = {
  version: true,
  hardware: true,
  describe_hardware: true,
  latest_sample: true,
  sample_history: true,
  dashboard: true,
  logs: true,
  settings: true,
  update_settings: true,
  catalog: true,
  recommend: true,
  fit: true,
  engine_plan: true,
  engine_start: true,
  engine_status: true,
  engine_stop: true,
  engine_retry: true,
  engine_apply_remedy: true,
  engine_remove: true,
  engine_logs: true,
  engine_install: true,
  model_download: true,
  jobs: true,
  job_cancel: true,
  gateway_info: true,
  gateway_network: true,
  doctor: true,
  config_export: true,
  config_import: true,
  ai_gateway_status: true,
  ai_gateway_setup: true,
  ai_gateway_start: true,
  ai_gateway_stop: true,
  deployment_test: true,
  deployment_key: true,
  features_rated: true,
  keys: true,
  key_create: true,
  key_revoke: true,
  gitlab_plan: true,
  gitlab_apply: true,
  gitlab_steps: true,
  setup_status: true,
  setup_update: true,
  setup_check: true,
  setup_test: true,
  cluster_token: true,
  cluster_admit: true,
  cluster_heartbeat: true,
  cluster_nodes: true,
  cluster_remove: true,
  cluster_join: true,
  cluster_start: true,
  cluster_stop: true,
} as const satisfies Record<Command, true>;
