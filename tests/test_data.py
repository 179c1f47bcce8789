"""Checks the transcribed terms (data/terms) and office profiles (data/offices) against docs/design.md."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TERMS_DIR = DATA / "terms"
OFFICES_DIR = DATA / "offices"
RULES_MD = ROOT / "docs" / "rules.md"

SERVICE_KINDS = {"counseling", "referral", "seminar", "interview", "tour", "selection"}
DATE_KINDS = {"策定", "施行", "改訂", ""}  # "" = a bare date, as 前橋 writes it
ENV_KEYS = ["secure_device", "internet", "os_supported", "firewall", "no_file_sharing", "antivirus"]
TERMINATION_KEYS = {"threats_abuse", "recording", "non_job_seeking", "disturbing", "infringement", "other"}
ARTICLE_KEYS = {
    "companions",
    "recording_ban",
    "usage_records",
    "costs",
    "preparation",
    "stop_use",
    "revision",
    "court",
    "privacy",
}
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WAREKI_RE = re.compile(r"^令和(元|\d+)年(\d+)月(\d+)日$")
CJK = r"\u3000-\u30ff\u3400-\u9fff\uff00-\uffef"


def _load(path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


TERMS = {p.name: _load(p) for p in sorted(TERMS_DIR.glob("*.json"))}
OFFICES = {p.stem: _load(p) for p in sorted(OFFICES_DIR.glob("*.json"))}


def _article(terms, n):
    for a in terms["articles"]:
        if a["number"] == n:
            return a
    return None


def _resolve(terms, cite):
    """Return the cited text node (article, paragraph or item) or raise AssertionError."""
    assert isinstance(cite, dict) and set(cite) <= {"article", "paragraph", "item"}, cite
    assert isinstance(cite.get("article"), int), cite
    art = _article(terms, cite["article"])
    assert art is not None, f"{terms['office']}: no 第{cite['article']}条"
    node = art
    para_no = cite.get("paragraph")
    if para_no is not None or "item" in cite:
        p = para_no if para_no is not None else 1
        assert isinstance(p, int)
        paras = [x for x in art["paragraphs"] if x["number"] == p]
        assert paras, f"{terms['office']}: no 第{cite['article']}条第{p}項"
        node = paras[0]
    if "item" in cite:
        assert isinstance(cite["item"], int)
        items = [x for x in node["items"] if x["number"] == cite["item"]]
        assert items, f"{terms['office']}: no item {cite} "
        node = items[0]
    return node


def _cite_str(cite):
    s = f"第{cite['article']}条"
    if cite.get("paragraph", 1) > 1:
        s += f"第{cite['paragraph']}項"
    if "item" in cite:
        s += f"({cite['item']})"
    return s


def _terms_of(office):
    return [TERMS[f] for f in office["terms_files"]]


def _profile_cites(office):
    """Every cite in a profile as (where, cite)."""
    out = []
    req = office["requirements"]
    for key in (
        "consent",
        "registration",
        "registration_valid",
        "webcam",
        "approval",
        "environment",
        "private_room",
        "termination",
        "agreement",
    ):
        if req.get(key):
            out.append((f"requirements.{key}", req[key]["cite"]))
    if req.get("environment"):
        for it in req["environment"]["items"]:
            out.append((f"requirements.environment.{it['key']}", it["cite"]))
    for k, c in office["articles"].items():
        if c is not None:
            out.append((f"articles.{k}", c))
    for k, c in office["termination_grounds"].items():
        if c is not None:
            out.append((f"termination_grounds.{k}", _cite_only(c)))
    return out


def _cite_only(c):
    """A ground's citation without its label (the office's words for it)."""
    return {k: v for k, v in c.items() if k in ("article", "paragraph", "item")}


def _wareki_to_iso(w):
    m = WAREKI_RE.match(w)
    assert m, w
    year = 1 if m.group(1) == "元" else int(m.group(1))
    return f"{year + 2018:04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def _all_strings(terms):
    yield terms["title"]
    yield from terms["preamble"]
    yield from terms["supplementary"]
    for a in terms["articles"]:
        yield a["heading"]
        for p in a["paragraphs"]:
            yield p["text"]
            for i in p["items"]:
                yield i["text"]


# --------------------------------------------------------------------------- terms files


def test_expected_files_present():
    assert set(TERMS) == {"maebashi-v1.json", "shibuya-v1.json", "takamatsu-v2.json"}
    assert set(OFFICES) == {"maebashi", "shibuya", "takamatsu"}


@pytest.mark.parametrize("name", sorted(TERMS))
def test_terms_schema(name):
    t = TERMS[name]
    keys = {
        "office",
        "version",
        "title",
        "issuer",
        "dates",
        "effective_on",
        "preamble",
        "articles",
        "supplementary",
        "court",
        "source",
    }
    assert keys <= set(t), keys - set(t)
    assert isinstance(t["office"], str) and isinstance(t["version"], int)
    assert name == f"{t['office']}-v{t['version']}.json"
    for k in ("title", "issuer", "source"):
        assert isinstance(t[k], str) and t[k]
    assert t["source"] == f"shared/seeds/terms-{t['office']}.txt"
    assert isinstance(t["preamble"], list) and all(isinstance(s, str) and s for s in t["preamble"])
    assert isinstance(t["supplementary"], list) and all(isinstance(s, str) and s for s in t["supplementary"])
    assert isinstance(t["dates"], list) and t["dates"]
    for d in t["dates"]:
        assert set(d) == {"kind", "wareki", "iso", "text"}
        assert d["kind"] in DATE_KINDS
        assert ISO_RE.match(d["iso"])
    assert ISO_RE.match(t["effective_on"])
    assert isinstance(t["court"]["names"], list) and t["court"]["names"]
    assert isinstance(t["court"]["article"], int)
    assert isinstance(t["articles"], list) and t["articles"]
    for a in t["articles"]:
        assert set(a) == {"number", "heading", "paragraphs"}
        assert isinstance(a["number"], int)
        assert isinstance(a["heading"], str) and a["heading"]
        assert isinstance(a["paragraphs"], list) and a["paragraphs"]
        for p in a["paragraphs"]:
            assert set(p) == {"number", "text", "items"}
            assert isinstance(p["number"], int) and isinstance(p["text"], str)
            assert isinstance(p["items"], list)
            # a paragraph without lead text must at least have items
            assert p["text"] or p["items"], (name, a["number"], p["number"])
            for i in p["items"]:
                assert set(i) == {"number", "text"}
                assert isinstance(i["number"], int) and isinstance(i["text"], str) and i["text"]


@pytest.mark.parametrize("name", sorted(TERMS))
def test_numbering_consecutive(name):
    t = TERMS[name]
    assert [a["number"] for a in t["articles"]] == list(range(1, len(t["articles"]) + 1))
    for a in t["articles"]:
        assert [p["number"] for p in a["paragraphs"]] == list(range(1, len(a["paragraphs"]) + 1))
        for p in a["paragraphs"]:
            assert [i["number"] for i in p["items"]] == list(range(1, len(p["items"]) + 1))


@pytest.mark.parametrize("name", sorted(TERMS))
def test_dates_match_wareki_and_effective_on(name):
    t = TERMS[name]
    for d in t["dates"]:
        assert _wareki_to_iso(d["wareki"]) == d["iso"], d
    by_kind = {d["kind"]: d["iso"] for d in t["dates"]}
    expected = by_kind.get("施行") or by_kind.get("改訂") or by_kind.get("策定") or by_kind.get("")
    assert t["effective_on"] == expected


@pytest.mark.parametrize("name", sorted(TERMS))
def test_court_article(name):
    t = TERMS[name]
    art = _article(t, t["court"]["article"])
    assert art is not None
    text = "".join(p["text"] for p in art["paragraphs"])
    for court in t["court"]["names"]:
        assert court in text


@pytest.mark.parametrize("name", sorted(TERMS))
def test_no_pdf_artifacts(name):
    for s in _all_strings(TERMS[name]):
        assert s == s.strip(), repr(s)
        # no stray spaces next to Japanese text, no leftover item markers
        assert not re.search(rf"[{CJK}][ \t]|[ \t][{CJK}]", s), repr(s)
        assert not re.match(r"^[（(]\s*[0-9０-９]+\s*[）)]", s), repr(s)
        assert "\n\n" not in s


@pytest.mark.parametrize("name", sorted(TERMS))
def test_dates_and_issuer_are_written_as_in_the_seed(name):
    t = TERMS[name]
    found = [p / t["source"] for p in ROOT.parents if (p / t["source"]).is_file()]
    if not found:
        pytest.skip(f"{t['source']} (the offices' original text) is not beside this checkout")
    seed = re.sub(r"\s+", "", found[0].read_text(encoding="utf-8"))
    for d in t["dates"]:
        assert re.sub(r"\s+", "", d["text"]) in seed, d
        assert (d["kind"] in d["text"]) if d["kind"] else not re.search("策定|施行|改訂", d["text"])
    assert re.sub(r"\s+", "", t["issuer"]) in seed


def test_wareki_wiring():
    assert _wareki_to_iso("令和元年5月1日") == "2019-05-01"
    assert _wareki_to_iso("令和4年4月20日") == "2022-04-20"


# --------------------------------------------------------------------------- content facts


def test_maebashi_facts():
    t = TERMS["maebashi-v1.json"]
    assert len(t["articles"]) == 12
    assert t["issuer"] == "前橋公共職業安定所長"
    # a bare date above the 所長: no 策定/施行 label, as written
    assert t["dates"] == [{"kind": "", "wareki": "令和4年4月20日", "iso": "2022-04-20", "text": "令和４年４月２０日"}]
    assert t["court"] == {"names": ["前橋地方裁判所"], "article": 12}
    p4 = _resolve(t, {"article": 4, "paragraph": 4})
    assert "録画・録音" in p4["text"]
    assert [i["number"] for i in _article(t, 3)["paragraphs"][0]["items"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [i["number"] for i in _article(t, 6)["paragraphs"][0]["items"]] == [1, 2, 3, 4, 5, 6, 7]
    assert "同意したものとみなします" in _article(t, 1)["paragraphs"][0]["text"]
    assert "第８条第２項" in _resolve(t, {"article": 7, "paragraph": 2})["text"]


def test_shibuya_facts():
    t = TERMS["shibuya-v1.json"]
    assert len(t["articles"]) == 13
    assert t["issuer"] == "渋谷公共職業安定所長"
    p1 = _article(t, 1)["paragraphs"][0]
    assert [i["number"] for i in p1["items"]] == [1, 2, 3, 4, 5]
    assert t["dates"] == [
        {
            "kind": "施行",
            "wareki": "令和4年5月1日",
            "iso": "2022-05-01",
            "text": "本規約は令和４年５月１日より施行するものとする。",
        }
    ]
    assert t["effective_on"] == "2022-05-01"
    assert t["supplementary"] == ["本規約は令和４年５月１日より施行するものとする。"]
    assert "なお、第1条により利用を申し込んだ場合は、本規約に同意したものとみなす。" in t["preamble"]
    assert t["court"] == {"names": ["東京簡易裁判所", "東京地方裁判所"], "article": 13}
    a6 = _article(t, 6)
    assert a6["paragraphs"][0]["text"] == "" and len(a6["paragraphs"][0]["items"]) == 2
    assert "職業安定法第５条の４" in a6["paragraphs"][0]["items"][0]["text"]
    assert "本規約を解約" in _resolve(t, {"article": 9, "paragraph": 2})["text"]
    assert "録音・録画" in _resolve(t, {"article": 4, "paragraph": 3})["text"]


def test_takamatsu_facts():
    t = TERMS["takamatsu-v2.json"]
    assert t["version"] == 2
    assert len(t["articles"]) == 14
    assert t["dates"] == [
        {"kind": "策定", "wareki": "令和3年3月1日", "iso": "2021-03-01", "text": "令和3年3月1日策定"},
        {"kind": "改訂", "wareki": "令和5年12月18日", "iso": "2023-12-18", "text": "令和5年12月18日改訂"},
    ]
    assert t["effective_on"] == "2023-12-18"
    assert t["court"] == {"names": ["高松地方裁判所"], "article": 14}
    for n in (7, 8, 9, 12):
        paras = _article(t, n)["paragraphs"]
        assert len(paras) == 1 and paras[0]["text"] == "" and paras[0]["items"], n
    assert len(_article(t, 12)["paragraphs"][0]["items"]) == 5
    assert "職業安定法第5条の4" in _resolve(t, {"article": 8, "item": 1})["text"]
    assert "録画・録音" in _resolve(t, {"article": 12, "item": 2})["text"]
    assert "従量制" in _resolve(t, {"article": 12, "item": 5})["text"]
    assert "切り替わります" in _resolve(t, {"article": 2, "item": 2})["text"]


# --------------------------------------------------------------------------- office profiles


@pytest.mark.parametrize("oid", sorted(OFFICES))
def test_office_schema(oid):
    o = OFFICES[oid]
    keys = {
        "id",
        "name",
        "name_en",
        "bureau",
        "head",
        "contact_phone",
        "hours",
        "idle_lock_minutes",
        "platforms",
        "handout_name_form",
        "services",
        "terms_files",
        "requirements",
        "articles",
        "termination_grounds",
        "termination_ends_agreement",
    }
    assert keys <= set(o), keys - set(o)
    assert o["id"] == oid
    for k in ("name", "name_en", "bureau", "head", "contact_phone", "handout_name_form"):
        assert isinstance(o[k], str) and o[k]
    assert re.match(r"^0\d{1,4}-\d{1,4}-\d{4}$", o["contact_phone"])
    assert set(o["hours"]) == {"open", "close"}
    for v in o["hours"].values():
        assert re.match(r"^\d{2}:\d{2}$", v)
    assert o["hours"]["open"] < o["hours"]["close"]
    assert isinstance(o["idle_lock_minutes"], int) and o["idle_lock_minutes"] > 0
    assert isinstance(o["platforms"], list) and o["platforms"]
    assert all(isinstance(p, str) for p in o["platforms"])
    assert isinstance(o["services"], list) and o["services"]
    assert set(o["services"]) <= SERVICE_KINDS
    assert len(set(o["services"])) == len(o["services"])
    assert isinstance(o["termination_ends_agreement"], bool)
    assert o["terms_files"]
    for f in o["terms_files"]:
        assert f in TERMS
        assert TERMS[f]["office"] == oid
        assert TERMS[f]["issuer"] == o["head"]

    req = o["requirements"]
    assert {"consent", "registration", "webcam", "approval", "environment", "private_room"} <= set(req)
    assert req["consent"]["method"] in {"deemed_by_use", "application"}
    if req["registration"] is not None:
        assert isinstance(req["registration"]["online_switches_to_office"], bool)
    if req["approval"] is not None:
        assert set(req["approval"]["services"]) <= set(o["services"])
    env = req["environment"]
    assert [i["key"] for i in env["items"]] == ENV_KEYS
    for it in env["items"]:
        assert {"key", "cite", "label", "label_en", "text"} <= set(it)
        assert it["cite"]["article"] == env["cite"]["article"]
    assert isinstance(req["private_room"]["text"], str)

    assert ARTICLE_KEYS <= set(o["articles"])
    assert set(o["termination_grounds"]) == TERMINATION_KEYS


@pytest.mark.parametrize("oid", sorted(OFFICES))
def test_every_cite_exists(oid):
    o = OFFICES[oid]
    cites = _profile_cites(o)
    assert cites
    for terms in _terms_of(o):
        for where, cite in cites:
            try:
                _resolve(terms, cite)
            except AssertionError as e:
                raise AssertionError(f"{oid} {where} {_cite_str(cite)}: {e}") from None
        assert o["articles"]["court"]["article"] == terms["court"]["article"]


@pytest.mark.parametrize("oid", sorted(OFFICES))
def test_quoted_texts_match_terms(oid):
    o = OFFICES[oid]
    req = o["requirements"]
    for terms in _terms_of(o):
        for it in req["environment"]["items"]:
            assert it["text"] == _resolve(terms, it["cite"])["text"], it["key"]
        assert req["private_room"]["text"] == _resolve(terms, req["private_room"]["cite"])["text"]
        assert "個室" in req["private_room"]["text"]


def test_office_facts():
    m, s, t = OFFICES["maebashi"], OFFICES["shibuya"], OFFICES["takamatsu"]
    assert m["requirements"]["consent"] == {
        "method": "deemed_by_use",
        "cite": {"article": 1},
        "phrase": "本サービスの利用をもって、本利用規約に同意したものとみなします",
    }
    assert m["requirements"]["registration"] is None
    assert m["requirements"]["webcam"] is None and m["requirements"]["approval"] is None
    assert s["requirements"]["approval"] == {
        "cite": {"article": 1, "item": 4},
        "services": ["counseling"],
        "phrase": "継続的な職業相談を希望する者であり、ハローワークがその必要性を認めた者であること",
    }
    assert s["requirements"]["registration"]["online_switches_to_office"] is False
    assert t["requirements"]["registration"]["online_switches_to_office"] is True
    assert t["requirements"]["approval"] is None
    assert t["articles"]["costs_metered"] == {"article": 12, "item": 5}
    assert s["termination_ends_agreement"] is True and s["requirements"]["agreement"]["cite"] == {
        "article": 9,
        "paragraph": 2,
    }
    assert m["termination_ends_agreement"] is False and t["termination_ends_agreement"] is False
    assert m["requirements"]["agreement"] is None and t["requirements"]["agreement"] is None
    assert {o["bureau"] for o in (m, s, t)} == {"群馬労働局", "東京労働局", "香川労働局"}
    for o in (m, s):
        # a breach of the recording ban is a ground under the general stop (前橋 第8条第2項, 渋谷 第9条第2項)
        assert {k: v for k, v in o["termination_grounds"]["recording"].items() if k not in ("label", "label_en")} == o[
            "articles"
        ]["recording_ban"]
    # 高松 第12条(2) is the ban itself; its only power to stop is 第12条(1), and it has no general breach ground
    assert t["termination_grounds"]["recording"] is None and t["termination_grounds"]["other"] is None
    assert {(g["article"], g["item"]) for g in t["termination_grounds"].values() if g} == {(12, 1)}


@pytest.mark.parametrize("oid", sorted(OFFICES))
def test_facts_not_in_the_terms_are_marked_unverified(oid):
    """A profile value the office's terms do not state (the bureau where the text names none, the
    phone number, the opening hours, a meeting platform the text does not name) is listed in
    ``unverified`` with a note, so no screen or document presents it as the terms'."""
    o = OFFICES[oid]
    unverified = o.get("unverified", {})
    assert all(isinstance(v, str) and v for v in unverified.values())
    for terms in _terms_of(o):
        text = json.dumps(terms, ensure_ascii=False)
        if o["bureau"] not in text:
            assert "bureau" in unverified, (oid, o["bureau"])
        if o["contact_phone"] not in text:
            assert "contact_phone" in unverified
        assert "hours" in unverified  # none of the three sets hours
        if not all(p in text.lower() for p in o["platforms"]):
            assert "platforms" in unverified
    assert set(unverified) <= {"bureau", "contact_phone", "hours", "platforms"}


