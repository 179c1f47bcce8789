"""The ``hwdesk`` command line, run in-process on both backends."""

from __future__ import annotations

import json

import pytest

from hwdesk.cli import main


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    """Run ``hwdesk --db URL …``; returns (exit status, stdout, stderr)."""
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(*args: str):
        code = main(["--db", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_init_offices_and_terms(cli):
    code, out, _ = cli("init")
    assert code == 0 and "最新" in out
    code, out, _ = cli("offices", "--json")
    offices = {o["id"]: o for o in json.loads(out)}
    assert set(offices) == {"maebashi", "shibuya", "takamatsu"}
    assert offices["maebashi"]["consent_method"] == "deemed_by_use"
    assert offices["takamatsu"]["services"] == ["counseling", "referral", "seminar", "interview", "selection"]
    code, out, _ = cli("terms", "shibuya", "--article", "7", "--json")
    art = json.loads(out)["article"]
    assert art["number"] == 7 and art["heading"] == "禁止事項"
    code, out, _ = cli("terms", "maebashi")
    assert (
        "前橋地方裁判所" in out and "令和４年４月２０日\n前橋公共職業安定所長" in out and "策定" not in out
    )  # a bare date, as written


def test_unknown_office_is_a_clear_refusal(cli):
    code, _, err = cli("terms", "osaka")
    assert code == 2 and "maebashi, shibuya, takamatsu" in err and "Traceback" not in err


def test_demo_then_find_by_every_spelling(cli):
    code, out, _ = cli("demo", "--seekers", "15")
    assert code == 0 and "clerk1" in out
    code, out, _ = cli("--as", "clerk1", "seeker", "find", "37010", "--json")
    first = json.loads(out)[0]
    kana = first["kana"].split()[0]
    import jaconv

    for spelling in (kana, jaconv.kata2hira(kana), jaconv.z2h(kana)):
        code, out, _ = cli("--as", "clerk1", "seeker", "find", spelling, "--json")
        assert first["seeker_no"] in [r["seeker_no"] for r in json.loads(out)], spelling
    code, out, _ = cli("--as", "clerk1", "seeker", "find", first["name"].split()[0][:1], "--json")
    assert first["seeker_no"] in [r["seeker_no"] for r in json.loads(out)]
    code, _, _ = cli("demo")
    assert code == 2  # refuses to mix demo data into a database that has data


def test_import_reports_lines_and_exit_status(cli, tmp_path):
    cli("demo", "--seekers", "1")
    f = tmp_path / "seekers.csv"
    f.write_bytes(
        (
            "求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日\n"
            "37010-777,山田 花子,ヤマダ ハナコ,1990-01-01,,,窓口,\n"
            "37010-778,山田 一郎,ヤマダ イチロウ,1990-02-30,,,窓口,\n"
        ).encode("cp932")
    )
    code, out, err = cli("--as", "clerk1", "import", "seekers", str(f))
    assert code == 2
    assert "3行目: 生年月日" in err and "取り込み: 1件" in out
    code, out, _ = cli("--as", "clerk1", "import", "seekers", str(f), "--json")
    data = json.loads(out)
    assert data["added"] == 0 and data["skipped"] == 1 and data["errors"][0]["line"] == 3


def test_writes_need_a_staff_member_and_the_right_password(cli, monkeypatch, tmp_path):
    cli("demo", "--seekers", "1")
    f = tmp_path / "x.csv"
    f.write_text("seeker_no,name,kana,birth_date\n")
    code, _, err = cli("import", "seekers", str(f))
    assert code == 2 and "--as" in err
    monkeypatch.setenv("HWDESK_PASSWORD", "wrong-password")
    code, _, err = cli("--as", "clerk1", "import", "seekers", str(f))
    assert code == 2 and "職員IDまたはパスワードが違います" in err


def test_eligibility_json_cites_articles(cli, tmp_path):
    cli("demo", "--seekers", "1")
    f = tmp_path / "s.csv"
    f.write_text(
        "seeker_no,name,kana,birth_date,phone,email,registration,registered_on\n"
        "13080-42,渋谷 太郎,シブヤ タロウ,1980-05-05,,,office,2025-02-01\n"
    )
    assert cli("--as", "clerk1_shi", "import", "seekers", str(f), "--office", "shibuya")[0] == 0
    code, out, _ = cli(
        "--as", "clerk1_shi", "eligibility", "13080-42", "--office", "shibuya", "--service", "counseling", "--json"
    )
    data = json.loads(out)
    assert code == 1 and data["eligible"] is False
    by_key = {r["key"]: r for r in data["requirements"]}
    assert by_key["approval"]["article"] == "第1条(4)" and by_key["approval"]["ok"] is False
    assert by_key["registration"]["ok"] is True
    assert (
        by_key["approval"]["phrase"]
        == "継続的な職業相談を希望する者であり、ハローワークがその必要性を認めた者であること"
    )
    # Registered 2025-02-01: valid to the end of April 2025 (docs/rules.md (p)); lapsed since.
    assert by_key["registration_valid"]["ok"] is False and by_key["registration_valid"]["article"] == "第1条(3)"
    assert "令和7年4月30日" in by_key["registration_valid"]["detail"]
    code, out, _ = cli(
        "--lang",
        "en",
        "--as",
        "clerk1_shi",
        "eligibility",
        "13080-42",
        "--office",
        "shibuya",
        "--service",
        "counseling",
    )
    assert "Wish for continuing counseling, need recognized (Hello Work Shibuya Art. 1 item 4)" in out
