#!/usr/bin/env bash
# Prepare build/gpu for benchmarks/gpu.sh: the Qwen tokenizer files and the pure-Python dependencies
# a bare CUDA machine with torch and transformers may lack (cattrs, attrs, platformdirs). ~12 MB.
set -euo pipefail
tok=$(python -c "from daima.model.fetch import ensure_model; print(ensure_model('qwen2.5-coder-0.5b'))")
site=$(python -c "import cattrs, os; print(os.path.dirname(os.path.dirname(cattrs.__file__)))")
rm -rf build/gpu && mkdir -p build/gpu/tok build/gpu/vendor
cp "$tok/tokenizer.json" "$tok/tokenizer_config.json" build/gpu/tok/
for package in cattrs attrs attr platformdirs; do cp -r "$site/$package" build/gpu/vendor/; done
find build/gpu -name __pycache__ -prune -exec rm -rf {} +
du -sh build/gpu
