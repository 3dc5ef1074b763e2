#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: formatting, lints, the UI's
# type-check, lint and unit tests, every Rust test (the desktop shell's too), the served UI in
# headless Chromium, the desktop window under Xvfb through WebDriver, the engine
# supervisor with a real CPU inference server, the gateway through the official
# openai client in front of that engine, and the .deb and .rpm packages (built from the
# release build, installed, started, checked and removed again), and a short smoke run of
# each benchmark.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
require_tools
# The suite builds once: incremental compilation's caches would only add gigabytes.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
report_free_space 8
apt_install "${HEADLESS_PACKAGES[@]}" "${DESKTOP_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_TEST_PACKAGES[@]}"
command -v rustfmt >/dev/null || rustup component add rustfmt
command -v cargo-clippy >/dev/null || rustup component add clippy

build_ui
say "UI: type-check, lint and unit tests"
(cd ui && npm run typecheck --silent && npm run lint --silent && npm test --silent)

say "Rust: formatting"
cargo fmt --all --check
say "Rust: clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "Rust: build (headless program and desktop app)"
cargo build --workspace --locked
say "CPU inference engine for the engine tests (compiled once, then reused)"
DUOWS_CPU_ENGINE_PYTHON="$(bash scripts/cpu-engine.sh | tail -1)"
export DUOWS_CPU_ENGINE_PYTHON DUOWS_REQUIRE_CPU_ENGINE=1

say "Rust: tests"
cargo test --workspace --locked

say "The memory estimate against real vLLM start-ups (the table in the README)"
cargo test --workspace --locked --test fit_agreement -- --nocapture

say "The secret store against a real desktop secret service (GNOME Keyring in a private D-Bus session)"
bash scripts/secret-service-test.sh

say "End to end: the served UI in headless Chromium"
(cd tests/e2e && { [ -d node_modules ] && npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund; } \
  && DUOWS_BIN="$REPO/target/debug/duows" npm test)

say "End to end: the gateway through the official openai client, in front of a real engine"
DUOWS_BIN="$REPO/target/debug/duows" "$DUOWS_CPU_ENGINE_PYTHON" -m unittest discover -s tests/gateway -v

say "End to end: the gateway the way GitLab's AI gateway calls it, through LiteLLM"
LITELLM_PYTHON="$(bash scripts/litellm-client.sh | tail -1)"
DUOWS_BIN="$REPO/target/debug/duows" "$LITELLM_PYTHON" -W ignore -m unittest discover -s tests/litellm -v

say "Two nodes on this machine: a node joins the head, a real Ray cluster forms over both and stops clean"
RAY_PYTHON="$(bash scripts/ray-env.sh | tail -1)"
DUOWS_BIN="$REPO/target/debug/duows" "$RAY_PYTHON" -m unittest discover -s tests/cluster -v

say "Kubernetes manifests of duows export against Kubernetes' published schemas"
KUBERNETES_PYTHON="$(bash scripts/kubernetes-validate.sh | tail -1)"
DUOWS_BIN="$REPO/target/debug/duows" "$KUBERNETES_PYTHON" -m unittest discover -s tests/kubernetes -v

say "End to end: the desktop window under Xvfb through WebDriver"
DUOWS_DESKTOP_BIN="$REPO/target/debug/duo-workstation" bash tests/desktop/run.sh

say "Packages: .deb and .rpm from the release build"
bash packaging/build.sh
say "Packages: installed, started, checked and removed as a user would"
bash tests/package/run.sh

say "Benchmarks: a short smoke run of each (figures come from the full runs in the README)"
DUOWS_BIN="$REPO/target/release/duows" bash bench/download.sh --smoke
DUOWS_BIN="$REPO/target/release/duows" bash bench/gateway.sh --smoke
DUOWS_BIN="$REPO/target/release/duows" bash bench/gateway.sh --smoke --soak
DUOWS_BIN="$REPO/target/release/duows" bash bench/gateway.sh --smoke --replicas
DUOWS_DESKTOP_BIN="$REPO/target/release/duo-workstation" bash bench/desktop.sh --smoke

say "All tests passed"
