#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or explain how to get one and exit 1.
#
# Order: python3.13, python3.12 on PATH; then any pyenv-installed 3.12+ version; then python3.
# Each candidate is run, not just located: a pyenv shim exists on PATH even when the version
# it names is not selected, and a Debian python3.x may lack the venv module.
set -euo pipefail

min_major=3
min_minor=12

usable() {
  "$1" - "$min_major" "$min_minor" >/dev/null 2>&1 <<'PY'
import sys
need = (int(sys.argv[1]), int(sys.argv[2]))
if sys.version_info[:2] < need:
    raise SystemExit(1)
import ensurepip
import venv
PY
}

resolve() {
  # A shim answers to sys.executable with the real interpreter path.
  "$1" -c 'import sys; print(sys.executable)'
}

candidates=()
for name in python3.13 python3.12; do
  if command -v "$name" >/dev/null 2>&1; then
    candidates+=("$(command -v "$name")")
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  # Newest first, so 3.13.x is tried before 3.12.x.
  while IFS= read -r version; do
    prefix=$(pyenv prefix "$version" 2>/dev/null) || continue
    candidates+=("$prefix/bin/python")
  done < <(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -t. -k1,1nr -k2,2nr -k3,3nr)
fi
if command -v python3 >/dev/null 2>&1; then
  candidates+=("$(command -v python3)")
fi

for candidate in "${candidates[@]}"; do
  if [ -x "$candidate" ] && usable "$candidate"; then
    resolve "$candidate"
    exit 0
  fi
done

cat >&2 <<MSG
error: Python ${min_major}.${min_minor}+ is needed (Mesa 3.4+ requires it), and none was found.
Tried: python3.13, python3.12, pyenv versions 3.12+, python3 (each must also have the venv module).
Get one, then run make again, for example:
  pyenv install 3.12            # with pyenv, or
  apt-get install -y python3.12 python3.12-venv   # on a Debian/Ubuntu release that ships it
MSG
exit 1
