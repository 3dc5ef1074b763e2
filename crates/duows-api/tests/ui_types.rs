//! The UI's TypeScript types in `ui/src/generated/` are made from the Rust types that
//! cross the API (what the commands take and return, the event stream, the error), one
//! file per type. This test makes them again and fails when a checked-in file differs,
//! is missing, or is left over from a type that no longer exists; with
//! `DUOWS_WRITE_UI_TYPES=1` it writes them instead.
//!
//! 64-bit integers are bytes and milliseconds, far below 2^53: they are `number`.

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use duows_api::calls::{
    AiGatewaySetupParams, AiGatewayStatus, CatalogView, ConfigExport, ConfigImportParams,
    CreatedKey, DashboardView, DeploymentKeyParams, DeploymentRef, DescribeRequest, DownloadParams,
    EngineParams, EnginePlanView, FeaturesRatedParams, FitParams, GatewayInfo,
    GatewayNetworkParams, GitlabParams, GitlabStepsParams, InstallParams, JobRef, JobStatus,
    KeyCreateParams, KeyRevokeParams, LogsParams, RatedAssignment, RecommendParams, SetupCheck,
    SetupStatus, SetupTest, SetupUpdateParams, VersionInfo,
};
use duows_api::events::ServerEvent;
use duows_api::{ApiError, ErrorCode};
use duows_core::deployment_check::DeploymentCheck;
use duows_core::doctor::DoctorReport;
use duows_core::engine::EngineStatus;
use duows_core::fit::{FitResult, Recommendation};
use duows_core::gitlab::{ApplyReport, ManualSteps, Plan};
use duows_core::hardware::HardwareReport;
use duows_core::sampler::Sample;
use duows_core::settings::Settings;
use duows_gateway::KeyInfo;
use ts_rs::{Config, TypeVisitor, TS};

const WRITE_VAR: &str = "DUOWS_WRITE_UI_TYPES";
const REGENERATE: &str = "DUOWS_WRITE_UI_TYPES=1 cargo test -p duows-api --test ui_types";

/// The folder of the generated files, relative to the workspace root.
const GENERATED: &str = "ui/src/generated";

/// A generated file: the type it declares and its text.
struct Binding {
    /// The TypeScript name and the Rust type it is made from.
    type_names: String,
    text: String,
}

/// Every file, by file name, for the API's types and all they contain.
fn bindings(dir: &Path) -> BTreeMap<String, Binding> {
    let mut visit = Collect {
        cfg: Config::new().with_large_int("number").with_out_dir(dir),
        files: BTreeMap::new(),
        owners: HashMap::new(),
    };
    // What the commands take (contract/commands.json).
    visit.visit::<DescribeRequest>();
    visit.visit::<RecommendParams>();
    visit.visit::<FitParams>();
    visit.visit::<EngineParams>();
    visit.visit::<InstallParams>();
    visit.visit::<DownloadParams>();
    visit.visit::<JobRef>();
    visit.visit::<KeyCreateParams>();
    visit.visit::<KeyRevokeParams>();
    visit.visit::<DeploymentRef>();
    visit.visit::<DeploymentKeyParams>();
    visit.visit::<FeaturesRatedParams>();
    visit.visit::<RatedAssignment>();
    visit.visit::<GitlabParams>();
    visit.visit::<GitlabStepsParams>();
    visit.visit::<LogsParams>();
    visit.visit::<SetupUpdateParams>();
    // What they return, and the event stream.
    visit.visit::<VersionInfo>();
    visit.visit::<HardwareReport>();
    visit.visit::<Sample>();
    visit.visit::<Settings>();
    visit.visit::<CatalogView>();
    visit.visit::<Recommendation>();
    visit.visit::<FitResult>();
    visit.visit::<EnginePlanView>();
    visit.visit::<EngineStatus>();
    visit.visit::<JobStatus>();
    visit.visit::<GatewayInfo>();
    visit.visit::<GatewayNetworkParams>();
    visit.visit::<DeploymentCheck>();
    visit.visit::<DoctorReport>();
    visit.visit::<SetupStatus>();
    visit.visit::<SetupCheck>();
    visit.visit::<SetupTest>();
    visit.visit::<ConfigExport>();
    visit.visit::<ConfigImportParams>();
    visit.visit::<AiGatewayStatus>();
    visit.visit::<AiGatewaySetupParams>();
    visit.visit::<duows_core::aigw::GeneratedFiles>();
    visit.visit::<KeyInfo>();
    visit.visit::<CreatedKey>();
    visit.visit::<Plan>();
    visit.visit::<ApplyReport>();
    visit.visit::<ManualSteps>();
    visit.visit::<DashboardView>();
    visit.visit::<duows_core::log_search::LogSearch>();
    visit.visit::<ServerEvent>();
    // The cluster.
    visit.visit::<duows_api::calls::ClusterJoinParams>();
    visit.visit::<duows_api::calls::ClusterRemoveParams>();
    visit.visit::<duows_api::calls::ClusterView>();
    visit.visit::<duows_core::cluster::ClusterStartRequest>();
    visit.visit::<duows_core::cluster::IssuedToken>();
    visit.visit::<duows_core::cluster::JoinRequest>();
    visit.visit::<duows_core::cluster::Joined>();
    visit.visit::<duows_core::cluster::Heartbeat>();
    visit.visit::<duows_core::cluster::HeartbeatAnswer>();
    // Every error.
    visit.visit::<ApiError>();
    visit.visit::<ErrorCode>();
    visit.files
}

