"""The architecture holds: `hwdesk` never imports `textual` or `screens`; modules stay small."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

from hwdesk.states import SeatState, SessionState

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("textual", "screens", "textual_serve")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def test_hwdesk_never_imports_textual_or_screens():
    offenders = []
    for path in (ROOT / "hwdesk").rglob("*.py"):
        for line, name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                rel = path.relative_to(ROOT)
                # The CLI may *launch* the app (a lazy import inside the function that opens it).
                if rel.as_posix() in ("hwdesk/cli/admin.py", "hwdesk/cli/serve.py") and name in (
                    "screens.app",
                    "textual_serve.server",
                ):
                    continue
                offenders.append(f"{rel}:{line} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_importing_every_domain_module_loads_no_textual():
    """Import all of hwdesk in a fresh interpreter: textual must not end up in sys.modules."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "hwdesk").rglob("*.py")
        if "migrations" not in p.parts
    )
    code = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in modules)
        + (
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'screens')]\nprint(bad)\nassert not bad, bad\n"
        )
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_wheel_carries_hwdesk_screens_and_data(tmp_path):
    """A plain (non-editable) wheel holds the domain, the UI, the terms data and the font."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("hwdesk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "hwdesk/cli/__init__.py",
        "hwdesk/migrations/env.py",
        "screens/app.py",
        "hwdesk/_data/terms/takamatsu-v2.json",
        "hwdesk/_data/offices/shibuya.json",
        "hwdesk/_data/fonts/ipaexg.ttf",
    ):
        assert required in names, f"{required} missing from the wheel"
    assert any(n.startswith("hwdesk/migrations/versions/") for n in names)
    assert any(n.endswith(".tcss") for n in names), "screen styles (.tcss) missing from the wheel"


def test_plain_install_runs_demo_from_the_wheel(tmp_path):
    """``pip install .`` (not editable) into a new venv: ``hwdesk demo`` works from the wheel's data."""
    import sysconfig
    import venv

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "w"),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next((tmp_path / "w").glob("hwdesk-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = next(env_dir.glob("lib/python*/site-packages"))
    # Dependencies come from the test venv (offline, fast); hwdesk itself only from the wheel.
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_dir / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
    )
    py = env_dir / "bin" / "python"
    probe = subprocess.run(
        [str(py), "-c", "import hwdesk, screens; print(hwdesk.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert str(env_dir) in probe.stdout, probe.stdout
    db = tmp_path / "demo.sqlite3"
    out = subprocess.run(
        [str(env_dir / "bin" / "hwdesk"), "--db", str(db), "demo", "--seekers", "5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "デモデータベースを作成しました" in out.stdout
    app = subprocess.run(
        [
            str(py),
            "-c",
            (
                "import asyncio\nfrom screens.app import HwdeskApp\n"
                f"async def main():\n    app = HwdeskApp({str(db)!r})\n    async with app.run_test() as pilot:\n        await pilot.pause(0.5)\n        print(type(app.screen).__name__)\n"
                "asyncio.run(main())\n"
            ),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert app.returncode == 0, app.stderr


# --- state values have one home ------------------------------------------------------------------

STATE_VALUES = frozenset(str(s) for s in (*SessionState, *SeatState))


def _state_literal_comparisons(path: Path) -> list[str]:
    """``x == "booked"``, ``x != "cancelled"``, ``x in ("absent", …)``: a state spelled as a literal."""

    def literals(node: ast.expr) -> list[ast.Constant]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATE_VALUES:
            return [node]
        return []

    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            found = literals(left) + literals(right)
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.Set, ast.List)):
                found += [c for e in right.elts for c in literals(e)]
            elif not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                found = []
            out += [f"{path.relative_to(ROOT).as_posix()}:{c.lineno}: {c.value!r}" for c in found]
    return out


# Modules other lanes are converting to SessionState/SeatState; the test passes once they have.
def test_states_are_compared_by_name_not_by_literal():
    """A comparison names a state through hwdesk.states (a member or a named set), never its string:
    a misspelt literal compares unequal silently, a misspelt member fails at import."""
    offenders = []
    for top in ("hwdesk", "screens"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path != ROOT / "hwdesk" / "states.py" and "migrations" not in path.parts:
                offenders += _state_literal_comparisons(path)
    assert not offenders, "\n".join(offenders)


# A module past this many lines mixes concerns more often than not (docs/design.md, "Map of the
# packages"); generated migrations are exempt.
MAX_MODULE_LINES = 550


def test_no_module_of_hwdesk_or_screens_is_over_the_ceiling():
    """No module in hwdesk/ or screens/ (migrations aside) is longer than ``MAX_MODULE_LINES``."""
    long = {}
    for package in ("hwdesk", "screens"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                long[str(path.relative_to(ROOT))] = lines
    assert long == {}, f"split by responsibility: {long}"
