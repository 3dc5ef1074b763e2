//! The secret store against a real desktop secret service (GNOME Keyring over D-Bus), which the
//! README's test command starts for this test in a private D-Bus session
//! (`scripts/secret-service-test.sh`). Without `DUOWS_SECRET_SERVICE_TEST=1` (no such session)
//! the test says so and checks only that the store falls back to the file.

use duows_base::Secret;
use duows_core::data_dir::DataDir;
use duows_core::secrets::{SecretHolder, SecretName, SecretStore};

#[test]
fn secrets_go_to_the_desktop_secret_service_when_one_answers() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = DataDir::at(dir.path());
    let wanted = std::env::var("DUOWS_SECRET_SERVICE_TEST").is_ok_and(|v| v == "1");
    if !wanted {
        eprintln!("no secret service session for this test: DUOWS_SECRET_SERVICE_TEST is not 1");
        let store = SecretStore::file_only(data_dir.secrets_file());
        assert_eq!(store.info().holder, SecretHolder::File);
        return;
    }
    // A key kept in the file before the secret service came is still found.
    let name = SecretName::DeploymentKey(format!("gpu-{}", std::process::id()));
    SecretStore::file_only(data_dir.secrets_file())
        .set(&name, &Secret::new("sk-from-the-file"))
        .expect("file set");

    let store = SecretStore::open(&data_dir);
    assert_eq!(
        store.info().holder,
        SecretHolder::SecretService,
        "{:?}",
        store.info()
    );
    assert!(store.info().description.contains("secret service"));
    assert_eq!(
        store.get(&name).expect("get"),
        Some(Secret::new("sk-from-the-file"))
    );

    // Kept in the secret service, and taken out of the file.
    store
        .set(&name, &Secret::new("sk-in-the-keyring"))
        .expect("set");
    assert_eq!(
        store.get(&name).expect("get"),
        Some(Secret::new("sk-in-the-keyring"))
    );
    let file = std::fs::read_to_string(data_dir.secrets_file()).expect("file");
    assert!(!file.contains("sk-"), "{file}");

    // Another store (another program) reads it from the secret service.
    let other = SecretStore::open(&data_dir);
    assert_eq!(
        other.get(&name).expect("get"),
        Some(Secret::new("sk-in-the-keyring"))
    );
    store.remove(&name).expect("remove");
    assert_eq!(other.get(&name).expect("get"), None);
    store.remove(&name).expect("removing twice is fine");
}
