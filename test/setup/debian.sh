#!/usr/bin/env bash
# Installs the Debian packages listed in one or more files (one a line, `#` comments) that are
# not installed yet. Nothing is asked of apt when all are there (dpkg-query decides), so a
# machine set up once pays nothing. Root runs apt-get itself, anyone else through sudo.
#   test/setup/debian.sh FILE...            (npm test: test/setup/debian-packages.txt)
# Or source it (bench does) and call: ensure_debian_packages PACKAGE...

# Prints the packages among the arguments that dpkg does not report as installed.
missing_debian_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -qx "install ok installed" || echo "$package"
  done
}

# Prints the package names in the given list files, comments and blank lines left out.
debian_packages_in() {
  sed -e 's/#.*//' -e 's/[[:space:]]\+/\n/g' "$@" | grep -v '^$'
}

# Installs whichever of the given packages are missing: one apt-get update, then one quiet install.
ensure_debian_packages() {
  local missing sudo=()
  mapfile -t missing < <(missing_debian_packages "$@")
  ((${#missing[@]})) || return 0
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "debian.sh: missing ${missing[*]}; run as root or install sudo" >&2; return 1; }
    sudo=(sudo)
  fi
  echo "debian.sh: apt-get install ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  (($#)) || { echo "usage: $0 PACKAGE-LIST-FILE..." >&2; exit 2; }
  mapfile -t packages < <(debian_packages_in "$@")
  ensure_debian_packages "${packages[@]}"
fi
