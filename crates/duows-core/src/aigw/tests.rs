//! The AI gateway's configuration: fields checked with their fix, the environment and the
//! command line per placement, the keys real RSA keys kept private, the generated files
//! consistent, and the container started through a stand-in `docker` program (this machine
//! has none) that records what it was given: the keys reach it through its environment,
//! never its arguments.

use std::os::unix::fs::PermissionsExt;

use super::*;

fn config(placement: Placement) -> AigwConfig {
    AigwConfig {
        gitlab_url: "https://gitlab.example.com/".into(),
        gitlab_version: "18.6".into(),
        placement,
        offline_license: false,
        ca_bundle: None,
    }
}

#[test]
fn fields_are_checked_with_their_fix() {
    let ok = config(Placement::SameHost).validated().expect("valid");
    assert_eq!(
        ok.gitlab_url, "https://gitlab.example.com",
        "trailing slash dropped"
    );
    let bad = |f: fn(&mut AigwConfig)| {
        let mut c = config(Placement::SameHost);
        f(&mut c);
        c.validated().expect_err("invalid")
    };
    assert_eq!(
        bad(|c| c.gitlab_url = "gitlab.example.com".into()).field,
        "gitlab_url"
    );
    let bad_url = |url: &str| {
        let mut c = config(Placement::SameHost);
        c.gitlab_url = url.into();
        c.validated().expect_err("invalid")
    };
    let local = bad(|c| c.gitlab_url = "http://localhost:8080".into());
    assert!(local.reason.contains("container itself"), "{local}");
    for own in [
        "http://[::1]:8080",
        "http://127.0.0.2",
        "https://gitlab.localhost",
    ] {
        assert_eq!(bad_url(own).field, "gitlab_url", "{own}");
    }
    assert_eq!(
        bad(|c| c.gitlab_version = "eighteen".into()).field,
        "gitlab_version"
    );
    assert_eq!(
        bad(|c| c.ca_bundle = Some("/nope/ca.pem".into())).field,
        "ca_bundle"
    );
}

#[test]
fn the_image_follows_the_gitlab_version() {
    let image = config(Placement::SameHost).image().expect("image");
    assert_eq!(image, format!("{IMAGE}:self-hosted-v18.6.0-ee"));
}

#[test]
fn same_host_uses_host_networking_and_moves_the_metrics_port() {
    let same = config(Placement::SameHost).validated().expect("valid");
    let env = same.environment();
    assert!(env.contains(&(
        "AIGW_GITLAB_API_URL".into(),
        "https://gitlab.example.com/api/v4/".into()
    )));
    assert!(env.contains(&("AIGW_FASTAPI__METRICS_PORT".into(), "8083".into())));
    let args = same.run_args().expect("args").join(" ");
    assert!(
        args.contains("--network host") && !args.contains("-p 5052"),
        "{args}"
    );
    let separate = config(Placement::SeparateHost).validated().expect("valid");
    let args = separate.run_args().expect("args").join(" ");
    assert!(
        args.contains("-p 5052:5052 -p 50052:50052") && !args.contains("--network"),
        "{args}"
    );
    assert!(!separate
        .environment()
        .iter()
        .any(|(k, _)| k == "AIGW_FASTAPI__METRICS_PORT"));
    for name in KEY_NAMES {
        assert!(
            args.contains(&format!("-e {name} ")),
            "{name} passed by name: {args}"
        );
    }
}

