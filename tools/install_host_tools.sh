#!/usr/bin/env bash
# Install the host tools the tests and the calibration need, when missing:
#   qemu-system-x86  (qemu-system-x86_64: boots the i386 686-pae guest)
#   gcc-multilib     (gcc -m32 -static: the guest's workload program)
#   cpio             (the guest's initramfs)
#   chromium         (tests/test_report_browser.py)
# Debian/Ubuntu with apt-get; as root it installs, otherwise it prints the
# command to run and exits 1. Idempotent: a machine that has them all does
# nothing and prints one line per tool.
#
# Usage: tools/install_host_tools.sh [--check]   (--check: report, install nothing)
set -euo pipefail

CHECK_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK_ONLY=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install_host_tools.sh: unknown argument $arg (allowed: --check)" >&2; exit 2 ;;
  esac
done

m32_links() {
  # gcc -m32 -static must link a program (libc6-dev-i386 comes with gcc-multilib)
  command -v gcc > /dev/null || return 1
  local dir
  dir="$(mktemp -d)"
  printf 'int main(void){return 0;}\n' > "$dir/t.c"
  if gcc -m32 -static -o "$dir/t" "$dir/t.c" > /dev/null 2>&1; then
    rm -rf "$dir"; return 0
  fi
  rm -rf "$dir"; return 1
}

missing=()
command -v qemu-system-x86_64 > /dev/null || missing+=(qemu-system-x86)
m32_links || missing+=(gcc-multilib)
command -v cpio > /dev/null || missing+=(cpio)
command -v chromium > /dev/null || missing+=(chromium)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "host tools: qemu-system-x86_64, gcc -m32 -static, cpio and chromium present"
  exit 0
fi
echo "host tools: missing ${missing[*]}"
if [[ "$CHECK_ONLY" == 1 ]]; then
  exit 1
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get > /dev/null; then
  echo "install_host_tools.sh: run as root (Debian/Ubuntu):" >&2
  echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" \
  > /dev/null
# check again: a package that installed but does not work is an error here, not in a test
still=()
command -v qemu-system-x86_64 > /dev/null || still+=(qemu-system-x86)
m32_links || still+=(gcc-multilib)
command -v cpio > /dev/null || still+=(cpio)
command -v chromium > /dev/null || still+=(chromium)
if [[ ${#still[@]} -gt 0 ]]; then
  echo "install_host_tools.sh: installed, but still not usable: ${still[*]}" >&2
  exit 1
fi
echo "host tools: installed ${missing[*]}"
