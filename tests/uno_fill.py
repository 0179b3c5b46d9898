"""Fill cells of a workbook through a real LibreOffice, as a person typing would.

Run by Debian's /usr/bin/python3 (the only Python that can ``import uno``), never by the
project's virtualenv. tests/libreoffice.py calls it; you can also run it by hand::

    echo '{"src": "in.xlsx", "dst": "out.xlsx", "edits": [{"cell": "B2", "text": "26/06/2012"}]}' \
        | /usr/bin/python3 tests/uno_fill.py

The job is one JSON object on stdin:

- ``src``, ``dst``: paths; ``dst`` is saved as Excel 2007-365 (.xlsx).
- ``sheet``: sheet to edit (default "Return").
- ``edits``: list of ``{"cell": "B2", "text": ...}`` (typed input: dates, numbers and ``=``
  formulas are interpreted in the job's locale), ``{"cell": ..., "formula": ...}`` (formula in
  English function names) or ``{"cell": ..., "string": ...}`` (literal text, never interpreted).
- ``read``: extra cells to read back after editing.
- ``unprotect``: false, or true / a password string to unprotect the sheet first.
- ``locale``: locale for typed input (default "en-GB", so 26/06/2012 is 26 June 2012).
- ``profile_dir``, ``pipe_name``: optional; unique ones are made when missing.

The result is one JSON object on stdout: per-edit results, sheet names, whether the sheet is
protected, and the values of the edited and read cells. Edits of locked cells on a protected
sheet are refused ({"refused": "locked"}) because UNO itself ignores sheet protection, and a
test that plays a person must not type where a person cannot.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

CONNECT_TIMEOUT_S = 60.0
EXIT_TIMEOUT_S = 15.0
XLSX_FILTER = "Calc MS Excel 2007 XML"

# Typed input is parsed with the profile's locale; setting it here (rather than relying on the
# machine's LANG) makes "26/06/2012" read as a UK date on every machine.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">\
<value>{locale}</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse">\
<value>{locale}</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">\
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def write_profile(profile_dir: Path, locale: str) -> str:
    """Seed a fresh LibreOffice profile with ``locale``; return its -env:UserInstallation URL."""
    user = profile_dir / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(
        _REGISTRY.format(locale=escape(locale)), encoding="utf-8"
    )
    return profile_dir.resolve().as_uri()


class _Terminated(Exception):
    """Raised from the SIGTERM handler so that ``finally`` blocks still stop soffice."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated(f"stopped by signal {signum}")


