"""A fingerprint of the whole database, to show that two ways of seeding the demo left the same
result: per model, how many rows and a hash of their contents.

What differs between two equal seeds is left out: primary keys (an index rebuilt from scratch
numbers its rows anew), with a foreign key standing for the contents of the row it points at
rather than its number; dates and times (the demo is laid
out backwards from the moment it runs), password hashes (salted) and random tokens. JSON values
(the metrics snapshots behind the dashboards) are hashed with their timestamps and timings
removed; the figures stay in.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.apps import apps
from django.db import models

# Random by design: salted hashes, invitation and confirmation tokens, session keys.
VOLATILE_FIELD_NAMES = {"password", "token", "key", "session_key", "session_data", "secret"}
# The metrics' bookkeeping: how long a run took, a cache token drawn at random by every run, and
# the highest interaction id a run has read (an id, like a primary key: a vote made and taken
# back in the same seed uses up an id or not depending on how the votes are written).
VOLATILE_FIELD_PATTERN = re.compile(r"(^duration_ms|_token|_watermark)$")
# In a metrics snapshot's JSON: when and how long, not what; the interaction id read up to.
VOLATILE_JSON_KEYS = re.compile(
    r"(seconds|timing|duration|computed_at|_at$|^at$|elapsed|^interactions_upto$)"
)
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")


def _stable_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _stable_json(v)
            for k, v in sorted(value.items())
            if not VOLATILE_JSON_KEYS.search(str(k))
        }
    if isinstance(value, list):
        return [_stable_json(v) for v in value]
    if isinstance(value, str):
        return ISO_MOMENT.sub("<moment>", value)
    if isinstance(value, float):
        return round(value, 9)
    return value


def _kept_fields(model) -> list[models.Field]:
    kept = []
    for field in model._meta.concrete_fields:
        if field.primary_key and not field.is_relation:
            continue
        if isinstance(field, models.DateField | models.TimeField | models.DurationField):
            continue
        if field.name in VOLATILE_FIELD_NAMES or VOLATILE_FIELD_PATTERN.search(field.name):
            continue
        kept.append(field)
    return kept


def _row_text(row: tuple, fields: list[models.Field], targets: dict) -> str:
    values = []
    for field, value in zip(fields, row, strict=True):
        if isinstance(field, models.JSONField):
            value = _stable_json(value)
        elif field.many_to_one or field.one_to_one:
            value = targets.get(field.related_model, {}).get(value, value)
        elif isinstance(value, str):
            value = ISO_MOMENT.sub("<moment>", value)
        values.append(value)
    return json.dumps(values, default=str, sort_keys=True)


def _rows(model, fields: list[models.Field]):
    names = [f.attname for f in fields]
    return model._default_manager.values_list("pk", *names).iterator(chunk_size=2000)


def database_fingerprint() -> dict[str, dict[str, Any]]:
    """Return ``{"app.Model": {"rows": n, "hash": sha256}}`` for every model with rows."""
    chosen = [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]
    fields = {model: _kept_fields(model) for model in chosen}
    # What each row a foreign key points at holds (its own foreign keys as numbers), by pk.
    targets: dict = {}
    for model in chosen:
        for field in fields[model]:
            target = field.related_model
            if (field.many_to_one or field.one_to_one) and target not in targets:
                own = _kept_fields(target)
                targets[target] = {
                    pk: hashlib.sha256(_row_text(tuple(rest), own, {}).encode()).hexdigest()[:16]
                    for pk, *rest in _rows(target, own)
                }
    result: dict[str, dict[str, Any]] = {}
    for model in chosen:
        texts = sorted(
            _row_text(tuple(rest), fields[model], targets)
            for _pk, *rest in _rows(model, fields[model])
        )
        if not texts:
            continue
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
        result[model._meta.label] = {"rows": len(texts), "hash": digest}
    return result


def fingerprint_differences(before: dict, after: dict) -> list[str]:
    """Say, model by model, where two fingerprints differ (an empty list: equivalent)."""
    lines = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label), after.get(label)
        if old == new:
            continue
        old_rows = old["rows"] if old else 0
        new_rows = new["rows"] if new else 0
        what = "rows differ" if old_rows != new_rows else "same rows, contents differ"
        lines.append(f"{label}: {old_rows} -> {new_rows} ({what})")
    return lines
