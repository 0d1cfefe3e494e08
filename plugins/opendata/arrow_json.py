"""NDJSON lines from Arrow record batches, written by Arrow's compute functions (C++, without
the GIL, no Python object per value), with orjson's bytes: the bytes of
:func:`bocage.plugins.opendata.exports.rows_to_ndjson` for the same rows.

Each column becomes its JSON texts at once (integers, booleans and dates as Arrow casts
them; texts with their quotes and backslashes escaped; times as ``YYYY-MM-DDTHH:MM:SS``, a
fraction of six digits when there is one, ``Z``), then one function joins every row's
pieces into its line. What Arrow would write otherwise than orjson, orjson writes, value by
value: a text holding a control character, a float outside the common notation
(:func:`_floats`). The lines of a batch are one buffer: its bytes are taken as they are.

The columns must have the types of the export's Parquet schema
(:func:`bocage.plugins.opendata.exports.parquet_schema`): ``int64``, ``float64``,
``string``, ``bool``, ``date32`` and ``timestamp[us, tz=UTC]``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

#: A control character: orjson escapes it (``\\n``, ``\\u0001``...), which Arrow does not.
_CONTROL = re.compile(rb"[\x00-\x1f]")
#: Floats whose text Arrow writes as orjson does when not integral (orjson's shortest digits,
#: in positional notation; Arrow turns to an exponent for some of them from 1e10: those
#: are checked for and written by orjson).
_FIXED_FROM, _FIXED_TO = 1e-4, 1e16
#: Integral floats written as an integer and ".0" (orjson drops the ".0" from 2**53).
_INTEGRAL_TO = 2.0**53


#: Rows written at once: Arrow's arrays of each step (a column's texts, the lines) hold this
#: many rows, a few MB (a batch of 32,768 rows at once held 20 MiB more at its peak).
ROWS = 8_192


def slices(batch: Any) -> list[Any]:
    """``batch`` in slices of at most :data:`ROWS` rows (views: nothing is copied)."""
    return [batch.slice(start, ROWS) for start in range(0, batch.num_rows, ROWS)]


def ndjson(batch: Any) -> bytes:
    """The NDJSON lines of ``batch`` (each ended by a line feed)."""
    import pyarrow.compute as pc

    if batch.num_columns == 0:
        return b"{}\n" * batch.num_rows
    if batch.num_rows == 0:
        return b""
    parts: list[Any] = []
    literal = "{"  # the bytes before the next value: keys, commas, quotes
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        text, quoted = _texts(column)
        literal += orjson.dumps(name).decode() + ":"
        if quoted and column.null_count:  # a null is null: quotes round the values alone
            text = pc.binary_join_element_wise(_scalar('"'), text, _scalar('"'), "")
            quoted = False
        if column.null_count:
            text = pc.fill_null(text, "null")
        parts += [_scalar(literal + ('"' if quoted else "")), text]
        literal = ('"' if quoted else "") + ","
    parts.append(_scalar(literal[:-1] + "}\n"))
    lines = pc.binary_join_element_wise(*parts, "")
    offsets, data = lines.buffers()[1:3]
    first, last = _offsets(offsets, lines.offset, len(lines))
    return data[first:last].to_pybytes()


def _scalar(text: str) -> Any:
    import pyarrow as pa

    return pa.scalar(text, pa.string())


def _offsets(buffer: Any, offset: int, length: int) -> tuple[int, int]:
    import numpy as np

    values = np.frombuffer(buffer, dtype=np.int32, count=offset + length + 1)
    return int(values[offset]), int(values[offset + length])


def _texts(column: Any) -> tuple[Any, bool]:
    """A column's JSON texts (null where the value is null), and whether quotes go round
    them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind):
        return _strings(column), True
    if pa.types.is_floating(kind):
        return _floats(column), False
    if pa.types.is_timestamp(kind):
        return _times(column), True
    if pa.types.is_date32(kind):
        return pc.cast(column, pa.string()), True
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return pc.cast(column, pa.string()), False  # booleans: "true", "false"
    raise TypeError(f"no JSON text for a column of {kind}")


def _strings(column: Any) -> Any:
    """Texts with ``\\`` and ``"`` escaped; those with a control character by orjson."""
    import pyarrow as pa
    import pyarrow.compute as pc

    escaped = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
    values = column.buffers()[2]
    if values is None or not _CONTROL.search(memoryview(values)):
        return escaped
    control = pc.fill_null(pc.match_substring_regex(column, r"[\x00-\x1f]"), False)
    texts = [orjson.dumps(v)[1:-1].decode() for v in column.filter(control).to_pylist()]
    return pc.replace_with_mask(escaped, control, pa.array(texts, pa.string()))


def _floats(column: Any) -> Any:
    """Floats as orjson writes them: ``3.0`` for an integral value below 2**53 (Arrow writes
    ``3``), Arrow's text for the others in positional notation; orjson's for the rest
    (exponents, zero's sign, NaN and the infinities: null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    size = pc.abs(column)
    integral = pc.and_(
        pc.equal(pc.trunc(column), column),
        pc.and_(pc.greater(size, 0), pc.less(size, _INTEGRAL_TO)),
    )
    text = pc.cast(column, pa.string())
    whole = pc.binary_join_element_wise(
        pc.cast(pc.cast(pc.if_else(integral, column, 0.0), pa.int64()), pa.string()),
        _scalar(".0"),
        "",
    )
    plain = pc.and_(
        pc.and_(pc.greater_equal(size, _FIXED_FROM), pc.less(size, _FIXED_TO)),
        pc.invert(pc.match_substring(text, "e")),
    )
    text = pc.if_else(integral, whole, text)
    # neither integral nor plain, and a value: orjson's text
    other = pc.fill_null(pc.invert(pc.or_(integral, plain)), False)
    if not pc.any(other).as_py():
        return text
    texts = [orjson.dumps(v).decode() for v in column.filter(other).to_pylist()]
    return pc.replace_with_mask(text, other, pa.array(texts, pa.string()))


def _times(column: Any) -> Any:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``: UTC, a fraction when there is one (orjson's
    ``OPT_UTC_Z``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    naive = pc.cast(column, pa.timestamp("us"))  # the same instants, in UTC, without a zone
    text = pc.cast(naive, pa.string())  # "2024-01-02 03:04:05.250000"
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    whole = pc.ends_with(text, ".000000")
    text = pc.if_else(whole, pc.utf8_slice_codeunits(text, 0, 19), text)
    return pc.binary_join_element_wise(text, _scalar("Z"), "")
