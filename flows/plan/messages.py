"""A plan file's schema errors, said in Vietnamese: which key, what is allowed, and the nearest
valid key for a misspelt one (`increse` -> `increase`). jsonschema's own messages are English
and name Python values; a person editing plan.yaml needs the key and the fix."""

from __future__ import annotations

import difflib
from typing import Any

from jsonschema.exceptions import ValidationError

TYPES_VI = {
    "integer": "một số nguyên",
    "number": "một số",
    "string": "một chuỗi chữ",
    "boolean": "true hoặc false",
    "array": "một danh sách",
    "object": "một nhóm khoá (mapping)",
    "null": "để trống",
}


def key_path(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(cấp ngoài cùng)"


def _value(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"


def _nearest(word: str, allowed: list[str]) -> str | None:
    found = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return found[0] if found else None


def _schema_at(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node[part]
        return node
    return schema


def explain(error: ValidationError, root: dict) -> str:
    """One Vietnamese sentence for the most specific error of a plan."""
    where = key_path(error.absolute_path)
    schema = _schema_at(error.schema, root) if isinstance(error.schema, dict) else {}
    kind, expected = error.validator, error.validator_value
    value = error.instance
    described = f" Cần: {schema['x-vi']}." if schema.get("x-vi") else ""
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        key = extra[0] if extra else "?"
        full = f"{where}.{key}" if error.absolute_path else key
        near = _nearest(str(key), allowed)
        hint = f" Có phải ý là `{near}`?" if near else ""
        if not allowed:
            return f"{full}: khoá không hợp lệ ở đây.{hint}"
        return (f"{full}: khoá không có trong kế hoạch; các khoá được phép ở đây: "
                f"{', '.join(allowed)}.{hint}")
    if kind == "required":
        missing = [k for k in expected if isinstance(value, dict) and k not in value]
        key = missing[0] if missing else "?"
        full = f"{where}.{key}" if error.absolute_path else key
        props = schema.get("properties", {})
        desc = props.get(key, {}).get("x-vi") if isinstance(props, dict) else None
        return f"{full}: thiếu khoá bắt buộc" + (f" ({desc})" if desc else "") + "."
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        return (f"{where}: cần {' hoặc '.join(TYPES_VI.get(t, t) for t in wanted)}, nhận được"
                f" {_value(value)}.")
    if kind == "enum":
        options = ", ".join(str(o) for o in expected)
        near = _nearest(str(value), [str(o) for o in expected])
        hint = f" Có phải ý là `{near}`?" if near and near != str(value) else ""
        return f"{where}: cần một trong: {options}; nhận được {_value(value)}.{hint}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "không nhỏ hơn", "maximum": "không lớn hơn",
                 "exclusiveMinimum": "lớn hơn", "exclusiveMaximum": "nhỏ hơn"}[kind]
        return f"{where}: cần một số {words} {expected}; nhận được {_value(value)}.{described}"
    if kind in ("minLength", "minItems", "minProperties"):
        return f"{where}: không được để trống.{described}"
    if kind == "uniqueItems":
        return f"{where}: danh sách có giá trị lặp lại ({_value(value)}); mỗi giá trị một lần."
    if kind == "pattern":
        return f"{where}: {_value(value)} không đúng dạng.{described}"
    if kind == "oneOf" or kind == "anyOf":
        return f"{where}: giá trị {_value(value)} không hợp lệ.{described}"
    return f"{where}: giá trị {_value(value)} không hợp lệ ({error.message})."
