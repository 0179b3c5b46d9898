"""The workspace folder: where the master, the returns, the key and the ledger live.

Layout (all paths relative to the workspace root):

    master.xlsx                      the coordinator's source of truth
    returns/<round>/<agency>.xlsx    returns as issued, to e-mail to agencies
    received/<sha256>.xlsx           every file received, unchanged, named by its hash
    history/master-<time>.xlsx       each previous master, kept before a new one is written
    circulation/<round>.xlsx         the read-only copy for boards and partners
    .ipt/key                         the signing key: never leaves the workspace
    .ipt/ledger.sqlite               the audit trail: rounds, issues, merges, changes, snapshots
    .ipt/lock                        held while a command changes the workspace
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ipt_excel.errors import UsageError, WorkspaceError

DEFAULT_WORKSPACE = Path("workbooks")
DEFAULT_FEEDBACK_DIR = Path("feedback")  # outside the workspace: it is for sending back
KEY_BYTES = 32


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def master(self) -> Path:
        return self.root / "master.xlsx"

    @property
    def internal(self) -> Path:
        return self.root / ".ipt"

    @property
    def key_path(self) -> Path:
        return self.internal / "key"

    @property
    def ledger_path(self) -> Path:
        return self.internal / "ledger.sqlite"

    @property
    def lock_path(self) -> Path:
        return self.internal / "lock"

    @property
    def received(self) -> Path:
        return self.root / "received"

    @property
    def history(self) -> Path:
        return self.root / "history"

    def returns_dir(self, round_slug: str) -> Path:
        return self.root / "returns" / round_slug

    def circulation_path(self, round_slug: str) -> Path:
        return self.root / "circulation" / f"{round_slug}.xlsx"

    def guard_output(
        self,
        path: Path,
        *,
        what: str,
        inputs: Sequence[Path] = (),
        allowed: Path | None = None,
        folder: bool = False,
        suffixes: Sequence[str] = (),
    ) -> Path:
        """Refuse an output that would land in the workspace or on one of the files read.

        Every output path of every command (a report, the feedback folder, a circulation copy,
        a rebuilt master) passes here before any work starts. The workspace holds only its own
        records, so nothing may be written inside it except under `allowed` (the circulation
        folder, for the circulation copy). Paths are resolved first, so a symbolic link or a
        '..' cannot reach inside. `suffixes`: the endings the file may have (".xlsx"), checked
        first, so a typing slip is caught before any work starts.
        """
        if suffixes and path.suffix.lower() not in suffixes:
            endings = " or ".join(suffixes)
            raise UsageError(
                f"The {what} {path} must end in {endings}, for example "
                f"{path.with_suffix(suffixes[0]).name}."
            )
        target = path.resolve()
        root = self.root.resolve()
        inside = target == root or target.is_relative_to(root)
        if inside and not (allowed is not None and target.is_relative_to(allowed.resolve())):
            part = target.relative_to(root).parts[:1] if target != root else ()
            where = f" ({part[0]})" if part else ""
            raise WorkspaceError(
                f"The {what} {path} would be written inside the workspace {self.root}{where}, "
                f"which holds only its own records. Write it somewhere else, for example in the "
                f"current folder."
            )
        for given in inputs:
            if given.resolve() == target:
                raise WorkspaceError(
                    f"The {what} {path} is also one of the files being read. Give the {what} "
                    f"a name of its own, so the file is not replaced."
                )
        if target.is_dir() and not folder:
            raise WorkspaceError(
                f"The {what} {path} is a folder. Give the name of a file, for example "
                f"{path / 'report.xlsx'}."
            )
        return path

    # -- checks ----------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.master.exists() and self.key_path.exists()

    def require(self) -> Workspace:
        """Fail clearly when this folder is not an initialised workspace."""
        if not self.root.is_dir():
            raise WorkspaceError(
                f"There is no workspace at {self.root}. Run 'ipt init --example' or "
                f"'ipt init --from PLAN' to create one, or pass --workspace."
            )
        if self.master.exists() and not self.key_path.exists():
            # Not a new folder: a workspace that has lost its key. 'ipt init' here would
            # replace the master and make every return already issued unreadable.
            raise WorkspaceError(
                f"The signing key {self.key_path} is missing, so returns issued from {self.root} "
                f"cannot be checked. Restore the .ipt folder from a backup. Do not run "
                f"'ipt init' here: it would replace the master. See SECURITY.md."
            )
        if not self.exists():
            raise WorkspaceError(
                f"{self.root} is not an ipt workspace (it has no master.xlsx). Run 'ipt init "
                f"--from PLAN -w {self.root}' to create one, or pass the right --workspace."
            )
        return self

    # -- the signing key -------------------------------------------------------------------
    def create_key(self, key: bytes | None = None) -> bytes:
        """Create the signing key: random, unless one is given (the demo's fixed key)."""
        self.internal.mkdir(parents=True, exist_ok=True)
        key = key or secrets.token_bytes(KEY_BYTES)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.hex().encode("ascii"))
        return key

    def key(self) -> bytes:
        try:
            return bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
        except FileNotFoundError as exc:
            raise WorkspaceError(
                f"The signing key {self.key_path} is missing. Returns issued from this "
                f"workspace cannot be verified without it: restore it from a backup."
            ) from exc
        except ValueError as exc:
            raise WorkspaceError(f"The signing key {self.key_path} is damaged.") from exc

    # -- the lock ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, wait_seconds: float = 30.0) -> Iterator[None]:
        """Hold the workspace lock; wait up to `wait_seconds` for another command to finish."""
        self.internal.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise WorkspaceError(
                            f"Another ipt command is changing the workspace {self.root}. "
                            f"Wait for it to finish, then try again."
                        ) from None
                    time.sleep(0.1)
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            # Holding the lock, no write is under way: temporary files here are left over
            # from a process that was killed part-way, and are safe to remove.
            for folder in (self.root, self.received, self.history, self.root / "circulation"):
                for stale in folder.glob(".*.tmp"):
                    with contextlib.suppress(OSError):
                        stale.unlink()
            yield
        finally:
            os.close(fd)  # closing releases the flock


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`.

    A reader, or a crash at any moment, sees either the old file or the new one, never half.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
