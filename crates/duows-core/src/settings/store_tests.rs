//! The settings store's tests: versions read, fields named, files kept, changes by
//! another program not overwritten.

use super::*;
use crate::settings::{Settings, SettingsError};

fn store() -> (tempfile::TempDir, SettingsStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SettingsStore::new(dir.path().join("settings.json"));
    (dir, store)
}

#[test]
fn older_files_read_as_the_current_version() {
    let (_dir, store) = store();
    std::fs::write(store.path(), r#"{"version":1,"planned_hardware":"2xL40S"}"#).expect("write");
    let settings = store.load().expect("migrated");
    assert_eq!(settings.version, CURRENT_VERSION);
    assert_eq!(settings.planned_hardware.as_deref(), Some("2xL40S"));
    assert!(settings.deployments.is_empty() && settings.features.is_empty());
    std::fs::write(
        store.path(),
        r#"{"version":2,"deployments":[{"name":"gpu-2","endpoint":"http://gpu-2:8000/v1","served_model":"m","api_key_env":"GPU2_KEY"}],"features":{"duo_chat":"gpu-2"}}"#,
    )
    .expect("write");
    let settings = store.load().expect("migrated");
    assert_eq!(settings.version, CURRENT_VERSION);
    let gpu2 = &settings.deployments[0];
    assert_eq!(gpu2.platform, crate::settings::Platform::OpenaiCompatible);
    assert_eq!((gpu2.family, gpu2.api_key_stored), (None, false));
    assert!(settings.disabled_features.is_empty() && !settings.show_beta_features);
    // Version 4 (replicas, no network switch): the gateway stays on this machine.
    std::fs::write(store.path(), r#"{"version":4,"log_prompts":true}"#).expect("write");
    let settings = store.load().expect("migrated");
    assert_eq!(settings.version, CURRENT_VERSION);
    assert!(settings.log_prompts && !settings.gateway_open_to_network);
}

#[test]
fn a_version_3_file_reads_unchanged_and_replicas_round_trip() {
    let (_dir, store) = store();
    let v3 = r#"{"version":3,"deployments":[{"name":"gpu-2","platform":"openai_compatible","endpoint":"http://gpu-2:8000/v1","served_model":"m","family":"MISTRAL","region":null,"api_key_env":null,"api_key_stored":true}],"features":{"duo_chat":"gpu-2"},"disabled_features":["duo_chat_explain_code"],"show_beta_features":true,"log_prompts":true}"#;
    std::fs::write(store.path(), v3).expect("write");
    let settings = store.load().expect("migrated");
    let mut expected: serde_json::Value = serde_json::from_str(v3).expect("JSON");
    expected["version"] = serde_json::json!(CURRENT_VERSION);
    let read = serde_json::to_value(&settings).expect("JSON");
    for field in [
        "deployments",
        "features",
        "disabled_features",
        "show_beta_features",
    ] {
        assert_eq!(read[field], expected[field], "{field}");
    }
    assert!(settings.deployments[0].replicas.is_empty());
    // Saved again with a replica: written as the current version and read back whole.
    let mut with_replica = settings;
    with_replica.deployments[0]
        .replicas
        .push(crate::settings::Replica {
            endpoint: "http://gpu-3:8000/v1".into(),
            api_key_env: Some("GPU3_KEY".into()),
        });
    store.save(&with_replica).expect("save");
    let text = std::fs::read_to_string(store.path()).expect("read");
    assert!(
        text.contains(&format!("\"version\": {CURRENT_VERSION}")) && text.contains("gpu-3"),
        "{text}"
    );
    assert_eq!(store.load().expect("load"), with_replica);
}

#[test]
fn deployments_and_feature_routes_name_the_bad_field() {
    use crate::settings::ExternalDeployment;
    let deployment = |name: &str, endpoint: &str, key: Option<&str>| ExternalDeployment {
        api_key_env: key.map(str::to_owned),
        ..ExternalDeployment::openai(name, endpoint, "m")
    };
    let field_of = |settings: &Settings| match settings.validate() {
        Err(SettingsError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let mut s = Settings {
        deployments: vec![deployment(
            "gpu-2",
            "http://gpu-2:8000/v1",
            Some("GPU2_KEY"),
        )],
        ..Settings::default()
    };
    s.features.insert("duo_chat".into(), "gpu-2".into());
    s.validate().expect("valid");
    s.deployments
        .push(deployment("gpu-2", "https://x.example/v1", None));
    assert_eq!(field_of(&s), "deployments.name");
    s.deployments[1] = deployment("hosted", "ftp://x/v1", None);
    assert_eq!(field_of(&s), "deployments.endpoint");
    s.deployments[1] = deployment("hosted", "https://x.example/api", None);
    assert_eq!(field_of(&s), "deployments.endpoint");
    s.deployments[1] = deployment("hosted", "https://x.example/v1", Some("1BAD"));
    assert_eq!(field_of(&s), "deployments.api_key_env");
    // A key in the address would be stored in clear; another service's secret would be
    // sent to this host.
    s.deployments[1] = deployment("hosted", "https://user:sk-1@x.example/v1", None);
    assert_eq!(field_of(&s), "deployments.endpoint");
    s.deployments[1] = deployment("hosted", "https://x.example/v1?key=sk-1", None);
    assert_eq!(field_of(&s), "deployments.endpoint");
    for secret in [
        "HF_TOKEN",
        "hf_token",
        "DUOWS_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        s.deployments[1] = deployment("hosted", "https://x.example/v1", Some(secret));
        assert_eq!(field_of(&s), "deployments.api_key_env", "{secret}");
    }
    s.deployments[1] = deployment("bad name", "https://x.example/v1", None);
    assert_eq!(field_of(&s), "deployments.name");
    s.deployments.pop();
    s.features.insert("duo_coffee".into(), "gpu-2".into());
    assert_eq!(field_of(&s), "features");
}

#[test]
fn a_missing_file_gives_defaults_without_writing() {
    let (_dir, store) = store();
    assert_eq!(store.load().expect("defaults"), Settings::default());
    assert!(!store.path().exists());
}

#[test]
fn saved_settings_read_back_and_leave_no_temporary_file() {
    let (dir, store) = store();
    let settings = Settings {
        planned_hardware: Some("2xL40S".into()),
        models_dir: Some(dir.path().join("models")),
        ..Settings::default()
    };
    store.save(&settings).expect("save");
    assert_eq!(store.load().expect("load"), settings);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("settings.json")]);
}

#[test]
fn invalid_settings_name_the_field_and_leave_the_file_alone() {
    let (_dir, store) = store();
    store.save(&Settings::default()).expect("save");
    let before = std::fs::read(store.path()).expect("read");
    let bad = Settings {
        planned_hardware: Some("3xBOGUS".into()),
        ..Settings::default()
    };
    let err = store.save(&bad).expect_err("refused");
    assert_eq!(err.field(), Some("planned_hardware"), "{err}");
    let bad = Settings {
        models_dir: Some("relative/path".into()),
        ..Settings::default()
    };
    let err = store.save(&bad).expect_err("refused");
    assert_eq!(err.field(), Some("models_dir"), "{err}");
    assert_eq!(std::fs::read(store.path()).expect("read"), before);
}

#[test]
fn an_unreadable_file_is_kept_as_a_backup_and_reported() {
    let (dir, store) = store();
    std::fs::write(store.path(), "{ not json").expect("write");
    let err = store.load().expect_err("reported");
    let SettingsError::Unreadable { backup, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(
        std::fs::read_to_string(&backup).expect("backup"),
        "{ not json"
    );
    // The original is untouched too.
    assert_eq!(
        std::fs::read_to_string(store.path()).expect("orig"),
        "{ not json"
    );
    assert!(backup.starts_with(dir.path()));
}

#[test]
fn unknown_fields_and_newer_versions_are_refused() {
    let (_dir, store) = store();
    std::fs::write(store.path(), r#"{"version":3,"colour":"red"}"#).expect("write");
    assert!(matches!(
        store.load(),
        Err(SettingsError::Unreadable { .. })
    ));
    std::fs::write(store.path(), r#"{"version":9}"#).expect("write");
    assert!(matches!(
        store.load(),
        Err(SettingsError::TooNew { found: 9, .. })
    ));
}

#[test]
fn a_change_by_another_program_is_not_overwritten() {
    let (_dir, mine) = store();
    let theirs = SettingsStore::new(mine.path());
    mine.load().expect("defaults");
    theirs.load().expect("defaults");
    let their_change = Settings {
        planned_hardware: Some("2xL40S".into()),
        ..Settings::default()
    };
    theirs.save(&their_change).expect("they save first");
    let my_change = Settings {
        planned_hardware: Some("1xL4".into()),
        ..Settings::default()
    };
    let err = mine.save(&my_change).expect_err("conflict");
    assert!(
        matches!(err, SettingsError::ChangedElsewhere { .. }),
        "{err}"
    );
    assert_eq!(
        mine.load().expect("reload"),
        their_change,
        "their change survives"
    );
    mine.save(&my_change).expect("after a reload, saving works");
    assert_eq!(theirs.load().expect("reload"), my_change);
}

#[test]
fn a_broken_file_is_backed_up_once_and_may_then_be_replaced() {
    let (dir, store) = store();
    std::fs::write(store.path(), "{ not json").expect("write");
    assert!(store.load().is_err());
    assert!(store.load().is_err());
    let backups = std::fs::read_dir(dir.path())
        .expect("list")
        .filter(|e| {
            let name = e.as_ref().expect("entry").file_name();
            name.to_string_lossy().contains("unreadable")
        })
        .count();
    assert_eq!(backups, 1, "the same broken content is kept once");
    store
        .save(&Settings::default())
        .expect("a backup exists, so saving is allowed");
    assert_eq!(store.load().expect("load"), Settings::default());
}
