#!/usr/bin/env bash
# Signs Dictate.app (ad hoc unless SIGN_IDENTITY names a Developer ID) with the microphone
# entitlement and the hardened runtime, then wraps it in a .dmg with an Applications link.
# Usage: packaging/macos/make-dmg.sh VERSION   (after `python packaging/build.py` on macOS)
set -euo pipefail
cd "$(dirname "$0")/../.."
version="$1"
app="dist/bundle/Dictate.app"
codesign --force --deep --options runtime --timestamp=none \
  --entitlements packaging/macos/entitlements.plist --sign "${SIGN_IDENTITY:--}" "$app"
codesign --verify --deep --strict "$app"
/usr/libexec/PlistBuddy -c "Print :NSMicrophoneUsageDescription" "$app/Contents/Info.plist"
staging="$(mktemp -d)"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "Dictate" -srcfolder "$staging" -ov -format UDZO \
  "dist/Dictate-${version}-macos-$(uname -m).dmg"
