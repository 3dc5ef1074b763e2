//! `duows serve`: the API on loopback, the token off loopback, a port in use, a prompt stop on
//! SIGTERM, and the gateway's own bind checks.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{duows, home, request, serve};

#[test]
fn serve_answers_the_api_and_refuses_a_foreign_host() {
    let served = serve(&["--port", "0", "--gpus", "2xA100-80GB"], 1);
    let (status, body) = request(served.port, "/api/hardware", &[]);
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["gpus"].as_array().expect("gpus").len(), 2);
    let (status, body) = request(served.port, "/api/hardware", &[("Host", "evil.example")]);
    assert_eq!(status, 403);
    assert!(body.contains("forbidden_host"));
    let (status, _) = request(served.port, "/", &[]);
    assert!(
        status == 200 || status == 503,
        "the UI, or a page saying it was not built"
    );
}

#[test]
fn serve_off_loopback_prints_a_token_once_and_requires_it() {
    let served = serve(&["--host", "0.0.0.0", "--port", "0", "--gpus", "1xL4"], 3);
    let token = served
        .lines
        .iter()
        .find_map(|l| l.split_once("#token=").map(|(_, t)| t.to_owned()))
        .unwrap_or_else(|| panic!("no token line in {:?}", served.lines));
    assert_eq!(
        served.lines.iter().filter(|l| l.contains(&token)).count(),
        1,
        "printed once"
    );
    let (status, _) = request(served.port, "/api/hardware", &[]);
    assert_eq!(status, 401);
    let bearer = format!("Bearer {token}");
    let (status, _) = request(served.port, "/api/hardware", &[("Authorization", &bearer)]);
    assert_eq!(status, 200);
}

#[test]
fn serve_reports_a_port_in_use() {
    let first = serve(&["--port", "0", "--gpus", "none"], 1);
    let port = first.port.to_string();
    let out = duows(
        &home(),
        &[
            "serve",
            "--port",
            &port,
            "--gateway-port",
            "0",
            "--gpus",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen on") && err.contains("--port 0"),
        "{err}"
    );
}

#[test]
fn serve_stops_promptly_on_sigterm_with_a_stream_open() {
    let mut served = serve(&["--port", "0", "--gpus", "1xL4"], 1);
    // A browser tab keeps the sample stream open.
    let mut stream = TcpStream::connect(("127.0.0.1", served.port)).expect("connect");
    let head = format!(
        "GET /api/samples/stream HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        served.port
    );
    stream.write_all(head.as_bytes()).expect("send");
    let mut first = [0u8; 64];
    stream.read_exact(&mut first).expect("stream started");
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    loop {
        if let Some(status) = served.child.try_wait().expect("wait") {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_gateway_refuses_the_network_without_a_key_and_names_a_taken_port() {
    let out = duows(
        &home(),
        &[
            "serve",
            "--port",
            "0",
            "--gateway-host",
            "0.0.0.0",
            "--gateway-port",
            "0",
            "--gpus",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("duows keys create"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = duows(
        &home(),
        &[
            "serve",
            "--port",
            "0",
            "--gateway-port",
            &port,
            "--gpus",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--gateway-port"), "{err}");
}
