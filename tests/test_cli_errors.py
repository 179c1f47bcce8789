"""What the CLI does with an error: a ``HwdeskError`` is a refusal (exit 2, the message in the chosen
language, no traceback); anything else is a bug, shown with its traceback and another exit status."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from hwdesk.cli import EXIT_REFUSED, main
from hwdesk.errors import HwdeskError
from hwdesk.handout import HandoutError
from hwdesk.jtext.base import ParseError


def test_bilingual_errors_share_one_root():
    for cls in (ParseError, HandoutError):
        err = cls("日本語", "English")
        assert isinstance(err, HwdeskError)
        assert err.message("ja") == "日本語" == str(err) and err.message("en") == "English"


@pytest.mark.parametrize(("lang", "expected"), [("ja", "日付"), ("en", "date")])
def test_bad_input_is_a_refusal_in_the_chosen_language(db_url, capsys, lang, expected):
    assert main(["--db", db_url, "init"]) == 0
    capsys.readouterr()
    argv = ["--db", db_url, "--lang", lang, "--as", "clerk1", "registration", "renew", "37010-1"]
    code = main([*argv, "--on", "2027-13-45", "--note", "elsewhere"])
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED
    assert "2027-13-45" in err and expected in err.lower() and "Traceback" not in err


def test_a_bug_is_not_a_refusal(sqlite_url, capsys, monkeypatch):
    from hwdesk.services import offices

    assert main(["--db", sqlite_url, "init"]) == 0

    def broken(session):
        raise KeyError("a bug")

    monkeypatch.setattr(offices, "list_offices", broken)
    with pytest.raises(KeyError):
        main(["--db", sqlite_url, "offices"])


def test_a_bug_shows_its_traceback_and_another_exit_status(sqlite_url):
    assert main(["--db", sqlite_url, "init"]) == 0
    script = textwrap.dedent(
        f"""
        import sys
        from hwdesk.services import offices

        def broken(session):
            raise KeyError("a bug")

        offices.list_offices = broken
        from hwdesk.cli import main
        sys.exit(main(["--db", {sqlite_url!r}, "offices"]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode not in (0, EXIT_REFUSED)
    assert "Traceback" in done.stderr and "KeyError: 'a bug'" in done.stderr
