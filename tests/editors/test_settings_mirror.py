"""The editors' settings mirror daima/config.py: same names, same defaults, nothing the server rejects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from daima.config import Options, options_to_json, parse_options

EDITORS = Path(__file__).resolve().parents[2] / "editors"
DEFAULTS = options_to_json(Options())


def _vscode_settings() -> dict[str, Any]:
    manifest = json.loads((EDITORS / "vscode" / "package.json").read_text("utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    settings: dict[str, Any] = {}
    for key, spec in properties.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[1] in DEFAULTS:
            settings[f"{parts[1]}.{parts[2]}"] = spec.get("default")
    return settings


def test_every_vscode_option_setting_is_a_server_option_with_its_default() -> None:
    settings = _vscode_settings()
    assert len(settings) >= 10
    for name, default in settings.items():
        section, key = name.split(".")
        assert key in DEFAULTS[section], f"daima.{name} is not an option of daima/config.py"
        assert default == DEFAULTS[section][key], f"daima.{name} defaults differ"


def test_the_vscode_extension_sends_exactly_the_settings_it_declares() -> None:
    source = (EDITORS / "vscode" / "src" / "settings.ts").read_text("utf-8")
    sent = {
        f"{section}.{key}"
        for section, keys in re.findall(r"(\w+): \[([^\]]*)\]", source)
        for key in re.findall(r'"(\w+)"', keys)
    }
    assert sent == set(_vscode_settings())


def _lua_server_table() -> dict[str, dict[str, str]]:
    """The `server = { model = {...}, completion = {...}, index = {...} }` defaults of the Neovim plugin."""
    lua = (EDITORS / "neovim" / "lua" / "daima" / "config.lua").read_text("utf-8")
    body = lua[lua.index("server = {") :]
    tables: dict[str, dict[str, str]] = {}
    for section in DEFAULTS:
        if not isinstance(DEFAULTS[section], dict):
            continue
        start = body.index(f"{section} = {{") + len(f"{section} = {{")
        depth, end = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(body[end], 0)
            end += 1
        code = re.sub(r"--[^\n]*", "", body[start : end - 1])
        tables[section] = {k: v.strip() for k, v in re.findall(r"(\w+) = ((?:\{[^}]*\})|[^,\n]+),?", code)}
    return tables


def test_the_neovim_defaults_name_every_option_with_its_default() -> None:
    for section, entries in _lua_server_table().items():
        assert set(entries) == set(DEFAULTS[section]), f"Neovim server.{section} differs from daima/config.py"
        for key, value in entries.items():
            expected = DEFAULTS[section][key]
            if isinstance(expected, bool):
                assert value == str(expected).lower(), key
            elif isinstance(expected, (int, float)):
                assert float(value) == expected, key
            elif isinstance(expected, str):
                assert value == json.dumps(expected, ensure_ascii=False), key


def test_the_server_accepts_the_defaults_and_explains_bad_values() -> None:
    options, problems = parse_options(DEFAULTS)
    assert problems == [] and options == Options()
    options, problems = parse_options({"model": {"contextTokens": "很多"}, "completion": {"maxTokens": 9}})
    assert options.model == Options().model and options.completion.max_tokens == 9
    assert len(problems) == 1 and "model" in problems[0]
