"""Operations the apps' migrations share."""

from django.db import migrations


def single_column_indexes(schema_editor, table: str, column: str) -> list[str]:
    """The names of the plain indexes on *column* of *table* alone (a foreign key's own)."""
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, table)
    return sorted(
        name
        for name, c in found.items()
        if c["index"] and not c["unique"] and not c["primary_key"] and c["columns"] == [column]
    )


def foreign_key_indexes_dropped(app_label: str, fields: list[tuple[str, str]]):
    """A reversible operation dropping the own index of each foreign key *(model, field)* of
    *app_label*, found by introspection; backwards, it is made again with Django's own name.

    Only the index, where ``AlterField(db_index=False)`` would make SQLite remake the whole
    table, which the activity triggers on it refuse. Pair it with those ``AlterField``s as
    state operations (``SeparateDatabaseAndState``)."""

    def drop(apps, schema_editor):
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            column = model._meta.get_field(field_name).column
            for name in single_column_indexes(schema_editor, model._meta.db_table, column):
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def create(apps, schema_editor):
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            field = model._meta.get_field(field_name)
            if not single_column_indexes(schema_editor, model._meta.db_table, field.column):
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.RunPython(drop, create)
