#!/usr/bin/env bash
# Installs the pinned Claude Code CLI (version in test/setup/claude-code.version) into a cache
# directory outside the package, reuses it when it is already there, and prints the absolute
# path of its native binary. It is not a dependency of the package: every `npm ci` would fetch
# ~370 MB, and its package asks for Node 22 while the binary itself needs no Node.
#   test/setup/claude-code.sh      (cache: ${XDG_CACHE_HOME:-$HOME/.cache}/claude-comms/)
set -euo pipefail
version=$(tr -d '[:space:]' <"$(dirname "$0")/claude-code.version")
dir="${XDG_CACHE_HOME:-$HOME/.cache}/claude-comms/claude-code-$version"
case "$(uname -m)" in
x86_64) arch=x64 ;;
aarch64 | arm64) arch=arm64 ;;
*) echo "claude-code.sh: no Claude Code build for $(uname -m)" >&2; exit 1 ;;
esac
# The CLI's native binary ships in a per-platform package.
binary="node_modules/@anthropic-ai/claude-code-linux-$arch/claude"

# True when DIR holds a binary that reports the pinned version.
installed() { [[ -x "$1/$binary" ]] && "$1/$binary" --version 2>/dev/null | grep -q "^$version "; }

if ! installed "$dir"; then
  echo "claude-code.sh: installing @anthropic-ai/claude-code@$version into $dir" >&2
  # Into a fresh directory renamed at the end: an interrupted install never looks complete.
  mkdir -p "$(dirname "$dir")"
  staging=$(mktemp -d "$dir.partial.XXXXXX")
  chmod 755 "$staging"
  trap 'rm -rf "$staging"' EXIT
  npm install --prefix "$staging" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --engine-strict=false "@anthropic-ai/claude-code@$version" >&2
  installed "$staging" || { echo "claude-code.sh: $staging/$binary does not report version $version" >&2; exit 1; }
  rm -rf "$dir"
  mv "$staging" "$dir"
fi
echo "$dir/$binary"
