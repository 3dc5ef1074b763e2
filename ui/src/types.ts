// The control API's data shapes. They are made from the Rust types (`ui/src/generated/`,
// one file per type, checked by `cargo test -p duows-api --test ui_types`; never edit them):
// this module re-exports them, under the UI's names where those differ, adds the narrower
// names the UI uses for a few plain strings, and defines the one error class both transports
// throw.

export type { AiGatewaySetupParams } from './generated/AiGatewaySetupParams';
export type { AiGatewayStatus } from './generated/AiGatewayStatus';
export type { AigwConfig } from './generated/AigwConfig';
export type { ContainerState } from './generated/ContainerState';
export type { GeneratedFiles } from './generated/GeneratedFiles';
export type { HealthView } from './generated/HealthView';
export type { Placement } from './generated/Placement';
export type { ApiShape } from './generated/ApiShape';
export type { ApplyReport } from './generated/ApplyReport';
export type { Architecture } from './generated/Architecture';
export type { Badge } from './generated/Badge';
export type { CatalogView } from './generated/CatalogView';
export type { CheckItem } from './generated/CheckItem';
export type { CheckOutcome } from './generated/CheckOutcome';
export type { Cloud } from './generated/Cloud';
export type { CloudOption } from './generated/CloudOption';
export type { ConnectionCheck } from './generated/ConnectionCheck';
export type { CreatedKey } from './generated/CreatedKey';
export type { DeploymentCheck } from './generated/DeploymentCheck';
export type { DeploymentRef } from './generated/DeploymentRef';
export type { DeploymentKeyParams } from './generated/DeploymentKeyParams';
export type { FeaturesRatedParams } from './generated/FeaturesRatedParams';
export type { RatedAssignment } from './generated/RatedAssignment';
export type { Platform } from './generated/Platform';
export type { SecretStoreInfo } from './generated/SecretStoreInfo';
export type { CheckStatus } from './generated/CheckStatus';
export type { DoctorLine } from './generated/DoctorLine';
export type { DoctorReport } from './generated/DoctorReport';
export type { ConfigExport } from './generated/ConfigExport';
export type { ConfigImportParams } from './generated/ConfigImportParams';
export type { DeploymentView } from './generated/DeploymentView';
export type { Deprecation } from './generated/Deprecation';
export type { DescribeRequest } from './generated/DescribeRequest';
export type { DownloadParams } from './generated/DownloadParams';
export type { DownloadProgress } from './generated/DownloadProgress';
export type { DriverState } from './generated/DriverState';
export type { DriverStatus } from './generated/DriverStatus';
export type { AliasTraffic } from './generated/AliasTraffic';
export type { DashboardView } from './generated/DashboardView';
export type { EngineServing } from './generated/EngineServing';
export type { EngineUse } from './generated/EngineUse';
export type { GatewayTraffic } from './generated/GatewayTraffic';
export type { GpuProcesses } from './generated/GpuProcesses';
export type { LogLine } from './generated/LogLine';
export type { LogSearch } from './generated/LogSearch';
export type { LogSource } from './generated/LogSource';
export type { LogsParams } from './generated/LogsParams';
export type { PlannedMemory } from './generated/PlannedMemory';
export type { ProcessUse } from './generated/ProcessUse';
export type { ServingFigures } from './generated/ServingFigures';
export type { EngineKind } from './generated/EngineKind';
export type { EngineParams } from './generated/EngineParams';
export type { EnginePlanView } from './generated/EnginePlanView';
export type { EngineState } from './generated/EngineState';
export type { EngineStatus } from './generated/EngineStatus';
export type { EnvValue } from './generated/EnvValue';
export type { EnvVar } from './generated/EnvVar';
export type { ErrorCode } from './generated/ErrorCode';
export type { ExternalDeployment } from './generated/ExternalDeployment';
export type { Failure } from './generated/Failure';
export type { Family } from './generated/Family';
export type { Feature } from './generated/Feature';
export type { FeatureAction } from './generated/FeatureAction';
export type { FeatureRanking } from './generated/FeatureRanking';
export type { FeatureRoute } from './generated/FeatureRoute';
export type { FitConstants } from './generated/FitConstants';
export type { FitParams } from './generated/FitParams';
export type { FitResult } from './generated/FitResult';
export type { GatewayInfo } from './generated/GatewayInfo';
export type { GatewayNetworkParams } from './generated/GatewayNetworkParams';
export type { Remedy } from './generated/Remedy';
export type { RemedyChange } from './generated/RemedyChange';
export type { GgufFile } from './generated/GgufFile';
export type { GgufOption } from './generated/GgufOption';
export type { GitlabParams } from './generated/GitlabParams';
export type { GitlabStepsParams } from './generated/GitlabStepsParams';
export type { GitlabVersion } from './generated/GitlabVersion';
export type { GpuInfo } from './generated/GpuInfo';
export type { GpuProcess } from './generated/GpuProcess';
export type { GpuSample } from './generated/GpuSample';
export type { HardwareReport } from './generated/HardwareReport';
export type { HardwareSource } from './generated/HardwareSource';
export type { InstallParams } from './generated/InstallParams';
export type { InstallPhase } from './generated/InstallPhase';
export type { InstallProgress } from './generated/InstallProgress';
export type { JobFailure } from './generated/JobFailure';
export type { JobKind } from './generated/JobKind';
export type { JobRef } from './generated/JobRef';
export type { JobState } from './generated/JobState';
export type { JobStatus } from './generated/JobStatus';
export type { KeyCreateParams } from './generated/KeyCreateParams';
export type { KeyInfo } from './generated/KeyInfo';
export type { KeyRevokeParams } from './generated/KeyRevokeParams';
export type { LaunchPlan } from './generated/LaunchPlan';
export type { ManualField } from './generated/ManualField';
export type { ManualStep } from './generated/ManualStep';
export type { ManualSteps } from './generated/ManualSteps';
export type { MemoryPerGpu } from './generated/MemoryPerGpu';
export type { MigInfo } from './generated/MigInfo';
export type { MigInstance } from './generated/MigInstance';
export type { Model } from './generated/Model';
export type { ModelAction } from './generated/ModelAction';
export type { ModelAdvice } from './generated/ModelAdvice';
export type { Moe } from './generated/Moe';
export type { PipelineSplit } from './generated/PipelineSplit';
export type { PipelineStage } from './generated/PipelineStage';
export type { Plan } from './generated/Plan';
export type { PlannedDuoSettings } from './generated/PlannedDuoSettings';
export type { PlannedFeature } from './generated/PlannedFeature';
export type { PlannedModel } from './generated/PlannedModel';
export type { Preflight } from './generated/Preflight';
export type { PreflightCheck } from './generated/PreflightCheck';
export type { PrepareStep } from './generated/PrepareStep';
export type { Quantization } from './generated/Quantization';
export type { RankedModel } from './generated/RankedModel';
export type { RatedAs } from './generated/RatedAs';
export type { Reachability } from './generated/Reachability';
export type { Rating } from './generated/Rating';
export type { RatingRange } from './generated/RatingRange';
export type { RecommendParams } from './generated/RecommendParams';
export type { Recommendation } from './generated/Recommendation';
export type { ReleaseState } from './generated/ReleaseState';
export type { Sample } from './generated/Sample';
export type { Secret } from './generated/Secret';
export type { ServerEvent } from './generated/ServerEvent';
export type { Serving } from './generated/Serving';
export type { ServingPrepareStep } from './generated/ServingPrepareStep';
export type { Settings } from './generated/Settings';
export type { SetupCheck } from './generated/SetupCheck';
export type { SetupChoices } from './generated/SetupChoices';
export type { SetupDownload } from './generated/SetupDownload';
export type { SetupEngine } from './generated/SetupEngine';
export type { SetupFacts } from './generated/SetupFacts';
export type { SetupPath } from './generated/SetupPath';
export type { SetupProgress } from './generated/SetupProgress';
export type { SetupStatus } from './generated/SetupStatus';
export type { SetupStep } from './generated/SetupStep';
export type { SetupTest } from './generated/SetupTest';
export type { SetupUpdateParams } from './generated/SetupUpdateParams';
export type { StepId } from './generated/StepId';
export type { StepState } from './generated/StepState';
export type { GitlabOutcome } from './generated/GitlabOutcome';
export type { SlidingWindow } from './generated/SlidingWindow';
export type { Suggestion } from './generated/Suggestion';
export type { SystemInfo } from './generated/SystemInfo';
export type { SystemLiveSample } from './generated/SystemLiveSample';
export type { Variant } from './generated/Variant';
export type { VersionInfo } from './generated/VersionInfo';
export type { VllmSettings } from './generated/VllmSettings';
export type { Warning } from './generated/Warning';
export type { Replica } from './generated/Replica';
export type { ReplicaTraffic } from './generated/ReplicaTraffic';
export type { ApiError as ApiErrorWire } from './generated/ApiError';
export type { ClusterJoinParams } from './generated/ClusterJoinParams';
export type { ClusterRemoveParams } from './generated/ClusterRemoveParams';
export type { ClusterRole } from './generated/ClusterRole';
export type { ClusterStartRequest } from './generated/ClusterStartRequest';
export type { ClusterView } from './generated/ClusterView';
export type { Heartbeat } from './generated/Heartbeat';
export type { HeartbeatAnswer } from './generated/HeartbeatAnswer';
export type { IssuedToken } from './generated/IssuedToken';
export type { JoinRequest } from './generated/JoinRequest';
export type { Joined } from './generated/Joined';
export type { NodeGpu } from './generated/NodeGpu';
export type { NodeState } from './generated/NodeState';
export type { NodeView } from './generated/NodeView';
export type { RayAssignment } from './generated/RayAssignment';
export type { RayClusterState } from './generated/RayClusterState';
export type { RayClusterStatus } from './generated/RayClusterStatus';
export type { RayNodeState } from './generated/RayNodeState';

