#!/usr/bin/env bash
# Installs daima for the action into $RUNNER_TEMP/daima-venv, from this action's own checkout (never
# from the pull request). MODEL=none (rules only, or a remote engine) installs only what `daima review`
# needs: no torch or transformers, which take minutes and gigabytes. Versions come from requirements.lock.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/daima-venv"
python -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --constraint "$root/requirements.lock")
if [[ "${MODEL:-none}" == "none" ]]; then
  "${pip[@]}" --requirement "$root/editors/review-bot/requirements-rules.txt"
  "${pip[@]}" --no-deps "$root"
else
  "${pip[@]}" "$root"
fi
echo "$venv/bin" >> "${GITHUB_PATH:-/dev/null}"
