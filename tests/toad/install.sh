#!/usr/bin/env bash
# Install Toad (batrachian-toad, an ACP front end) for tests/test_acp_toad.py, in its own
# virtual environment: TOAD_HOME (default /opt/agent-toad), toad at $TOAD_HOME/bin/toad.
# Toad asks for Python 3.14; none is offered by Debian 12 or PyPI, so it runs on 3.13 with
# the shims of on_python313.py. Without a Python 3.13 this says so and exits 0 (the test
# then skips, naming why).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
home="${TOAD_HOME:-/opt/agent-toad}"
version="0.6.20"
if [ -x "$home/bin/toad" ]; then exit 0; fi
python313=""
for candidate in "$HOME"/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.13 \
                 /usr/local/bin/python3.13; do
  if [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)'
  then python313="$candidate"; fi
done
if [ -z "$python313" ]; then
  echo "tests/toad/install.sh: no python3.13 here; Toad is not installed" >&2
  exit 0
fi
"$python313" -m venv "$home"
"$home/bin/pip" install -q --ignore-requires-python "batrachian-toad==$version"
site="$("$home/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$home/bin/python" "$here/on_python313.py" "$site" "$home/bin/python"
"$home/bin/toad" --version
