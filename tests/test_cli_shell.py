"""The console script as a shell user meets it (subprocesses): a pipe closed early ends it quietly,
global options go before or after the subcommand, and the report's columns line up in terminal
cells with Japanese labels."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from hwdesk.clock import JST
from hwdesk.jtext.cells import cell_width, pad_cells

HWDESK = [sys.executable, "-m", "hwdesk"]


def run(*args: str, password: str = "hwdesk-demo", **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "HWDESK_PASSWORD": password}
    env.pop("HWDESK_LANG", None)
    return subprocess.run([*HWDESK, *args], capture_output=True, text=True, env=env, timeout=120, **kw)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    """A demo database (three offices, staff, a few seekers, sessions around today)."""
    path = str(tmp_path_factory.mktemp("cli") / "demo.sqlite3")
    done = run("--db", path, "demo", "--seekers", "30")
    assert done.returncode == 0, done.stderr
    return path


# --- a reader that stops early ------------------------------------------------------------------


def test_json_into_head_exits_quietly(demo):
    shell = f"{' '.join(HWDESK)} --db {demo} offices --json | head -1; exit ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.stdout == "[\n"
    assert done.stderr == ""  # no BrokenPipeError traceback, no "Exception ignored" at exit
    assert done.returncode in (0, 141)


def test_a_pipe_closed_before_any_output_ends_as_sigpipe_would(demo):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte: every write fails with EPIPE
    try:
        done = subprocess.run(
            [*HWDESK, "--db", demo, "offices", "--json"], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120
        )
    finally:
        os.close(write)
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, as `yes | head -1` leaves for yes


# --- global options anywhere ---------------------------------------------------------------------


def test_global_options_before_or_after_the_subcommand(demo):
    before = run("--db", demo, "--lang", "en", "offices")
    after = run("offices", "--db", demo, "--lang", "en")
    mixed = run("--lang", "ja", "offices", "--lang", "en", "--db", demo)  # the later one wins
    assert before.returncode == after.returncode == mixed.returncode == 0, (before.stderr, after.stderr, mixed.stderr)
    assert before.stdout == after.stdout == mixed.stdout
    assert "Offices" in after.stdout and "Services" in after.stdout
    ja = run("offices", "--db", demo)
    assert "事業所" in ja.stdout and "サービス" in ja.stdout


def test_global_options_after_a_nested_subcommand_and_its_arguments(demo):
    found = run("seeker", "find", "ア", "--db", demo, "--as", "clerk1", "--json")
    assert found.returncode == 0, found.stderr
    assert found.stdout.lstrip().startswith("[")
    # --as after the subcommand is the staff member acting: the wrong password is refused as such,
    # not "--as is needed".
    refused = run("book", "1", "13010-99999999", "--db", demo, "--as", "clerk1", "--lang", "en", password="wrong")
    assert refused.returncode == 2
    assert "--as" not in refused.stderr and refused.stderr.strip()


def test_a_global_option_given_only_before_is_kept(demo):
    # --lang before the subcommand, --db after: neither undoes the other.
    done = run("--lang", "en", "offices", "--db", demo)
    assert done.returncode == 0, done.stderr
    assert "Offices" in done.stdout
    found = run("--db", demo, "--lang", "en", "seeker", "find", "ア", "--as", "clerk1")
    assert found.returncode == 0, found.stderr


# --- the report in terminal cells ---------------------------------------------------------------


def figure_columns(report: str) -> list[list[int]]:
    """For each table of the report, the terminal column where each row's figure ends."""
    tables, rows = [], []
    for line in report.splitlines() + [""]:
        if not line.strip():
            if rows:
                tables.append(rows)
            rows = []
            continue
        if not line.startswith("  "):
            continue
        head = re.sub(r" [█░]*$", "", line).rstrip()  # the row without its bar
        if re.search(r"\s(\d+|<\d+|\*|x)$", head):  # a row ending in its figure (a long label sits alone above)
            rows.append(cell_len(head))
    return tables


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_columns_line_up_in_cells(demo, lang):
    month = datetime.now(JST).strftime("%Y-%m")
    done = run("report", "--office", "takamatsu", "--month", month, "--db", demo, "--lang", lang)
    assert done.returncode == 0, done.stderr
    tables = figure_columns(done.stdout)
    assert len(tables) >= 3, done.stdout
    for rows in tables:
        assert len(set(rows)) == 1, (rows, done.stdout)
    # Every table row fits 80 columns (a label too long for the column has a line of its own).
    assert max(cell_len(line) for line in done.stdout.splitlines() if line.startswith("  ")) <= 80


@given(st.text(alphabet=st.sampled_from("abc 09-山田花子アイウｱｲ２Ａ（）・ー。、\u3099")))
def test_cell_width_agrees_with_the_terminal_library(text):
    assert cell_width(text) == cell_len(text)
    padded = pad_cells(text, 30)
    assert cell_width(padded) == max(30, cell_width(text)) and padded.startswith(text)
    assert pad_cells(text, 30, right=True).endswith(text)
