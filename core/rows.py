"""Model rows read with a plain query, converted and made into instances as ``raw()`` does, with
the per-query setup (the columns' converters, the model's field order) worked out once per
connection and column list instead of on every call.

The hot pages read a few rows each with a plain statement (composing them in the ORM cost more
than running them); ``Model.objects.raw()`` still compiled a converter list and resolved the
model's init order on every call, about as much CPU again as the query (bench/thread_pages.py).
"""

import weakref

from django.db import connections
from django.db.models.sql import Query

# Per connection (each thread has its own): the converters are the connection's backend's.
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
PLANS_PER_CONNECTION = 256


def _plan(connection, model, columns: tuple[str, ...]):
    plans = _plans.get(connection)
    if plans is None:
        plans = _plans[connection] = {}
    key = (model, columns)
    plan = plans.get(key)
    if plan is None:
        if len(plans) >= PLANS_PER_CONNECTION:
            plans.clear()
        fields = {f.column: f for f in model._meta.concrete_fields}
        compiler = connection.ops.compiler("SQLCompiler")(
            Query(model), connection, connection.alias
        )
        converters = compiler.get_converters(
            [fields[c].get_col(model._meta.db_table) if c in fields else None for c in columns]
        )
        converters = tuple(
            (i, tuple(functions), expression) for i, (functions, expression) in converters.items()
        )
        # raw() passes the fields in the model's order (from_db relies on it for a full row).
        order = {f.attname: n for n, f in enumerate(model._meta.concrete_fields)}
        init = sorted(
            ((i, fields[c].attname) for i, c in enumerate(columns) if c in fields),
            key=lambda pair: order[pair[1]],
        )
        names = [name for _, name in init]
        positions = [i for i, _ in init]
        extra = tuple((c, i) for i, c in enumerate(columns) if c not in fields)
        plan = plans[key] = (converters, names, positions, extra)
    return plan


def fetch(model, sql: str, params, *, using: str = "default") -> tuple[list[str], list[tuple]]:
    """The columns and rows of *sql*, the model's columns converted as ``raw()`` converts them
    (SQLite's dates and booleans); other columns as the driver returns them."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        to_name = connection.introspection.identifier_converter
        columns = tuple(to_name(c[0]) for c in cursor.description)
        rows = cursor.fetchall()
    converters = _plan(connection, model, columns)[0]
    if converters and rows:
        converted = []
        for row in rows:
            row = list(row)
            for i, functions, expression in converters:
                value = row[i]
                for function in functions:
                    value = function(value, expression, connection)
                row[i] = value
            converted.append(tuple(row))
        rows = converted
    return list(columns), rows


def instances(model, columns, rows, *, using: str = "default") -> list:
    """*rows* (from ``fetch``) as instances of *model*, made as ``raw()`` makes them: the model's
    columns as fields, the others as attributes."""
    connection = connections[using]
    _, names, positions, extra = _plan(connection, model, tuple(columns))
    made = []
    for values in rows:
        instance = model.from_db(using, names, [values[i] for i in positions])
        for column, i in extra:
            setattr(instance, column, values[i])
        made.append(instance)
    return made


def first(model, sql: str, params, *, using: str = "default"):
    """The first instance *sql* returns, or None (``next(iter(Model.objects.raw(...)), None)``)."""
    columns, rows = fetch(model, sql, params, using=using)
    return instances(model, columns, rows[:1], using=using)[0] if rows else None


def maker(model, names: tuple[str, ...], *, related: tuple[str, ...] = ()):
    """A function making a new, unsaved instance of *model* from the values of *names*
    (attnames, in that order) and the objects of *related* (foreign keys, by name): their ids
    set and the objects cached, as ``model(**values)`` does, other fields at their defaults
    (a callable one called per instance). Positional, as ``from_db`` makes them: keyword
    arguments and the related descriptors' checks were most of a bulk writer's instances."""
    fields = model._meta.concrete_fields
    index = {f.attname: i for i, f in enumerate(fields)}
    by_name = {f.name: f for f in fields}
    template, calls = [], []
    for i, f in enumerate(fields):
        if f.has_default() and callable(f.default):
            calls.append((i, f.default))
        template.append(None if f.has_default() and callable(f.default) else f.get_default())
    positions = [index[name] for name in names]
    links = [(index[by_name[name].attname], name) for name in related]

    def make(values, objects=()):
        args = template.copy()
        for i, value in zip(positions, values, strict=True):
            args[i] = value
        for i, call in calls:
            args[i] = call()
        for (i, _), obj in zip(links, objects, strict=True):
            args[i] = obj.pk
        instance = model(*args)
        cache = instance._state.fields_cache
        for (_, name), obj in zip(links, objects, strict=True):
            cache[name] = obj
        return instance

    return make
