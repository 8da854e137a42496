#!/usr/bin/env bash
# One command for a CUDA machine: the GPU tests, then the typing-replay benchmark on random weights of
# the real Qwen2.5-Coder 1.5B and 7B shapes, with both baselines. Results go to $OUT (JSON + logs).
# Works on a machine where daima is not installed: it maps the `daima` namespace over the checkout and
# uses build/gpu (tokenizer files and pure-Python dependencies, made by benchmarks/gpu_prep.sh).
# Usage: OUT=/tmp/out SHAPES="qwen2.5-coder-1.5b qwen2.5-coder-7b" LINES=6 benchmarks/gpu.sh
set -uo pipefail
OUT=${OUT:-$PWD/build/out}
SHAPES=${SHAPES:-"qwen2.5-coder-1.5b qwen2.5-coder-7b"}
LINES=${LINES:-6}
TESTS=${TESTS:-1}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"
NS=$(mktemp -d)
mkdir -p "$NS/daima" "$NS/cache/models/qwen2.5-coder-0.5b"
cp daima/*.py "$NS/daima/"
for part in model lsp completion indexer review; do ln -s "$PWD/$part" "$NS/daima/$part"; done
# Only the tokenizer travels (weights are random); the marker lets ensure_model() find it offline.
cp build/gpu/tok/* "$NS/cache/models/qwen2.5-coder-0.5b/"
echo '{"alias": "qwen2.5-coder-0.5b", "tokenizer_only": true}' >"$NS/cache/models/qwen2.5-coder-0.5b/daima-model.json"
# -P below: the checkout's own daima/ (without model/ inside) must not shadow the mapped namespace.
export PYTHONPATH="$NS:$PWD/build/gpu/vendor" DAIMA_CACHE_DIR="$NS/cache"
python -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, torch.cuda.get_device_name())" | tee "$OUT/env.txt"
if [ "$TESTS" = 1 ]; then
  python -P -m pytest -q -p no:cacheprovider -rs tests/model/test_gpu.py 2>&1 | tail -15 | tee "$OUT/gpu_tests.txt"
fi
gpu=$(python -c "import torch; print(torch.cuda.get_device_name().split()[1])")
for shape in $SHAPES; do
  python -P -m daima.model.bench_cli --model "$shape" --random --device cuda --lines "$LINES" $EXTRA \
    --out "$OUT/bench_${shape}_random_${gpu}.json" 2>&1 | grep -v "Loading weights" | tail -60
done
if [ "${FLOOR:-1}" = 1 ]; then  # the engine's floor: prompts with nothing after the cursor
  python -P -m daima.model.bench_cli --model qwen2.5-coder-1.5b --random --device cuda --lines "$LINES" \
    --suffix-share 0 --no-baselines --out "$OUT/bench_qwen2.5-coder-1.5b_random_${gpu}_no_suffix.json" 2>&1 | tail -30
fi
