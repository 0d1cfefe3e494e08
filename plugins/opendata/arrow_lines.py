"""NDJSON and CSV lines from Arrow record batches, written by Arrow's compute functions (C++,
without the GIL, no Python object per value), with the bytes of the generic path: orjson's
for :func:`ndjson` (:func:`bocage.plugins.opendata.exports.rows_to_ndjson`), Python's CSV
writer's with the core's cell rule for :func:`csv` (:class:`bocage.core.api.CsvWriter`).

Each column becomes its texts at once (integers and dates as Arrow casts them; texts escaped
or quoted; times as ``YYYY-MM-DDTHH:MM:SS``, a fraction of six digits when there is one,
``Z``; floats in positional notation), then one function joins every row's pieces into its
line. What Arrow would write otherwise than the generic path, Python writes, value by value:
a JSON text holding a control character, a CSV text whose first character may start a
formula (or is a space, or none), a float Arrow writes with an exponent, an integral one, and
NaN and the infinities. The lines of a batch are one buffer: its bytes are taken as they are.

The columns must have the types of the export's Parquet schema
(:func:`bocage.plugins.opendata.exports.parquet_schema`): ``int64``, ``float64``,
``string``, ``bool``, ``date32`` and ``timestamp[us, tz=UTC]``.

The export processes of :mod:`.arrow_child` write NDJSON with this module: it imports
nothing of Bocage's but, for CSV, the contract's cell rule (when a CSV text needs it).
"""

from __future__ import annotations

import csv as csv_module
import io
import re
from collections.abc import Callable
from typing import Any

import orjson

#: A control character: orjson escapes it (``\\n``, ``\\u0001``...), which Arrow does not.
_CONTROL = re.compile(rb"[\x00-\x1f]")
#: Floats whose text Arrow writes as orjson and ``repr`` do when not integral (the shortest
#: digits, in positional notation; Arrow turns to an exponent for some of them from 1e10:
#: those are checked for and written by Python).
_FIXED_FROM, _FIXED_TO = 1e-4, 1e16
#: Integral floats written as an integer and ".0" (orjson drops the ".0" from 2**53, and
#: ``repr`` turns to an exponent from 1e16).
_INTEGRAL_TO = 2.0**53
#: The first characters of a CSV text Arrow writes as it is (but for quoting): from "0" up
#: to the first whitespace or formula trigger above U+00FF, less those in between (the
#: core's rule looks at whitespace and triggers only, :func:`csv_cell`).
_SUSPECT = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "=+-@\t\r＝＋－＠"
_PLAIN_FROM = "0"
_PLAIN_TO = chr(min(ord(c) for c in _SUSPECT if ord(c) > 0xFF))
_PLAIN_BUT = sorted({c for c in _SUSPECT if _PLAIN_FROM <= c < _PLAIN_TO})
#: What makes Python's CSV writer quote a cell.
_QUOTED = ('"', ",", "\n", "\r")

#: Rows written at once: Arrow's arrays of each step (a column's texts, the lines) hold this
#: many rows, a few MB (a batch of 32,768 rows at once held 20 MiB more at its peak).
ROWS = 8_192


def slices(batch: Any) -> list[Any]:
    """``batch`` in slices of at most :data:`ROWS` rows (views: nothing is copied)."""
    return [batch.slice(start, ROWS) for start in range(0, batch.num_rows, ROWS)]


# -- NDJSON --------------------------------------------------------------------------------


def ndjson(batch: Any) -> bytes:
    """The NDJSON lines of ``batch`` (each ended by a line feed), as orjson writes them."""
    import pyarrow.compute as pc

    if batch.num_columns == 0:
        return b"{}\n" * batch.num_rows
    if batch.num_rows == 0:
        return b""
    parts: list[Any] = []
    literal = "{"  # the bytes before the next value: keys, commas, quotes
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        text, quoted = _json_texts(column)
        literal += orjson.dumps(name).decode() + ":"
        if quoted and column.null_count:  # a null is null: quotes round the values alone
            text = pc.binary_join_element_wise(_scalar('"'), text, _scalar('"'), "")
            quoted = False
        if column.null_count:
            text = pc.fill_null(text, "null")
        parts += [_scalar(literal + ('"' if quoted else "")), text]
        literal = ('"' if quoted else "") + ","
    parts.append(_scalar(literal[:-1] + "}\n"))
    return _joined(parts)


def _json_texts(column: Any) -> tuple[Any, bool]:
    """A column's JSON texts (null where the value is null), and whether quotes go round
    them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind):
        return _json_strings(column), True
    if pa.types.is_floating(kind):
        return _floats(column, orjson.dumps), False
    if pa.types.is_timestamp(kind):
        return _times(column), True
    if pa.types.is_date32(kind):
        return pc.cast(column, pa.string()), True
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return pc.cast(column, pa.string()), False  # booleans: "true", "false"
    raise TypeError(f"no JSON text for a column of {kind}")


def _json_strings(column: Any) -> Any:
    """Texts with ``\\`` and ``"`` escaped; those with a control character by orjson."""
    import pyarrow as pa
    import pyarrow.compute as pc

    escaped = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
    if not _CONTROL.search(_values(column)):
        return escaped
    control = pc.fill_null(pc.match_substring_regex(column, r"[\x00-\x1f]"), False)
    texts = [orjson.dumps(v)[1:-1].decode() for v in column.filter(control).to_pylist()]
    return pc.replace_with_mask(escaped, control, pa.array(texts, pa.string()))