def _start_soffice(profile_url: str, pipe_name: str, log: Path) -> subprocess.Popen[bytes]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("soffice is not on PATH: install libreoffice-calc-nogui")
    with log.open("wb") as out:
        # Own session, so the whole tree (wrapper script, oosplash, soffice.bin) can be killed.
        return subprocess.Popen(
            [
                soffice,
                "--headless",
                "--invisible",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                f"-env:UserInstallation={profile_url}",
                f"--accept=pipe,name={pipe_name};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _connect(pipe_name: str, proc: subprocess.Popen[bytes], log: Path) -> Any:
    import uno
    from com.sun.star.connection import NoConnectException

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while True:
        try:
            return resolver.resolve(url)
        except NoConnectException:
            # A fresh profile can make soffice restart itself once (exit 81): keep waiting
            # until the deadline rather than trusting the first process's exit.
            if time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(
                    f"Could not connect to soffice within {CONNECT_TIMEOUT_S:.0f} s "
                    f"(exit code {proc.poll()}). Its output:\n{tail}"
                ) from None
            time.sleep(0.2)


def _props(**values: Any) -> tuple[Any, ...]:
    from com.sun.star.beans import PropertyValue

    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def _read_cell(doc: Any, sheet: Any, ref: str) -> dict[str, Any]:
    cell = sheet.getCellRangeByName(ref)
    kind = cell.Type.value  # EMPTY, VALUE, TEXT or FORMULA
    return {
        "cell": ref,
        "type": kind,
        "value": cell.getValue(),
        "string": cell.getString(),
        "formula": cell.getFormula(),
        "locked": bool(cell.CellProtection.IsLocked),
        "number_format": str(doc.getNumberFormats().getByKey(cell.NumberFormat).FormatString),
    }


def _apply_edit(sheet: Any, edit: dict[str, Any], protected: bool) -> dict[str, Any]:
    ref = str(edit["cell"])
    cell = sheet.getCellRangeByName(ref)
    # UNO writes through sheet protection; check the lock as LibreOffice's UI would.
    if protected and cell.CellProtection.IsLocked:
        return {"cell": ref, "refused": "locked"}
    if "text" in edit:
        # FormulaLocal is what the input line does: parse in the document's locale, so dates,
        # numbers, percentages and "=..." formulas are interpreted as typed by a person.
        cell.FormulaLocal = str(edit["text"])
    elif "formula" in edit:
        cell.setFormula(str(edit["formula"]))
    elif "string" in edit:
        cell.setString(str(edit["string"]))
    else:
        raise ValueError(f"Edit of {ref} needs one of 'text', 'formula' or 'string': {edit}")
    return {"cell": ref, "ok": True}


def _unprotect(sheet: Any, unprotect: bool | str) -> None:
    from com.sun.star.lang import IllegalArgumentException

    password = unprotect if isinstance(unprotect, str) else ""
    try:
        sheet.unprotect(password)
    except IllegalArgumentException as exc:
        raise RuntimeError(f"Sheet '{sheet.Name}' would not unprotect: wrong password") from exc


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Carry out one job (see the module docstring) and return the result."""
    import uno

    src = Path(job["src"]).resolve()
    dst = Path(job["dst"]).resolve()
    sheet_name = str(job.get("sheet", "Return"))
    edits: list[dict[str, Any]] = list(job.get("edits", []))
    unprotect: bool | str = job.get("unprotect", False)
    own_profile = "profile_dir" not in job
    profile_dir = Path(job.get("profile_dir") or tempfile.mkdtemp(prefix="ipt-lo-uno-"))
    pipe_name = str(job.get("pipe_name") or f"ipt_lo_{uuid.uuid4().hex}")
    log = profile_dir / "soffice.log"
    profile_url = write_profile(profile_dir, str(job.get("locale", "en-GB")))

    proc = _start_soffice(profile_url, pipe_name, log)
    desktop = None
    try:
        ctx = _connect(pipe_name, proc, log)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(str(src)), "_blank", 0, _props(Hidden=True)
        )
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {src}")
        try:
            names = list(doc.Sheets.getElementNames())
            if sheet_name not in names:
                raise RuntimeError(f"{src} has no sheet '{sheet_name}' (sheets: {names})")
            sheet = doc.Sheets.getByName(sheet_name)
            was_protected = bool(sheet.isProtected())
            if unprotect is not False and was_protected:
                _unprotect(sheet, unprotect)
            protected = bool(sheet.isProtected())
            results = [_apply_edit(sheet, edit, protected) for edit in edits]
            doc.calculateAll()
            dst.parent.mkdir(parents=True, exist_ok=True)
            doc.storeToURL(
                uno.systemPathToFileUrl(str(dst)), _props(FilterName=XLSX_FILTER, Overwrite=True)
            )
            refs = [str(e["cell"]) for e in edits] + [str(r) for r in job.get("read", [])]
            values = {ref: _read_cell(doc, sheet, ref) for ref in dict.fromkeys(refs)}
            return {
                "src": str(src),
                "dst": str(dst),
                "sheets": names,
                "sheet": sheet_name,
                "was_protected": was_protected,
                "protected": protected,
                "edits": results,
                "cells": values,
            }
        finally:
            doc.close(True)
    finally:
        _stop_soffice(desktop, proc)
        if own_profile:
            shutil.rmtree(profile_dir, ignore_errors=True)


def _stop_soffice(desktop: Any, proc: subprocess.Popen[bytes]) -> None:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:  # the bridge drops as soffice exits; that is success
            pass
    try:
        proc.wait(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pass
    # The wrapper may have exited while soffice.bin lives on: kill whatever is left of the group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def main() -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    job = json.load(sys.stdin)
    try:
        result = run(job)
    except Exception as exc:  # report any failure as JSON for the caller
        json.dump({"error": f"{type(exc).__name__}: {exc}"}, sys.stdout)
        return 1
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