#[test]
fn keys_are_real_rsa_keys_kept_private_and_made_once() {
    let dir = tempfile::tempdir().expect("dir");
    let first = AigwKeys::load_or_create(dir.path()).expect("keys");
    let pems: Vec<String> = first.environment().map(|(_, pem)| pem.to_owned()).collect();
    assert_eq!(pems.len(), 4);
    for pem in &pems {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("a PKCS#8 RSA key");
        assert_eq!(key.size() * 8, 2048);
    }
    assert!(pems.windows(2).all(|w| w[0] != w[1]), "four different keys");
    for name in KEY_NAMES {
        let mode = std::fs::metadata(keys::key_path(dir.path(), name))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let again = AigwKeys::load_or_create(dir.path()).expect("keys");
    assert!(
        again
            .environment()
            .map(|(_, p)| p.to_owned())
            .eq(pems.iter().cloned()),
        "kept, not made again"
    );
    assert!(
        !format!("{first:?}").contains("PRIVATE"),
        "never in debug output"
    );
}

#[test]
fn the_generated_files_agree() {
    let dir = tempfile::tempdir().expect("dir");
    let config = config(Placement::SeparateHost).validated().expect("valid");
    let files = write_files(dir.path(), &config, Some("gpu-1")).expect("files");
    let env = std::fs::read_to_string(&files.env_file).expect("env");
    assert!(env.contains("AIGW_GITLAB_URL=https://gitlab.example.com\n"));
    assert!(!env.contains("PRIVATE KEY"), "no secret in the plain file");
    let keys_env = std::fs::read_to_string(&files.keys_env_file).expect("keys env");
    assert_eq!(keys_env.matches("-----BEGIN PRIVATE KEY-----").count(), 4);
    assert_eq!(
        std::fs::metadata(&files.keys_env_file)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let script = std::fs::read_to_string(&files.run_script).expect("script");
    assert!(script.contains("export AIGW_SELF_SIGNED_JWT__SIGNING_KEY=\"$(cat "));
    assert!(
        !script.contains("PRIVATE KEY"),
        "the script reads the keys, it does not hold them"
    );
    let compose = std::fs::read_to_string(&files.compose_file).expect("compose");
    assert!(
        compose.contains(&files.image)
            && compose.contains("\"5052:5052\"")
            && compose.contains("ai-gateway-keys.env")
    );
    assert_eq!(
        files.url_for_gitlab, None,
        "the separate host's name is the user's"
    );
}

/// A stand-in `docker` that records its arguments and the keys' variables it was given.
fn fake_docker(dir: &std::path::Path) -> ContainerRuntime {
    let program = dir.join("docker");
    let record = dir.join("record");
    let script = format!(
        "#!/bin/sh\necho \"ARGS $*\" >> '{0}'\nif [ -n \"${{AIGW_SELF_SIGNED_JWT__SIGNING_KEY:-}}\" ]; then echo \"ENV signing key given\" >> '{0}'; fi\ncase \"$1\" in inspect) echo running ;; run) echo 0123abcd ;; esac\n",
        record.display()
    );
    std::fs::write(&program, script).expect("write");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    ContainerRuntime::find(Some(dir.as_os_str())).expect("found on the PATH")
}

#[test]
fn the_container_gets_its_keys_through_the_environment_only() {
    let dir = tempfile::tempdir().expect("dir");
    let runtime = fake_docker(dir.path());
    assert_eq!(runtime.name, "docker");
    let keys = AigwKeys::load_or_create(dir.path()).expect("keys");
    let config = config(Placement::SameHost).validated().expect("valid");
    assert_eq!(runtime.start(&config, &keys).as_deref(), Ok("0123abcd"));
    assert_eq!(
        runtime.state(),
        ContainerState::Present {
            status: "running".into()
        }
    );
    runtime.remove().expect("removed");
    let record = std::fs::read_to_string(dir.path().join("record")).expect("record");
    assert!(
        record.contains("ARGS rm -f duows-ai-gateway"),
        "an earlier container is replaced: {record}"
    );
    assert!(
        record.contains("ARGS run -d --name duows-ai-gateway"),
        "{record}"
    );
    assert!(record.contains("ENV signing key given"), "{record}");
    assert!(
        !record.contains("BEGIN"),
        "no key on any command line: {record}"
    );
    assert!(ContainerRuntime::find(Some(std::ffi::OsStr::new("/nonexistent"))).is_none());
}