# -- CSV -----------------------------------------------------------------------------------


def csv(batch: Any) -> bytes:
    """The CSV lines of ``batch`` (each ended by ``\\r\\n``), as the core's CSV writer writes
    them: Python's quoting, the formula rule, ``True``/``False``, floats as ``repr``, an empty
    cell for null. (One column: Python writes an empty text as ``""``; not for this.)"""
    import pyarrow.compute as pc

    if batch.num_rows == 0:
        return b""
    if batch.num_columns < 2:
        raise ValueError("CSV lines of one column are Python's (an empty text is quoted)")
    parts: list[Any] = []
    for i, column in enumerate(batch.columns):
        text = _csv_texts(column)
        if column.null_count:
            text = pc.fill_null(text, "")
        parts += ([_scalar(",")] if i else []) + [text]
    parts.append(_scalar("\r\n"))
    return _joined(parts)


def _csv_texts(column: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind):
        return _csv_strings(column)
    if pa.types.is_floating(kind):
        return _floats(column, lambda value: repr(value).encode())
    if pa.types.is_timestamp(kind):
        return _times(column)
    if pa.types.is_boolean(kind):
        return pc.if_else(column, _scalar("True"), _scalar("False"))
    if pa.types.is_date32(kind) or pa.types.is_integer(kind):
        return pc.cast(column, pa.string())
    raise TypeError(f"no CSV text for a column of {kind}")


def _csv_strings(column: Any) -> Any:
    """Texts as CSV cells: those whose first character is plain (:data:`_PLAIN_FROM`...)
    quoted by Arrow when they hold a quote, a comma or a line end; the others (a space, a
    formula's trigger, an empty text...) by the core's rule and Python's writer."""
    import pyarrow as pa
    import pyarrow.compute as pc

    first = pc.utf8_slice_codeunits(column, 0, 1)
    plain = pc.and_(
        pc.and_(pc.greater_equal(first, _PLAIN_FROM), pc.less(first, _PLAIN_TO)),
        pc.invert(pc.is_in(first, pa.array(_PLAIN_BUT, pa.string()))),
    )
    quote = None
    for character in _QUOTED:
        found = pc.match_substring(column, character)
        quote = found if quote is None else pc.or_(quote, found)
    text = column
    quoted = pc.fill_null(pc.and_(plain, quote), False)
    if pc.any(quoted).as_py():
        inner = pc.replace_substring(column.filter(quoted), '"', '""')
        wrapped = pc.binary_join_element_wise(_scalar('"'), inner, _scalar('"'), "")
        text = pc.replace_with_mask(text, quoted, wrapped)
    other = pc.fill_null(pc.invert(plain), False)
    if pc.any(other).as_py():
        cells = [_csv_cell(v) for v in column.filter(other).to_pylist()]
        text = pc.replace_with_mask(text, other, pa.array(cells, pa.string()))
    return text


def _csv_cell(text: str) -> str:
    """One text as the core's CSV writer writes it in a row of several cells."""
    from bocage.core.api import csv_cell  # here: the export processes never load the core

    buffer = io.StringIO()
    # the export's line end: the writer quotes a text holding one of its characters
    csv_module.writer(buffer, lineterminator="\r\n").writerow([csv_cell(text), ""])
    return buffer.getvalue()[:-3]  # less the empty second cell's comma, and the line end


# -- both ----------------------------------------------------------------------------------


def _floats(column: Any, write: Callable[[float], bytes]) -> Any:
    """Floats as orjson and ``repr`` write them where they agree: ``3.0`` for an integral
    value below 2**53 (Arrow writes ``3``), Arrow's text for the others in positional
    notation; ``write``'s for the rest (exponents, zero and its sign, NaN, the
    infinities)."""
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
    # neither integral nor plain, and a value: Python's text
    other = pc.fill_null(pc.invert(pc.or_(integral, plain)), False)
    if not pc.any(other).as_py():
        return text
    texts = [write(v).decode() for v in column.filter(other).to_pylist()]
    return pc.replace_with_mask(text, other, pa.array(texts, pa.string()))


def _times(column: Any) -> Any:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``: UTC, a fraction when there is one (orjson's
    ``OPT_UTC_Z``, and the generic path's text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    naive = pc.cast(column, pa.timestamp("us"))  # the same instants, in UTC, without a zone
    text = pc.cast(naive, pa.string())  # "2024-01-02 03:04:05.250000"
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    whole = pc.ends_with(text, ".000000")
    text = pc.if_else(whole, pc.utf8_slice_codeunits(text, 0, 19), text)
    return pc.binary_join_element_wise(text, _scalar("Z"), "")


def _scalar(text: str) -> Any:
    import pyarrow as pa

    return pa.scalar(text, pa.string())


def _values(texts: Any) -> memoryview:
    """The bytes of the values of an array of texts: its own, not those of the array it
    may be a slice of (whose buffer it shares)."""
    import numpy as np

    offsets, data = texts.buffers()[1:3]
    if data is None:
        return memoryview(b"")
    ends = np.frombuffer(offsets, dtype=np.int32, count=texts.offset + len(texts) + 1)
    return memoryview(data)[int(ends[texts.offset]) : int(ends[texts.offset + len(texts)])]


def _joined(parts: list[Any]) -> bytes:
    """Each row's pieces (arrays and texts) joined, the rows' lines as one buffer's bytes."""
    import pyarrow.compute as pc

    return bytes(_values(pc.binary_join_element_wise(*parts, "")))
