#!/bin/sh
# Installs the build folder BUILD_DIR into a temporary DESTDIR and checks
# that everything a desktop install needs lands where the desktop looks for
# it. Usage: check-install-tree.sh BUILD_DIR
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
app_id=io.github.regardapp.Regard
dest=$(mktemp -d "${TMPDIR:-/tmp}/regard-install-XXXXXX")
trap 'rm -rf "$dest"' EXIT INT TERM

# The prefix and directory options as configured (absolute or relative).
option() {
  meson introspect "$build" --buildoptions | python3 -c '
import json, sys
name = sys.argv[1]
for o in json.load(sys.stdin):
    if o["name"] == name:
        print(o["value"])
' "$1"
}
prefix=$(option prefix)
under_prefix() {
  case $1 in
    /*) echo "$1" ;;
    *) echo "$prefix/$1" ;;
  esac
}
bindir=$(under_prefix "$(option bindir)")
datadir=$(under_prefix "$(option datadir)")
localedir=$(under_prefix "$(option localedir)")

if ! meson install -C "$build" --destdir "$dest" --no-rebuild >"$dest.log" 2>&1; then
  cat "$dest.log" >&2
  rm -f "$dest.log"
  echo "FAIL: meson install failed" >&2
  exit 1
fi
rm -f "$dest.log"

missing=0
for f in \
  "$bindir/regard" \
  "$bindir/regard-cli" \
  "$datadir/applications/$app_id.desktop" \
  "$datadir/metainfo/$app_id.metainfo.xml" \
  "$datadir/icons/hicolor/scalable/apps/$app_id.svg" \
  "$datadir/glib-2.0/schemas/$app_id.gschema.xml" \
  "$localedir/fr/LC_MESSAGES/regard.mo"
do
  if [ ! -f "$dest$f" ]; then
    echo "missing: $f" >&2
    missing=$((missing + 1))
  elif [ "${f#"$bindir"/}" != "$f" ] && [ ! -x "$dest$f" ]; then
    echo "not executable: $f" >&2
    missing=$((missing + 1))
  else
    echo "ok: $f"
  fi
done

if [ "$missing" -ne 0 ]; then
  echo "FAIL: $missing file(s) missing from the install tree" >&2
  exit 1
fi
