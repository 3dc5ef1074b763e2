//! The gateway's network switch on a real listening gateway: opening it needs a key, moves
//! the socket to every interface on the same port (where `/metrics` then needs a key too)
//! and is saved for the next start; closing it moves it back; a refused switch moves and
//! saves nothing; an address given on the command line stays for the run.

mod common;

use std::net::SocketAddr;

use common::described_state;
use duows_api::calls::{self, GatewayNetworkParams, KeyCreateParams};
use duows_api::gateway_service::{start_gateway, GatewayOptions};
use duows_api::ApiState;

async fn started(state: &ApiState, pinned_by: Option<&str>) -> u16 {
    let options = GatewayOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        allowed_hosts: Vec::new(),
        pinned_by: pinned_by.map(str::to_owned),
    };
    let (handle, _task) = start_gateway(state, options).await.expect("gateway");
    handle.local_addr().port()
}

/// The status of `GET /metrics` without a key, through 127.0.0.1.
async fn metrics_status(port: u16) -> u16 {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("the gateway answers")
        .status()
        .as_u16()
}

/// An active API key named `gitlab`.
async fn make_key(state: &ApiState) -> calls::CreatedKey {
    calls::key_create(
        state,
        KeyCreateParams {
            name: "gitlab".into(),
            expires_in_days: None,
        },
    )
    .await
    .expect("key")
}

fn open(open: bool) -> GatewayNetworkParams {
    GatewayNetworkParams { open }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switch_moves_the_running_gateway_and_is_kept_for_the_next_start() {
    let home = tempfile::tempdir().expect("home");
    let state = described_state("none", home.path());
    let port = started(&state, None).await;
    assert_eq!(
        metrics_status(port).await,
        200,
        "on loopback /metrics is open"
    );

    // Without a key: refused on `open`, the gateway stays, nothing is saved.
    let refused = calls::gateway_network(&state, open(true))
        .await
        .expect_err("no key");
    assert_eq!(refused.field.as_deref(), Some("open"), "{refused:?}");
    assert!(
        refused.message.contains("create an API key first"),
        "{}",
        refused.message
    );
    let info = calls::gateway_info(&state).await.expect("info");
    assert_eq!(info.listen, Some(format!("127.0.0.1:{port}")));
    assert!(!calls::settings(&state).await.gateway_open_to_network);

    // With a key: every interface, same port, saved; off loopback `/metrics` needs a key.
    let key = make_key(&state).await;
    let info = calls::gateway_network(&state, open(true))
        .await
        .expect("opened");
    assert_eq!(info.listen, Some(format!("0.0.0.0:{port}")));
    assert!(!info.loopback_only);
    assert_eq!(info.listen_pinned_by, None);
    let saved = std::fs::read_to_string(home.path().join("settings.json")).expect("settings");
    assert!(
        saved.contains("\"gateway_open_to_network\": true"),
        "{saved}"
    );
    assert_eq!(
        metrics_status(port).await,
        401,
        "off loopback /metrics needs a key"
    );
    let with_key = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(&key.secret)
        .send()
        .await
        .expect("answer");
    assert_eq!(with_key.status().as_u16(), 200);

    // Opening again changes nothing; closing moves it back to this machine only.
    calls::gateway_network(&state, open(true))
        .await
        .expect("still open");
    let info = calls::gateway_network(&state, open(false))
        .await
        .expect("closed");
    assert_eq!(info.listen, Some(format!("127.0.0.1:{port}")));
    assert!(info.loopback_only);
    assert_eq!(metrics_status(port).await, 200);
    assert!(!calls::settings(&state).await.gateway_open_to_network);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_from_the_command_line_stays_for_the_run() {
    let home = tempfile::tempdir().expect("home");
    let state = described_state("none", home.path());
    let port = started(&state, Some("--gateway-host 127.0.0.1")).await;
    make_key(&state).await;
    let refused = calls::gateway_network(&state, open(true))
        .await
        .expect_err("pinned");
    assert_eq!(refused.field.as_deref(), Some("open"));
    assert!(
        refused.message.contains("`--gateway-host 127.0.0.1`"),
        "{}",
        refused.message
    );
    let info = calls::gateway_info(&state).await.expect("info");
    assert_eq!(info.listen, Some(format!("127.0.0.1:{port}")));
    assert_eq!(
        info.listen_pinned_by.as_deref(),
        Some("--gateway-host 127.0.0.1")
    );
    assert!(!calls::settings(&state).await.gateway_open_to_network);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_not_the_file_decides_a_move() {
    let home = tempfile::tempdir().expect("home");
    let state = described_state("none", home.path());
    let port = started(&state, None).await;
    make_key(&state).await;
    calls::gateway_network(&state, open(true))
        .await
        .expect("opened");
    // Another program writes the settings file with the switch off; this gateway is still open.
    let file = home.path().join("settings.json");
    let text = std::fs::read_to_string(&file).expect("settings");
    std::fs::write(
        &file,
        text.replace(
            "\"gateway_open_to_network\": true",
            "\"gateway_open_to_network\": false",
        ),
    )
    .expect("write");
    let info = calls::gateway_network(&state, open(false))
        .await
        .expect("closed");
    assert_eq!(
        info.listen,
        Some(format!("127.0.0.1:{port}")),
        "moved, though the file already said off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opened_in_the_settings_without_a_key_the_gateway_starts_on_this_machine_and_says_why() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("settings.json"),
        r#"{"version": 5, "gateway_open_to_network": true}"#,
    )
    .expect("settings");
    let state = described_state("none", home.path());
    let options = GatewayOptions {
        addr: SocketAddr::new(duows_api::gateway_service::configured_host(&state), 0),
        allowed_hosts: Vec::new(),
        pinned_by: None,
    };
    let (handle, _task) = start_gateway(&state, options)
        .await
        .expect("started anyway");
    assert!(handle.local_addr().ip().is_loopback());
    let info = calls::gateway_info(&state).await.expect("info");
    assert!(info.loopback_only);
    let problem = info.listen_problem.expect("the reason is shown");
    assert!(problem.contains("no API key is active"), "{problem}");
    // Other settings still save while the switch stays on without a key.
    let mut settings = calls::settings(&state).await;
    settings.log_prompts = true;
    calls::update_settings(&state, settings)
        .await
        .expect("saved");
    assert!(calls::settings(&state).await.gateway_open_to_network);
}
