"""What arrives: the paths given to `ipt check` and `ipt merge` as the files to check.

Returns come back by e-mail. This layer turns each path (a workbook, a saved e-mail: .eml,
Outlook's .msg, an mbox file, or a folder of any of these) into `Received` items: a file's
name, the exact bytes received and where they came from, each read once and bounded by
`IntakeLimits`. It decides nothing about returns: the safe-open gate and the checks do.
A return identifies itself by its manifest, never by who sent it.

It imports only the core, and excel/ for the one way a file is read (safe_open.read_file).
"""

from ipt_excel.intake.gather import gather
from ipt_excel.intake.items import IntakeLimits, Mail, Received, Refusal

__all__ = ["IntakeLimits", "Mail", "Received", "Refusal", "gather"]
