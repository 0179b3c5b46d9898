"""Compare two .xlsx files part by part, for golden-file tests.

Both files are unzipped; they must hold the same part names. Each XML part is parsed (with
defusedxml) and compared in canonical form (C14N 2.0), so attribute order and insignificant
serialisation details do not matter but every element, attribute and text does. Volatile
metadata is ignored: docProps/core.xml's dcterms:modified and docProps/app.xml's AppVersion.
The creation date is compared: golden files are written with a fixed one.

    from golden.compare import compare_xlsx

    assert compare_xlsx(fresh_bytes, GOLDEN) == []
"""

from __future__ import annotations

import difflib
import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DefusedET

XML_SUFFIXES = (".xml", ".rels", ".vml")
# (part name, namespace URI, local name) of elements whose text changes on every write.
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VOLATILE: tuple[tuple[str, str, str], ...] = (
    ("docProps/core.xml", "http://purl.org/dc/terms/", "modified"),
    ("docProps/app.xml", EXTENDED, "AppVersion"),
)
MAX_DIFF_LINES = 12


def _parts(source: bytes | Path) -> dict[str, bytes]:
    data = source.read_bytes() if isinstance(source, Path) else source
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _drop_volatile(part: str, root: Element) -> None:
    for name, ns, local in VOLATILE:
        if name != part:
            continue
        for parent in root.iter():
            for child in list(parent):
                if child.tag == f"{{{ns}}}{local}":
                    parent.remove(child)


def canonical_xml(part: str, data: bytes) -> str:
    """The part's XML in canonical form, without its volatile elements."""
    root = DefusedET.fromstring(data)  # refuses DTDs and entities before anything else reads it
    if any(name == part for name, _, _ in VOLATILE):
        _drop_volatile(part, root)
        return ET.canonicalize(ET.tostring(root, encoding="unicode"))
    # Canonicalise the original text, so a diff shows the part's own namespace prefixes.
    return ET.canonicalize(data.decode("utf-8"))


def _diff(part: str, actual: str, expected: str) -> str:
    # Break between tags so a diff shows the element that differs, not one enormous line.
    a_lines = actual.replace("><", ">\n<").splitlines()
    e_lines = expected.replace("><", ">\n<").splitlines()
    diff = list(difflib.unified_diff(e_lines, a_lines, "expected", "actual", n=1, lineterm=""))[2:]
    shown = "\n".join(line[:200] for line in diff[:MAX_DIFF_LINES])
    more = (
        f"\n... {len(diff) - MAX_DIFF_LINES} more diff lines" if len(diff) > MAX_DIFF_LINES else ""
    )
    return f"{part}: XML differs\n{shown}{more}"


def compare_xlsx(actual: bytes | Path, expected: Path) -> list[str]:
    """Differences between two workbooks, one message per differing part; [] when equal."""
    got, want = _parts(actual), _parts(expected)
    problems: list[str] = []
    problems += [
        f"{name}: only in the actual workbook" for name in sorted(got.keys() - want.keys())
    ]
    problems += [
        f"{name}: missing from the actual workbook" for name in sorted(want.keys() - got.keys())
    ]
    for name in sorted(got.keys() & want.keys()):
        a, e = got[name], want[name]
        if a == e:
            continue
        if name.endswith(XML_SUFFIXES):
            try:
                ca, ce = canonical_xml(name, a), canonical_xml(name, e)
            except ET.ParseError:
                problems.append(f"{name}: differs and is not well-formed XML")
                continue
            if ca != ce:
                problems.append(_diff(name, ca, ce))
        else:
            problems.append(f"{name}: binary part differs ({len(a)} vs {len(e)} bytes)")
    return problems
