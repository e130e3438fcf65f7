#!/bin/sh
# Every AppStream screenshot the metainfo names is a file under
# docs/screenshots/ (the PNGs the ui tests capture).
#   check-metainfo-screenshots.sh SOURCE_ROOT
set -u
src=$1
n=0
status=0
for url in $(sed -n 's|.*<image>\(.*\)</image>.*|\1|p' "$src/data/io.github.regardapp.Regard.metainfo.xml.in"); do
  n=$((n + 1))
  file="$src/docs/screenshots/$(basename "$url")"
  case "$url" in
    */docs/screenshots/*) ;;
    *) echo "not under docs/screenshots: $url"; status=1; continue ;;
  esac
  if [ -f "$file" ]; then echo "ok $file"; else echo "missing: $file"; status=1; fi
done
[ $n -gt 0 ] || { echo "no screenshots in the metainfo"; exit 1; }
exit $status
