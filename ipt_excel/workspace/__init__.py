"""The workspace layer: the folder (paths, key, lock, atomic writes, output guard) and its
ledger. Imports only the core."""

from ipt_excel.workspace.folder import (
    DEFAULT_FEEDBACK_DIR,
    DEFAULT_WORKSPACE,
    KEY_BYTES,
    Workspace,
    atomic_write,
)

__all__ = ["DEFAULT_FEEDBACK_DIR", "DEFAULT_WORKSPACE", "KEY_BYTES", "Workspace", "atomic_write"]
