"""The workspace folder: layout, require(), the signing key, the lock and atomic writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ipt_excel.errors import UsageError, WorkspaceError
from ipt_excel.workspace import KEY_BYTES, Workspace, atomic_write


def test_layout(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert ws.master == tmp_path / "master.xlsx"
    assert ws.key_path == tmp_path / ".ipt" / "key"
    assert ws.ledger_path == tmp_path / ".ipt" / "ledger.sqlite"
    assert ws.lock_path == tmp_path / ".ipt" / "lock"
    assert ws.received == tmp_path / "received"
    assert ws.history == tmp_path / "history"
    assert ws.returns_dir("second-review") == tmp_path / "returns" / "second-review"
    assert ws.circulation_path("second-review") == tmp_path / "circulation" / "second-review.xlsx"


# -- require() -----------------------------------------------------------------------------------
def test_require_no_folder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "missing")
    with pytest.raises(WorkspaceError) as info:
        ws.require()
    message = str(info.value)
    assert f"There is no workspace at {tmp_path / 'missing'}" in message
    assert "ipt init" in message


def test_require_folder_without_master_or_key(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="is not an ipt workspace"):
        ws.require()
    ws.master.write_bytes(b"x")
    with pytest.raises(WorkspaceError, match="key .* is missing.*Do not run .ipt init. here"):
        ws.require()
    ws.create_key()
    assert ws.require() is ws
    ws.master.unlink()
    with pytest.raises(WorkspaceError, match="it has no master.xlsx"):
        ws.require()


# -- the key -------------------------------------------------------------------------------------
def test_key_is_created_private_and_read_back(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    key = ws.create_key()
    assert len(key) == KEY_BYTES == 32
    assert stat.S_IMODE(ws.key_path.stat().st_mode) == 0o600
    assert ws.key_path.read_text(encoding="ascii") == key.hex()
    assert ws.key() == key
    assert Workspace(tmp_path).key() == key  # a new Workspace object reads the same key


def test_keys_are_random(tmp_path: Path) -> None:
    a = Workspace(tmp_path / "a").create_key()
    b = Workspace(tmp_path / "b").create_key()
    assert a != b


def test_missing_key(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="signing key .* is missing"):
        Workspace(tmp_path).key()


def test_damaged_key(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.create_key()
    ws.key_path.write_text("not hex at all", encoding="ascii")
    with pytest.raises(WorkspaceError, match="is damaged"):
        ws.key()


# -- the lock ------------------------------------------------------------------------------------
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ipt_excel.workspace import Workspace

    with Workspace(Path(sys.argv[1])).locked(wait_seconds=5):
        print("locked", flush=True)
        if sys.argv[2] == "until-stdin-closes":
            sys.stdin.read()
        else:
            time.sleep(float(sys.argv[2]))
    print("released", flush=True)
    """
)


def _hold_lock(root: Path, how: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _finish(proc: subprocess.Popen[str]) -> str:
    """Let the holder go (close its stdin); return the rest of what it printed."""
    out, _ = proc.communicate(timeout=30)
    return out


def test_second_locker_fails_clearly_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, "until-stdin-closes")
    try:
        with pytest.raises(WorkspaceError) as info:
            with Workspace(tmp_path).locked(wait_seconds=0.3):
                pytest.fail("got the lock while another process held it")
        assert "Another ipt command is changing the workspace" in str(info.value)
        assert str(tmp_path) in str(info.value)
    finally:
        rest = _finish(holder)
    assert holder.returncode == 0
    assert rest.strip() == "released"
    # Released: now it can be taken.
    with Workspace(tmp_path).locked(wait_seconds=0):
        pass


def test_second_locker_waits_for_the_lock(tmp_path: Path) -> None:
    # The holder lets go by itself shortly after locking; a generous wait gets the lock.
    holder = _hold_lock(tmp_path, "0.5")
    try:
        with Workspace(tmp_path).locked(wait_seconds=60):
            # We only got here after the holder let go of the lock.
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "released"
            assert Workspace(tmp_path).lock_path.read_text() == str(os.getpid())
    finally:
        _finish(holder)
    assert holder.returncode == 0


def test_lock_is_released_after_an_error(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(RuntimeError), ws.locked(wait_seconds=0):
        raise RuntimeError("boom")
    with ws.locked(wait_seconds=0):
        assert ws.lock_path.exists()


# -- atomic_write --------------------------------------------------------------------------------
def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "master.xlsx"
    atomic_write(path, b"one")
    assert path.read_bytes() == b"one"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o640)
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the old file's permissions are kept
    assert _leftovers(path.parent) == []


def test_atomic_write_keeps_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "master.xlsx"
    path.write_bytes(b"old master")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, b"new master")
    monkeypatch.undo()
    assert path.read_bytes() == b"old master"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


def test_atomic_write_keeps_the_old_file_when_the_write_fails_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "master.xlsx"
    path.write_bytes(b"old master")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_write(path, b"new master")
    monkeypatch.undo()
    assert path.read_bytes() == b"old master"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx"]


def test_atomic_write_cleans_up_on_keyboard_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "master.xlsx"

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, b"new")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# -- output paths --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "inside",
    ["master.xlsx", ".ipt/x.csv", ".ipt/key", "received/abc.xlsx", "history/m.xlsx", "report.csv"],
)
def test_no_output_is_written_inside_the_workspace(tmp_path: Path, inside: str) -> None:
    ws = Workspace(tmp_path / "ws")
    (ws.root / ".ipt").mkdir(parents=True)
    with pytest.raises(WorkspaceError, match="inside the workspace"):
        ws.guard_output(ws.root / inside, what="report")


def test_a_link_or_dot_dot_cannot_reach_inside(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.root.mkdir()
    (tmp_path / "link").symlink_to(ws.root)
    for path in (tmp_path / "link" / "master.xlsx", tmp_path / "out" / ".." / "ws" / "x.csv"):
        with pytest.raises(WorkspaceError, match="inside the workspace"):
            ws.guard_output(path, what="report")


def test_the_circulation_copy_may_go_in_its_own_folder_only(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    allowed = ws.root / "circulation"
    ws.guard_output(allowed / "round.xlsx", what="circulation copy", allowed=allowed)
    with pytest.raises(WorkspaceError, match=r"\(master.xlsx\)"):
        ws.guard_output(ws.master, what="circulation copy", allowed=allowed)


def test_an_output_may_not_replace_a_file_being_read(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    given = tmp_path / "inbox" / "health.xlsx"
    with pytest.raises(WorkspaceError, match="also one of the files being read"):
        ws.guard_output(
            tmp_path / "inbox" / ".." / "inbox" / "health.xlsx", what="report", inputs=[given]
        )


def test_an_output_file_may_not_be_a_folder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(WorkspaceError, match="is a folder"):
        ws.guard_output(tmp_path, what="report")
    ws.guard_output(tmp_path, what="feedback folder", folder=True)
    assert ws.guard_output(tmp_path / "r.xlsx", what="report") == tmp_path / "r.xlsx"


def test_an_output_with_the_wrong_ending_is_refused_before_anything_else(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(UsageError, match=r"must end in \.xlsx or \.csv, for example r\.xlsx"):
        ws.guard_output(tmp_path / "r.txt", what="report", suffixes=(".xlsx", ".csv"))
    # The ending is checked first: a wrong name inside the workspace says what to call it.
    with pytest.raises(UsageError):
        ws.guard_output(ws.master.with_suffix(".pdf"), what="report", suffixes=(".xlsx",))
    ws.guard_output(tmp_path / "R.XLSX", what="report", suffixes=(".xlsx",))
