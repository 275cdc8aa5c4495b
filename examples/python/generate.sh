#!/usr/bin/env bash
# Generates the Python gRPC stubs of claude-comms into OUT_DIR (default: ./gen):
#   examples/python/generate.sh [OUT_DIR]
#
# The protos use proto3 `optional` (WatchMessageRequest.after_seq), which needs protoc 3.15
# or newer. Debian 12's python3-grpc-tools bundles protoc 3.5, which rejects it ("Explicit
# 'optional' labels are disallowed in the Proto3 syntax"), so this script uses Debian's own
# protoc 3.21 (protobuf-compiler) with the gRPC Python plugin of the same gRPC release as
# python3-grpcio (protobuf-compiler-grpc). Elsewhere (e.g. `pip install grpcio-tools`, whose
# protoc is recent) it falls back to `python3 -m grpc_tools.protoc`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
protos="$here/../../proto"
out="${1:-$here/gen}"
mkdir -p "$out"
files=("$protos"/claude_comms/v1/*.proto)
plugin="$(command -v grpc_python_plugin || true)"
if command -v protoc >/dev/null && [[ -n "$plugin" ]]; then
  protoc -I "$protos" --python_out="$out" --grpc_python_out="$out" \
    --plugin=protoc-gen-grpc_python="$plugin" "${files[@]}"
else
  "${PYTHON:-python3}" -m grpc_tools.protoc -I "$protos" --python_out="$out" --grpc_python_out="$out" "${files[@]}" || {
    echo "generate.sh: grpc_tools.protoc failed; it needs protoc 3.15+ for proto3 optional." >&2
    echo "  Debian: apt-get install protobuf-compiler protobuf-compiler-grpc; elsewhere: pip install grpcio-tools" >&2
    exit 1
  }
fi
echo "stubs written to $out"
