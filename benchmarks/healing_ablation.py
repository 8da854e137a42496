"""Token-healing ablation on the real Qwen2.5-Coder-0.5B: does a partly typed (Chinese) identifier
complete to the name that is defined, with healing (prompt backed off, forced prefix) and without?

Usage: .venv/bin/python benchmarks/healing_ablation.py [--device cpu] [--out FILE.json]
Greedy decoding, 8 new tokens per case; the prompt is daima's `build_prompt` in both arms, the naive arm
puts the backed-off text back into the prompt and forces nothing.
"""

import argparse
import json
import platform
import re
import time

from daima.completion.prompt import build_prompt
from daima.config import ModelOptions
from daima.model.api import GenerationRequest
from daima.model.loader import load_engine
from daima.text import TextDocument

BASE = '''class 购物车:
    def __init__(self):
        self.商品列表 = []

    def 添加商品(self, 商品):
        self.商品列表.append(商品)


def 计算总价(商品列表):
    """返回所有商品价格之和。"""
    return sum(商品.价格 for 商品 in 商品列表)


def 打印清单(商品列表):
    for 商品 in 商品列表:
        print(商品.名称, 商品.价格)


def 结账(车):
'''
CASES = [
    ("    总价 = 计算总", "计算总价"),
    ("    打印清", "打印清单"),
    ("    车.添加商", "添加商品"),
    ("    for 商品 in 车.商品列", "商品列表"),
    ("    print(计算", "计算总价"),
    ("    总价 = 计", "计算总价"),
    ("    打", "打印清单"),
    ("    车.添", "添加商品"),
    ("    return 计算总价(车.商品", "商品列表"),
    ("    结果 = 计算总价(车.商", "商品列表"),
]
parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cpu")
parser.add_argument("--out")
args = parser.parse_args()
e = load_engine(ModelOptions(name="qwen2.5-coder-0.5b", device=args.device))
results = {"healed": 0, "naive": 0}
rows = []
began = time.perf_counter()
for line, want in CASES:
    src = BASE + line
    doc = TextDocument("file:///a.py", src, language_id="python")
    off = len(src)
    p = build_prompt(doc, off, engine=e, language_id="python")
    word = re.search(r"\w+$", line).group()
    for kind in ("healed", "naive"):
        if kind == "healed":
            ids, forced = list(p.token_ids), p.forced_prefix
        else:
            ids, forced = (
                e.tokenize(p.text.replace("<|fim_suffix|>", p.forced_prefix + "<|fim_suffix|>", 1)),
                "",
            )
        out = e.stream(
            GenerationRequest(
                prompt=ids, max_tokens=8, forced_prefix=forced, stop=p.stop, stop_token_ids=p.stop_token_ids
            )
        ).text()
        inserted = out[len(forced) :] if kind == "healed" else out
        full = re.match(r"\w*", word + inserted).group()
        ok = full == want
        results[kind] += ok
        rows.append(
            {
                "arm": kind,
                "typed": line.strip(),
                "expected": want,
                "identifier": full,
                "ok": ok,
                "completion": inserted,
            }
        )
        print(kind, repr(line.strip()), "->", repr(inserted[:30]), "ident:", full, "OK" if ok else "WRONG")
print(json.dumps(results), "of", len(CASES))
if args.out:
    summary = {
        "model": "qwen2.5-coder-0.5b-instruct (Q4_K_M GGUF dequantized)",
        "device": args.device,
        "machine": platform.machine(),
        "cases": len(CASES),
        "correct": results,
        "seconds": round(time.perf_counter() - began, 1),
        "rows": rows,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
