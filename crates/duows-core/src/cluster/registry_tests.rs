use super::*;

fn request(name: &str) -> JoinRequest {
    JoinRequest {
        name: name.into(),
        control_url: "http://10.0.0.2:8484".into(),
        gpus: vec![NodeGpu {
            name: "NVIDIA L4".into(),
            memory_gib: 22.5,
        }],
    }
}

fn beat(node_id: &str) -> Heartbeat {
    Heartbeat {
        node_id: node_id.into(),
        gpus: request("x").gpus,
        ray: RayNodeState::Running,
        ray_message: None,
    }
}

#[test]
fn a_token_joins_one_node_once_and_is_kept_only_as_a_hash() {
    let dir = tempfile::tempdir().expect("dir");
    let registry = NodeRegistry::in_data_dir(dir.path());
    let issued = registry.issue_token(1_000, 60_000).expect("token");
    assert!(issued.token.starts_with("dwj_"));
    assert_eq!(issued.expires_ms, 61_000);

    let joined = registry
        .join(&issued.token, &request("b"), 2_000)
        .expect("join");
    let stored = std::fs::read_to_string(dir.path().join("cluster/nodes.json")).expect("file");
    assert!(
        !stored.contains(&issued.token[4..]),
        "token at rest: {stored}"
    );
    assert!(
        !stored.contains(&joined.node_key[4..]),
        "key at rest: {stored}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("cluster/nodes.json"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let again = registry.join(&issued.token, &request("c"), 2_500);
    assert!(
        matches!(again, Err(RegistryError::Unauthorized(_))),
        "{again:?}"
    );
    let nodes = registry.nodes(3_000).expect("nodes");
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].name, "b");
    assert_eq!(nodes[0].gpus[0].name, "NVIDIA L4");
    assert_eq!(nodes[0].state, NodeState::Online);
}

#[test]
fn an_expired_or_wrong_token_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("dir");
    let registry = NodeRegistry::in_data_dir(dir.path());
    let issued = registry.issue_token(0, 1_000).expect("token");
    let late = registry
        .join(&issued.token, &request("b"), 1_001)
        .expect_err("refused");
    assert!(late.to_string().contains("duows cluster token"), "{late}");
    let wrong = registry
        .join("dwj_nothing", &request("b"), 10)
        .expect_err("refused");
    assert!(matches!(wrong, RegistryError::Unauthorized(_)));
}

#[test]
fn bad_join_fields_are_named() {
    let dir = tempfile::tempdir().expect("dir");
    let registry = NodeRegistry::in_data_dir(dir.path());
    let token = registry.issue_token(0, 60_000).expect("token").token;
    let mut bad = request("has space");
    let error = registry.join(&token, &bad, 1).expect_err("refused");
    assert!(
        matches!(error, RegistryError::Invalid { field: "name", .. }),
        "{error}"
    );
    bad.name = "b".into();
    bad.control_url = "10.0.0.2:8484".into();
    let error = registry.join(&token, &bad, 1).expect_err("refused");
    assert!(
        matches!(
            error,
            RegistryError::Invalid {
                field: "control_url",
                ..
            }
        ),
        "{error}"
    );
    // The refusals did not use the token up.
    registry.join(&token, &request("b"), 1).expect("join");
    let second = registry.issue_token(2, 60_000).expect("token").token;
    let twice = registry
        .join(&second, &request("b"), 3)
        .expect_err("refused");
    assert!(
        twice.to_string().contains("duows cluster remove b"),
        "{twice}"
    );
}

#[test]
fn heartbeats_need_the_node_key_record_last_seen_and_carry_the_assignment() {
    let dir = tempfile::tempdir().expect("dir");
    let registry = NodeRegistry::in_data_dir(dir.path());
    let token = registry.issue_token(0, 60_000).expect("token").token;
    let joined = registry.join(&token, &request("b"), 100).expect("join");

    let refused = registry.heartbeat("dwn_wrong", &beat(&joined.node_id), 200);
    assert!(matches!(refused, Err(RegistryError::Unauthorized(_))));
    let answer = registry
        .heartbeat(&joined.node_key, &beat(&joined.node_id), 200)
        .expect("beat");
    assert_eq!(answer.ray, None);

    let assignment = RayAssignment {
        head_address: "10.0.0.1:6379".into(),
        num_gpus: 1,
        node_ip: "10.0.0.2".into(),
        interface: Some("eth0".into()),
    };
    registry
        .assign(&joined.node_id, Some(assignment.clone()))
        .expect("assign");
    let answer = registry
        .heartbeat(&joined.node_key, &beat(&joined.node_id), 5_000)
        .expect("beat");
    assert_eq!(answer.ray, Some(assignment));

    let nodes = registry.nodes(5_000 + OFFLINE_AFTER_MS).expect("nodes");
    assert_eq!(nodes[0].last_seen_ms, 5_000);
    assert_eq!(nodes[0].ray, RayNodeState::Running);
    assert_eq!(nodes[0].state, NodeState::Online);
    let later = registry.nodes(5_001 + OFFLINE_AFTER_MS).expect("nodes");
    assert_eq!(later[0].state, NodeState::Offline);
}

#[test]
fn a_removed_node_is_gone_and_its_key_stops_working() {
    let dir = tempfile::tempdir().expect("dir");
    let registry = NodeRegistry::in_data_dir(dir.path());
    let token = registry.issue_token(0, 60_000).expect("token").token;
    let joined = registry.join(&token, &request("b"), 1).expect("join");
    let removed = registry.remove("b", 2).expect("remove by name");
    assert_eq!(removed.id, joined.node_id);
    assert!(registry.nodes(3).expect("nodes").is_empty());
    let beat_after = registry.heartbeat(&joined.node_key, &beat(&joined.node_id), 4);
    assert!(matches!(beat_after, Err(RegistryError::Unauthorized(_))));
    let unknown = registry.remove("b", 5).expect_err("refused");
    assert!(
        unknown.to_string().contains("duows cluster nodes"),
        "{unknown}"
    );
}
