"""The manifest of an issued return: what was sent to whom, signed with the workspace key.

It travels inside the return (on a very hidden sheet) so a returned file can be matched to
what was issued: the plan, round and agency, the row IDs in order, a hash of each row's
locked plan text, and the update values as issued. The HMAC-SHA256 signature is over the
canonical JSON bytes, so any change to any of that makes verification fail. The key itself
lives only in the workspace and is never written into a workbook. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from ipt_excel.core.columns import DEFAULT_COLUMNS, ColumnSet, column_set_from_dict
from ipt_excel.core.sign_off import SignOffBlock, block_from_dict
from ipt_excel.errors import ColumnSetError, ManifestError

# Version 2 carries the column set the return was issued with, and the RAG scale; a version 1
# return (issued before plans had their own columns) has the default set.
MANIFEST_VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)
MAX_HEADER_ROW = 1000  # a return's title block is a few rows: anything far below is forged

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_V1_UPDATE_KEYS = ("progress", "rag", "evidence", "next_review")
_FIELDS: dict[str, type] = {
    "version": int,
    "plan_title": str,
    "round_name": str,
    "round_date": str,
    "agency": str,
    "agency_name": str,
    "issued_at": str,
    "sheet": str,
    "header_row": int,
    "rows": list,
}
_V2_FIELDS: dict[str, type] = {**_FIELDS, "columns": dict, "rag_scale": list}
# Version 3 adds the title block's lines, so a changed title is found like a changed cell.
_V3_FIELDS: dict[str, type] = {**_V2_FIELDS, "title": list}
# Version 4 adds the sign-off block: where its cells are, or {} when the plan asks for none.
_V4_FIELDS: dict[str, type] = {**_V3_FIELDS, "sign_off": dict}
_SEND_BACK = "Ask the agency to send back the return workbook they were sent."


@dataclass(frozen=True)
class ManifestRow:
    id: str
    locked_sha256: str  # locked_text_hash of the row's locked cells, as issued
    issued: dict[str, str]  # the update values as issued, by column key


@dataclass(frozen=True)
class Manifest:
    version: int
    plan_title: str
    round_name: str
    round_date: str  # ISO date
    agency: str  # Agency key
    agency_name: str
    issued_at: str  # ISO date-time
    sheet: str  # the sheet that holds the rows ("Return")
    header_row: int  # 1-based Excel row of the header
    rows: tuple[ManifestRow, ...]
    columns: ColumnSet = DEFAULT_COLUMNS  # the plan's columns when the return was issued
    rag_scale: tuple[str, ...] = ()  # () for a version 1 return: the plan's scale applies
    title: tuple[str, ...] = ()  # the title block's lines, as issued (version 3)
    # Where the sign-off is (version 4); None: the return asks for none (and any before 4).
    sign_off: SignOffBlock | None = None

    @property
    def row_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rows)


def locked_text_hash(values: list[str]) -> str:
    """SHA-256 of a row's locked cell texts, in return column order.

    A JSON list is unambiguous: no choice of cell texts can make two different rows encode
    the same, as joining with a separator could.
    """
    encoded = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _as_dict(m: Manifest) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if m.version >= 2:
        extra = {"columns": m.columns.to_dict(), "rag_scale": list(m.rag_scale)}
    if m.version >= 3:
        extra["title"] = list(m.title)
    if m.version >= 4:
        extra["sign_off"] = m.sign_off.to_dict() if m.sign_off is not None else {}
    return {
        **extra,
        "version": m.version,
        "plan_title": m.plan_title,
        "round_name": m.round_name,
        "round_date": m.round_date,
        "agency": m.agency,
        "agency_name": m.agency_name,
        "issued_at": m.issued_at,
        "sheet": m.sheet,
        "header_row": m.header_row,
        "rows": [
            {"id": r.id, "locked_sha256": r.locked_sha256, "issued": dict(r.issued)} for r in m.rows
        ],
    }


def canonical_bytes(m: Manifest) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8.

    Kept on the manifest once made (it is immutable): checking a return asks for them three
    times (reading it, verifying the signature, comparing with the ledger's record)."""
    made = m.__dict__.get("_canonical")
    if made is None:
        text = json.dumps(_as_dict(m), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        made = text.encode("utf-8")
        object.__setattr__(m, "_canonical", made)
    assert isinstance(made, bytes)
    return made


def to_json(m: Manifest) -> str:
    return canonical_bytes(m).decode("utf-8")


def _damaged(detail: str) -> ManifestError:
    # `detail` is for the coordinator's report; the first sentence is what an agency reads.
    return ManifestError(
        f"A hidden part of the return has been changed, so it cannot be checked ({detail}). "
        f"{_SEND_BACK}"
    )


def _row_from(raw: object, n: int, keys: tuple[str, ...]) -> ManifestRow:
    if not isinstance(raw, dict) or set(raw) != {"id", "locked_sha256", "issued"}:
        raise _damaged(f"row {n} is not a manifest row")
    rid, digest, issued = raw["id"], raw["locked_sha256"], raw["issued"]
    if not isinstance(rid, str) or not rid:
        raise _damaged(f"row {n} has no ID")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise _damaged(f"row {rid} has no valid hash")
    if (
        not isinstance(issued, dict)
        or set(issued) != set(keys)
        or not all(isinstance(v, str) for v in issued.values())
    ):
        raise _damaged(f"row {rid} does not hold the values as issued")
    return ManifestRow(rid, digest, {k: issued[k] for k in keys})


def from_json(text: str | bytes) -> Manifest:
    """Read a manifest; raise ManifestError with a plain message on anything else."""
    try:
        raw = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_repeats)
    except _RepeatedField as exc:
        raise _damaged(str(exc)) from None
    except (ValueError, TypeError, RecursionError):
        # RecursionError: JSON nested thousands deep, which no manifest ever is.
        raise _damaged("it is not valid JSON") from None
    try:
        # A JSON escape such as \ud800 decodes to half a character, which cannot be signed,
        # written to a report or shown: refuse it before any of its text is used.
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _damaged("it holds text that is not valid Unicode") from None
    except RecursionError:
        raise _damaged("it is not valid JSON") from None
    if not isinstance(raw, dict):
        raise _damaged("it is not a manifest")
    version = raw.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > MANIFEST_VERSION:
        raise ManifestError(
            f"The return was made by a newer version of ipt_excel (manifest version {version}). "
            "Update ipt_excel, then try again."
        )
    expected = {2: _V2_FIELDS, 3: _V3_FIELDS, 4: _V4_FIELDS}.get(
        version,  # type: ignore[arg-type]
        _FIELDS,
    )
    if set(raw) != set(expected):
        missing = sorted(set(expected) - set(raw))
        extra = sorted(set(raw) - set(expected))
        detail = f"missing {', '.join(missing)}" if missing else f"unexpected {', '.join(extra)}"
        raise _damaged(detail)
    for name, kind in expected.items():
        value = raw[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _damaged(f"'{name}' has the wrong type")
    if version not in READABLE_VERSIONS:
        raise _damaged(f"unknown manifest version {version}")
    if not 1 <= raw["header_row"] <= MAX_HEADER_ROW:
        raise _damaged(f"the header row {raw['header_row']} is not a row of a return")
    columns, scale = DEFAULT_COLUMNS, ()
    if version >= 2:
        try:
            columns = column_set_from_dict(raw["columns"])
        except (ColumnSetError, TypeError, ValueError, AttributeError):
            raise _damaged("its list of columns cannot be read") from None
        if not all(isinstance(w, str) and w for w in raw["rag_scale"]):
            raise _damaged("its RAG scale cannot be read")
        scale = tuple(raw["rag_scale"])
    title: tuple[str, ...] = ()
    if version >= 3:
        if not all(isinstance(line, str) for line in raw["title"]):
            raise _damaged("its title lines cannot be read")
        title = tuple(raw["title"])
    sign_off: SignOffBlock | None = None
    if version >= 4:
        try:
            sign_off = block_from_dict(raw["sign_off"], raw["header_row"])
        except ValueError as exc:
            raise _damaged(str(exc)) from None
    keys = tuple(c.key for c in columns.updates) if version >= 2 else _V1_UPDATE_KEYS
    rows = tuple(_row_from(r, n, keys) for n, r in enumerate(raw["rows"], start=1))
    ids = [r.id for r in rows]
    if len(set(ids)) != len(ids):
        raise _damaged("a row ID is listed twice")
    manifest = Manifest(
        version=version,
        plan_title=raw["plan_title"],
        round_name=raw["round_name"],
        round_date=raw["round_date"],
        agency=raw["agency"],
        agency_name=raw["agency_name"],
        issued_at=raw["issued_at"],
        sheet=raw["sheet"],
        header_row=raw["header_row"],
        rows=rows,
        columns=columns,
        rag_scale=scale,
        title=title,
        sign_off=sign_off,
    )
    return manifest


class _RepeatedField(ValueError):
    pass


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose fields are each given once: a field given twice could be read one
    way when signed and another when used."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedField(f"the field {ascii(key)[:60]} is given twice")
        out[key] = value
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in a manifest")


def sign(m: Manifest, key: bytes) -> str:
    """HMAC-SHA256 of the canonical bytes, as lower-case hex."""
    return hmac.new(key, canonical_bytes(m), hashlib.sha256).hexdigest()


def verify(m: Manifest, signature: str, key: bytes) -> bool:
    """True only if `signature` was made with `key` over exactly this manifest."""
    if not isinstance(signature, str):
        return False
    # Bytes, not str: compare_digest refuses non-ASCII text, and a tampered cell may hold some.
    return hmac.compare_digest(sign(m, key).encode("ascii"), signature.strip().encode("utf-8"))
