//! The key store against a real file: create, verify and revoke; only hashes on disk; input
//! checks; damaged or newer files kept; changes by another process seen.

use std::fs;

use duows_base::clock::now_secs;

use super::*;

fn store() -> (tempfile::TempDir, KeyStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = KeyStore::open(dir.path().join("keys.json")).expect("open");
    (dir, store)
}

#[test]
fn create_verify_revoke() {
    let (_dir, store) = store();
    assert!(!store.has_active_keys());
    let (info, key) = store.create("laptop", None).expect("create");
    assert!(key.expose().starts_with(&info.prefix));
    assert!(store.has_active_keys());
    assert_eq!(store.verify(key.expose()), Some(info.clone()));
    let mut wrong = key.expose().to_owned();
    let last = if wrong.ends_with('A') { "B" } else { "A" };
    wrong.replace_range(wrong.len() - 1.., last);
    assert_eq!(store.verify(&wrong), None);
    assert_eq!(store.verify("nonsense"), None);
    let revoked = store.revoke("laptop").expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.check(key.expose()), KeyCheck::Revoked);
    assert!(!store.has_active_keys());
    assert_eq!(store.list().expect("list").len(), 1);
    // The name is free again once revoked.
    store.create("laptop", None).expect("reuse name");
}

#[test]
fn a_removed_key_stops_working_and_leaves_no_entry() {
    let (_dir, store) = store();
    let (kept, _) = store.create("gitlab", None).expect("create");
    let (once, key) = store
        .create("doctor", Some(now_secs() + 3600))
        .expect("create");
    assert_eq!(store.verify(key.expose()), Some(once.clone()));
    store.remove(&once.id).expect("remove");
    assert_eq!(store.verify(key.expose()), None);
    let listed = store.list().expect("list");
    assert_eq!(listed, vec![kept], "only the other key is left");
    assert!(matches!(
        store.remove(&once.id),
        Err(KeyError::NotFound { .. })
    ));
}

#[test]
fn file_holds_hashes_only_and_is_private() {
    let (_dir, store) = store();
    let (_, key) = store.create("ci", Some(now_secs() + 3600)).expect("create");
    let text = fs::read_to_string(store.path()).expect("file");
    assert!(!text.contains(key.expose()));
    assert!(!text.contains(&key.expose()[13..]), "secret part absent");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["keys"][0]["hash"].as_str().map(str::len), Some(64));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(store.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let json = serde_json::to_string(&store.list().expect("list")).expect("serialise");
    assert!(!json.contains("hash"));
}

#[test]
fn inputs_are_checked_and_errors_name_the_field() {
    let (_dir, store) = store();
    for bad in ["", " lead", "a/b", "ä", &"x".repeat(65)] {
        let e = store.create(bad, None).expect_err(bad);
        assert_eq!(e.field(), Some("name"), "{bad}");
    }
    let e = store.create("ok", Some(1)).expect_err("past expiry");
    assert_eq!(e.field(), Some("expires_at"));
    store.create("ok name_1.x-y", None).expect("valid name");
    let e = store.create("ok name_1.x-y", None).expect_err("duplicate");
    assert!(matches!(e, KeyError::NameTaken { .. }));
    let e = store.revoke("missing").expect_err("unknown");
    assert_eq!(e.field(), Some("key"));
}

#[test]
fn damaged_or_newer_files_are_reported_not_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    fs::write(&path, "{ not json").expect("write");
    assert!(matches!(
        KeyStore::open(path.clone()),
        Err(KeyError::Corrupt { .. })
    ));
    fs::write(&path, r#"{"version":9,"keys":[]}"#).expect("write");
    assert!(matches!(
        KeyStore::open(path.clone()),
        Err(KeyError::TooNew { version: 9, .. })
    ));
    assert_eq!(
        fs::read_to_string(&path).expect("kept"),
        r#"{"version":9,"keys":[]}"#
    );
}

#[test]
fn another_process_changes_are_seen() {
    let (dir, server) = store();
    let cli = KeyStore::open(dir.path().join("keys.json")).expect("open");
    let (_, key) = cli.create("new", None).expect("create");
    // Unknown keys force a look at the file.
    assert!(server.verify(key.expose()).is_some());
    cli.revoke("new").expect("revoke");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(server.check(key.expose()), KeyCheck::Revoked);
    // A damaged file fails closed.
    let (_, key2) = cli.create("other", None).expect("create");
    assert!(server.verify(key2.expose()).is_some());
    fs::write(server.path(), "garbage").expect("damage");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(server.verify(key2.expose()).is_none());
    assert!(server.has_active_keys());
}
