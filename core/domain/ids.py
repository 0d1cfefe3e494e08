"""Global IDs of rows: ``base64("<GraphQL type>:<key>")``, the Relay format the API shows,
encoded and decoded here without a GraphQL library."""

from __future__ import annotations

import base64
import binascii

from bocage.core.domain.errors import Code, Invalid


def global_id(object_type: str, object_id: object) -> str:
    """The global ID of the row ``object_id`` of the GraphQL type ``object_type``."""
    return base64.b64encode(f"{object_type}:{object_id}".encode()).decode()


def parse_global_id(value: str) -> tuple[str, str]:
    """The type name and key of a global ID; :class:`ValueError` if it is not one."""
    try:
        decoded = base64.b64decode(value.encode()).decode()
    except (binascii.Error, UnicodeError) as error:
        raise ValueError(f"{value!r} is not a global ID") from error
    type_name, colon, key = decoded.partition(":")
    if not colon:
        raise ValueError(f"{value!r} is not a global ID")
    return type_name, key


#: The largest key of a table's integer primary key (PostgreSQL ``integer``).
MAX_ROW_KEY = 2**31 - 1


def row_key(text: str) -> int:
    """The database key written in a global ID's node part: a whole number from 1 to
    :data:`MAX_ROW_KEY` (a larger one names no row, and would overflow the database's
    parameter); ``ValueError`` otherwise."""
    key = int(text)
    if not 1 <= key <= MAX_ROW_KEY:
        raise ValueError(f"{text!r} is out of range")
    return key


def key_of(value: object, type_names: str | tuple[str, ...], field: str) -> tuple[str, int]:
    """The type name (one of ``type_names``) and database key of the global ID ``value``, or
    :class:`~bocage.core.domain.errors.Invalid` naming the input ``field``."""
    names = (type_names,) if isinstance(type_names, str) else type_names
    try:
        type_name, key = parse_global_id(str(value))
        if type_name not in names:
            raise ValueError(type_name)
        return type_name, row_key(key)
    except ValueError:
        raise Invalid(
            Code.INVALID, f"{field}: {value!r} is not the ID of a {' or '.join(names)}", field
        ) from None