/// Collects a type's file, then those of the types it refers to.
struct Collect {
    cfg: Config,
    files: BTreeMap<String, Binding>,
    owners: HashMap<String, (TypeId, &'static str)>,
}

impl TypeVisitor for Collect {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let Some(path) = T::output_path() else {
            return; // a primitive or a type written inline
        };
        let file = path.to_string_lossy().into_owned();
        let rust_name = std::any::type_name::<T>();
        if let Some((owner, owner_name)) = self.owners.get(&file) {
            assert!(
                *owner == TypeId::of::<T>(),
                "{owner_name} and {rust_name} both export {file}: give one a #[ts(rename)]"
            );
            return;
        }
        self.owners
            .insert(file.clone(), (TypeId::of::<T>(), rust_name));
        let text = T::export_to_string(&self.cfg)
            .unwrap_or_else(|e| panic!("cannot make the binding of {rust_name}: {e}"));
        let type_names = format!("{} ({rust_name})", T::ident(&self.cfg));
        self.files.insert(file, Binding { type_names, text });
        T::visit_dependencies(self);
    }
}

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(GENERATED)
}

/// The files now in the folder, by name.
fn checked_in(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| entry.expect("a readable folder entry").path())
        .map(|path| {
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (name, text)
        })
        .collect()
}

#[test]
fn ui_types_match_the_rust_types() {
    let dir = generated_dir();
    let wanted = bindings(&dir);
    let present = checked_in(&dir);

    if std::env::var(WRITE_VAR).is_ok_and(|v| v == "1") {
        fs::create_dir_all(&dir).expect("create the generated folder");
        for (name, binding) in &wanted {
            if present.get(name) != Some(&binding.text) {
                fs::write(dir.join(name), &binding.text).expect("write a generated file");
            }
        }
        for name in present.keys().filter(|name| !wanted.contains_key(*name)) {
            fs::remove_file(dir.join(name)).expect("remove a stale generated file");
        }
        return;
    }

    let mut problems = Vec::new();
    for (name, binding) in &wanted {
        let type_names = &binding.type_names;
        match present.get(name) {
            None => problems.push(format!("{type_names}: {GENERATED}/{name} is missing")),
            Some(found) if *found != binding.text => {
                problems.push(format!("{type_names}: {GENERATED}/{name} differs"));
            }
            Some(_) => {}
        }
    }
    for name in present.keys().filter(|name| !wanted.contains_key(*name)) {
        problems.push(format!("{GENERATED}/{name} is stale: no type makes it"));
    }
    assert!(
        problems.is_empty(),
        "the UI's generated types are out of date with the Rust types:\n  {}\n\
         Regenerate them from the workspace root with:\n  {REGENERATE}\n\
         and commit {GENERATED}/.",
        problems.join("\n  ")
    );
}
