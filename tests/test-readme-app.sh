#!/bin/sh
# The README's app commands, exactly as printed, from a fresh build folder:
# each must open the Regard window (no "schema not installed" abort), and
# LANGUAGE=fr must find the build folder's French catalog.
#   test-readme-app.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1
build=$2

if [ -z "${DISPLAY:-}" ]; then
  echo "No X display: skipping (run under xvfb-run)"
  exit 77
fi
command -v xwininfo >/dev/null || { echo "xwininfo (x11-utils) is missing"; exit 1; }

work=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# The README runs ./build/app/regard from the source root; CI's build
# folder has another name, so a `build` link stands in for it.
mkdir "$work/root"
ln -s "$(cd "$build" && pwd)" "$work/root/build"
ln -s "$src/tests" "$work/root/tests"
ln -s "$src/data" "$work/root/data"

# What a fresh shell has: none of the test harness's variables.
unset GSETTINGS_SCHEMA_DIR REGARD_LOCALEDIR G_DEBUG
export GSETTINGS_BACKEND=memory
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"
export GTK_A11Y=none NO_AT_BRIDGE=1 ADW_DISABLE_PORTAL=1

# The app section's lines, with its placeholders filled in.
lines=$(sed -n '/^## The app/,/^## /p' "$src/README.md" | grep '^\./build/app/regard' | sed 's/ *#.*$//')
[ -n "$lines" ] || { echo "no app command in the README"; exit 1; }

status=0
n=0
echo "$lines" | while IFS= read -r line; do
  n=$((n + 1))
  cmd=$(echo "$line" | sed -e 's|DIR|tests/fixtures/idefics2-tiny|' \
                           -e 's|IMAGE\.\.\.|data/examples/screenshot.png|' \
                           -e 's|SCREENSHOT\.png|data/examples/screenshot.png|')
  echo "README: $line"
  echo "  runs: $cmd"
  (cd "$work/root" && exec sh -c "exec $cmd" > "$work/log$n" 2>&1) &
  pid=$!
  found=0
  for i in $(seq 1 100); do
    if ! kill -0 $pid 2>/dev/null; then
      break
    fi
    if xwininfo -root -tree 2>/dev/null | grep -q '"Regard"'; then
      found=1
      break
    fi
    sleep 0.2
  done
  kill $pid 2>/dev/null
  wait $pid 2>/dev/null
  cat "$work/log$n"
  if [ $found -ne 1 ]; then
    echo "  FAIL: no Regard window appeared"
    exit 1
  fi
  echo "  ok: the window appeared"
  # Let the X server forget the window before the next line.
  sleep 0.5
done || status=1

# Translations from the build folder.
fr=$(cd "$work/root" && LANGUAGE=fr LANG=C.UTF-8 LC_ALL=C.UTF-8 ./build/app/regard --help 2>&1)
echo "$fr"
if echo "$fr" | grep -q "Charger le modèle IDEFICS2"; then
  echo "ok: LANGUAGE=fr shows French"
else
  echo "FAIL: LANGUAGE=fr ./build/app/regard --help is not in French"
  status=1
fi
exit $status
