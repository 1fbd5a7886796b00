# Sourced by scripts/run and scripts/test: makes .venv and installs a requirements file
# only when it changed since the last install.
ensure_venv() {
  local reqs=$1
  local py=${PYTHON:-python3}
  if ! command -v "$py" >/dev/null 2>&1; then
    echo "error: $py is not installed; install Python 3.11 or newer (Debian/Ubuntu: sudo apt install python3 python3-venv)" >&2
    exit 1
  fi
  if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: Python 3.11 or newer is needed, $("$py" --version) found; set PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv >/dev/null 2>&1 || {
      rm -rf .venv
      echo "error: could not create a virtual environment; install venv (Debian/Ubuntu: sudo apt install python3-venv)" >&2
      exit 1
    }
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  fi
  local stamp=".venv/.installed-$(basename "$reqs")"
  local sum
  sum=$(cat "$reqs" requirements.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    echo "Installing $reqs into .venv ..."
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$reqs" || {
      echo "error: installing $reqs failed (see above)" >&2
      exit 1
    }
    echo "$sum" >"$stamp"
  fi
}
