#!/usr/bin/env bash
# Weight downloads: duows against huggingface_hub's snapshot_download, plain and with
# hf_transfer, from one local test hub serving the same generated files. Run on demand:
#   bash bench/download.sh [--quick] [--no-resume]
# Builds the test hub (bench/download) and duows (release), installs huggingface_hub and
# hf_transfer into .tools/hf on first use, generates the repository (3 GiB: shards of 1.5,
# 1 and 0.5 GiB, plus config and tokenizer) in a temporary folder removed at the end, and
# prints throughput, CPU time and peak memory per client, with and without a per-connection
# cap, the ratios, and the time to finish after a kill at half way. Exits 0 when every
# download completed and checked, whether or not duows was the fastest.
# --quick: 384 MiB in two shards, no kill. --smoke: 96 MiB, no kill (for the test suite).
# Environment: SHARDS_MIB="1536,1024,512", CAP_MB=50 (per connection), ROUNDS=1 (the
# median round is reported), CLIENTS="duows,huggingface_hub,hf_transfer", DUOWS_BIN to use a
# built binary, CARGO_TARGET_DIR as for any cargo build, DUOWS_DOWNLOAD_CONNECTIONS and
# DUOWS_DOWNLOAD_PIECE_MIB as duows reads them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
HERE="$ROOT/bench/download"
HF_VENV="$ROOT/.tools/hf"
HF_HUB_VERSION="0.35.3"
HF_TRANSFER_VERSION="0.1.9"

EXTRA=()
SHARDS_MIB="${SHARDS_MIB:-1536,1024,512}"
for arg in "$@"; do
  case "$arg" in
    --quick) SHARDS_MIB="256,128"; EXTRA+=(--no-resume) ;;
    --smoke) SHARDS_MIB="64,32"; EXTRA+=(--no-resume) ;;
    --no-resume) EXTRA+=(--no-resume) ;;
    *) echo "usage: bash bench/download.sh [--quick|--smoke] [--no-resume]" >&2; exit 2 ;;
  esac
done
say() { echo "download bench: $*" >&2; }

BIN="${DUOWS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/duows}"
if [ -z "${DUOWS_BIN:-}" ]; then
  say "building duows (release)"
  cargo build --release -p duows >&2
fi
say "building the test hub"
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml" --target-dir "$HERE/target" >&2

installed() { "$HF_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("huggingface_hub"), m.version("hf_transfer"))' 2>/dev/null || true; }
if [ "$(installed)" != "$HF_HUB_VERSION $HF_TRANSFER_VERSION" ]; then
  say "installing huggingface_hub $HF_HUB_VERSION and hf_transfer $HF_TRANSFER_VERSION into .tools/hf (once)"
  python3 -m venv "$HF_VENV" >&2
  "$HF_VENV/bin/pip" install --quiet "huggingface_hub==$HF_HUB_VERSION" "hf_transfer==$HF_TRANSFER_VERSION" >&2
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 "$HERE/run.py" --hub "$HERE/target/release/hub" --duows "$BIN" --python "$HF_VENV/bin/python" \
  --work "$WORK" --shards-mib "$SHARDS_MIB" --cap-mb "${CAP_MB:-50}" --rounds "${ROUNDS:-1}" \
  --clients "${CLIENTS:-duows,huggingface_hub,hf_transfer}" "${EXTRA[@]}"
