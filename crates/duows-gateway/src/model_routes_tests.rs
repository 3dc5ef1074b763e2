//! The route table compiled: names, aliases, unusable targets and the `/v1/models` list.

use super::*;

fn deployment(name: &str, served: &str) -> Deployment {
    Deployment {
        name: name.into(),
        served_model: served.into(),
        base_url: "http://127.0.0.1:9/v1/".into(),
        api_key: None,
        readiness: Readiness::Ready,
        listing: None,
        replicas: Vec::new(),
    }
}

fn table() -> Routes {
    Routes::compile(
        RouteTable {
            deployments: vec![
                deployment("qwen", "Qwen/Qwen3-8B"),
                deployment("llama", "qwen"),
            ],
            aliases: vec![
                Alias {
                    name: "duo-chat".into(),
                    target: Some("qwen".into()),
                },
                Alias {
                    name: "duo-code".into(),
                    target: None,
                },
                Alias {
                    name: "gone".into(),
                    target: Some("old".into()),
                },
            ],
        },
        &ReplicaRegistry::default(),
    )
}

#[test]
fn names_resolve_alias_then_deployment_then_served_model() {
    let routes = table();
    let r = routes.resolve("duo-chat").expect("alias");
    assert_eq!(&*r.target.name, "qwen");
    assert_eq!(r.alias.map(|a| &**a), Some("duo-chat"));
    // A deployment name wins over another deployment's served model.
    assert_eq!(&*routes.resolve("qwen").expect("name").target.name, "qwen");
    let r = routes.resolve("Qwen/Qwen3-8B").expect("served model");
    assert_eq!(&*r.target.name, "qwen");
    assert!(r.alias.is_none());
    assert_eq!(
        r.target.upstreams[0]
            .url(Endpoint::ChatCompletions)
            .expect("url")
            .as_str(),
        "http://127.0.0.1:9/v1/chat/completions"
    );
}

#[test]
fn misses_explain_themselves() {
    let routes = table();
    let e = routes.resolve("nope").err().expect("unknown");
    assert_eq!(e.code, ErrorCode::ModelNotFound);
    assert!(e.message.contains("duo-chat, llama, qwen"), "{}", e.message);
    let e = routes.resolve("duo-code").err().expect("unassigned");
    assert_eq!(e.code, ErrorCode::ModelNotAssigned);
    assert!(e.message.contains("no model assigned"));
    let e = routes.resolve("gone").err().expect("dangling");
    assert!(e.message.contains("`old`"), "{}", e.message);
}

#[test]
fn models_list_names_and_assigned_aliases() {
    let v: serde_json::Value = serde_json::from_slice(&table().models_json).expect("JSON list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["duo-chat", "llama", "qwen"]);
    assert_eq!(v["data"][0]["owned_by"], "duo-workstation");
    assert_eq!(v["data"][0]["ready"], true);
    assert_eq!(v["data"][0]["status"], "ready");
    let one: serde_json::Value =
        serde_json::from_slice(&table().model_json("llama").expect("listed")).expect("JSON");
    assert_eq!(one["id"], "llama");
    assert!(
        table().model_json("duo-code").is_none(),
        "unassigned aliases are not models"
    );
}

#[test]
fn replicas_follow_the_base_url_and_keep_their_health_across_tables() {
    let registry = ReplicaRegistry::default();
    let with_replicas = |urls: &[&str]| RouteTable {
        deployments: vec![Deployment {
            replicas: urls
                .iter()
                .map(|u| Replica {
                    base_url: (*u).to_owned(),
                    api_key: None,
                })
                .collect(),
            ..deployment("qwen", "Qwen/Qwen3-8B")
        }],
        aliases: Vec::new(),
    };
    let routes = Routes::compile(with_replicas(&["http://10.0.0.2:8000/v1"]), &registry);
    let target = routes.resolve("qwen").expect("routed").target;
    let bases: Vec<&str> = target
        .upstreams
        .iter()
        .map(|u| u.base_url.as_str())
        .collect();
    assert_eq!(bases, ["http://127.0.0.1:9/v1/", "http://10.0.0.2:8000/v1"]);
    let second = target.upstreams[1].health.clone();
    let lease = second.lease();
    // A new table with the same replica keeps its counters; one without it forgets them.
    let routes = Routes::compile(with_replicas(&["http://10.0.0.2:8000/v1"]), &registry);
    let again = &routes.resolve("qwen").expect("routed").target.upstreams[1].health;
    assert!(Arc::ptr_eq(&second, again));
    assert_eq!(again.outstanding(), 1);
    drop(lease);
    let statuses = routes.replica_statuses();
    assert_eq!(statuses.len(), 2);
    assert_eq!((statuses[1].requests, statuses[1].outstanding), (1, 0));
    let routes = Routes::compile(with_replicas(&[]), &registry);
    assert_eq!(routes.replica_statuses().len(), 1);
    let fresh = Routes::compile(with_replicas(&["http://10.0.0.2:8000/v1"]), &registry);
    assert_eq!(
        fresh.replica_statuses()[1].requests,
        0,
        "a replica that left starts anew"
    );
}