import type { Badge } from './generated/Badge';
import type { CloudOption } from './generated/CloudOption';
import type { EngineParams } from './generated/EngineParams';
import type { Failure } from './generated/Failure';
import type { FeatureRanking } from './generated/FeatureRanking';
import type { LaunchPlan } from './generated/LaunchPlan';
import type { Model } from './generated/Model';
import type { VllmSettings } from './generated/VllmSettings';
import type { ServerEvent } from './generated/ServerEvent';

export type CatalogModel = Model;
export type EnginePlan = LaunchPlan;
export type VllmPlan = VllmSettings;
export type EngineFailure = Failure;
export type FitBadge = Badge;
export type FeatureAdvice = FeatureRanking;
export type CloudModel = CloudOption;
export type EnginePlanParams = EngineParams;
export type EngineStartParams = EngineParams;

/** What `Suggestion.kind` says. */
export type SuggestionKind = 'shorter_context' | 'quantized_variant' | 'more_gpus' | 'bigger_gpu' | 'more_nodes';
/** The engines `engine_install` takes (`InstallParams.engine`). */
export type InstallableEngine = 'vllm' | 'llama_cpp';
/** The kinds of the live stream's events. */
export type ServerEventKind = ServerEvent['kind'];

/**
 * The error body both transports deliver, `{ code, message, field? }`; `code` is one of the
 * server's `ErrorCode`s, or one the transport makes (`unreachable`, `http_<status>`).
 */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string | null;
  fix?: string | null;
}

/** A failed API call. `code` is stable and safe to branch on; `message` is for people;
 * `fix` is the corrected value of `field`, when it is plain. */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string | null;
  readonly fix: string | null;

  constructor(body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.field = body.field ?? null;
    this.fix = body.fix ?? null;
  }
}
