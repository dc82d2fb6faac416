#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Dictate needs: `runtime` for the app, `test` for the suite.
set -euo pipefail
what="${1:-runtime}"
runtime=(python3 python3-venv python3-pip libportaudio2 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 fonts-dejavu-core libdbus-1-3)
test=(espeak-ng sox pulseaudio pulseaudio-utils libasound2-plugins xvfb xauth xclip
  xdotool trayer desktop-file-utils)
packages=("${runtime[@]}")
[ "$what" = test ] && packages+=("${test[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
