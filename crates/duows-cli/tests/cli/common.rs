//! What the CLI tests share: running `duows` in a fresh data folder, a running `duows serve`
//! that is killed on drop, and plain-socket HTTP requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The path of a hardware description in `fixtures/hardware`.
pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/hardware")
        .join(name)
        .display()
        .to_string()
}

/// Runs `duows args` with `home` as its data folder.
pub fn duows(home: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duows"))
        .args(args)
        .env("DUOWS_HOME", home.path())
        .output()
        .expect("run duows")
}

/// A fresh, empty data folder.
pub fn home() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp home")
}

/// What a run printed, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running `duows serve`, killed on drop.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub lines: Vec<String>,
    _home: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `duows serve args` in a fresh data folder and reads up to `wanted_lines` lines of
/// what it prints; the port is the one on its listening line.
pub fn serve(args: &[&str], wanted_lines: usize) -> Served {
    let home = home();
    let mut child = Command::new(env!("CARGO_BIN_EXE_duows"))
        .arg("serve")
        .args(["--gateway-port", "0"])
        .args(args)
        .env("DUOWS_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start duows serve");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while lines.len() < wanted_lines && Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        lines.push(line.trim_end().to_owned());
    }
    let port = lines
        .iter()
        .find_map(|l| l.strip_prefix("duows: listening on http://"))
        .and_then(|addr| addr.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no listening line in {lines:?}"));
    Served {
        child,
        port,
        lines,
        _home: home,
    }
}

/// One HTTP/1.1 request over a plain socket: (status, body).
pub fn request(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut text = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        text.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response[9..12].parse().expect("status");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The JSON a successful `duows args` printed, run in a fresh data folder.
pub fn json_of(args: &[&str]) -> Value {
    let out = duows(&home(), args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// `duows serve` with extra environment.
pub fn serve_with_env(args: &[&str], env: &[(&str, &Path)]) -> Served {
    let home = home();
    let mut command = Command::new(env!("CARGO_BIN_EXE_duows"));
    command
        .arg("serve")
        .args(["--gateway-port", "0"])
        .args(args)
        .env("DUOWS_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start duows serve");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Served {
        child,
        port,
        lines: vec![line],
        _home: home,
    }
}