@pytest.mark.parametrize("oid", sorted(OFFICES))
def test_ground_labels_are_the_offices_own_words(oid):
    o = OFFICES[oid]
    for terms in _terms_of(o):
        for ground, c in o["termination_grounds"].items():
            if c is None:
                continue
            r = _resolve(terms, _cite_only(c))
            text = re.sub(r"\s+", "", r["text"])
            assert re.sub(r"\s+", "", c["label"]) in text, (oid, ground, c["label"])
            assert c["label_en"].isascii() and c["label_en"]
    if oid != "takamatsu":  # 脅迫 is 高松's word (第12条(1)); 前橋/渋谷 say 不快感を与える行為
        assert "脅迫" not in o["termination_grounds"]["threats_abuse"]["label"]


# --------------------------------------------------------------------------- docs/rules.md


def _rules_columns():
    """Parse the (first) Markdown table of docs/rules.md into {header: [cell, ...]}."""
    rows = []
    for line in RULES_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    header, body = rows[0], [r for r in rows[2:]]
    assert set(rows[1][0]) <= set("-: ")
    return {h: [r[i] for r in body if len(r) == len(header)] for i, h in enumerate(header)}


@pytest.mark.parametrize("oid", sorted(OFFICES))
def test_rules_md_cites_every_article(oid):
    o = OFFICES[oid]
    short = o["name"].removeprefix("ハローワーク")
    cols = _rules_columns()
    assert short in cols, f"no {short} column in docs/rules.md"
    text = "\n".join(cols[short])
    cited = set(re.findall(r"第([0-9]+)条", text))
    needed = set()
    for where, cite in _profile_cites(o):
        if where.startswith(("requirements", "articles")):
            needed.add(str(cite["article"]))
    assert needed <= cited, f"{short}: articles {sorted(needed - cited, key=int)} missing from docs/rules.md"


def test_rules_md_has_decisions():
    text = RULES_MD.read_text(encoding="utf-8")
    assert "Decisions on ambiguous terms" in text
    for s in ("第1条(5)", "deemed_by_use", "第5条の5", "takamatsu-v2.json"):
        assert s in text
