"""The data files against the notice: counts, every oddity, every cell of 附件1, validation."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from knowledge import catalogue, policies
from knowledge.catalogue import DATA_DIR, DataError, entry_key, load, load_from
from knowledge.policies import data_dirs_from_env, load_all
from tests.knowledge import conftest

ROOT = Path(__file__).resolve().parents[2]


def _extractor():
    spec = importlib.util.spec_from_file_location(
        "extract_notice", ROOT / "scripts" / "extract_notice.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_counts(knowledge):
    assert knowledge.count("qualification") == 542
    assert knowledge.count("special_ability") == 158
    assert knowledge.count("training_certificate") == 2
    assert len({e.code for e in knowledge.entries if e.shortage}) == 130


def test_marks_are_fields_not_names(knowledge):
    e = knowledge.by_key["q4040402"]
    assert (e.name, e.online_over_40, e.green, e.digital) == (
        "网络与信息安全管理员",
        True,
        False,
        True,
    )
    bim = knowledge.by_name["建筑信息模型技术员"]
    assert (bim.online_over_40, bim.green, bim.digital) == (True, True, True)  # *…L/S
    assert not any(ch in e.name for e in knowledge.entries for ch in "*")
    assert not any(
        e.name.endswith(("L", "S")) for e in knowledge.entries if e.kind == "qualification"
    )


def test_mark_before_parenthesised_subtypes(knowledge):
    e = knowledge.by_code["4-02-01-01"][0]
    assert e.printed.startswith("轨道交通列车司机L（")
    assert (
        e.name
        == "轨道交通列车司机（城市轨道交通列车司机、电力机车司机、动车组司机、内燃机车司机）"
    )
    assert e.green and e.base_name == "轨道交通列车司机"


def test_names_keep_subtypes(knowledge):
    e = knowledge.by_code["6-30-05-01"][0]
    assert e.name == "起重装卸机械操作工（汽车吊司机、叉车司机）"
    assert e.subtypes == ("汽车吊司机", "叉车司机")


def test_two_rows_share_one_code(knowledge):
    rows = knowledge.by_code["4-10-01-06"]
    assert [r.name for r in rows] == [
        "家政服务员（整理收纳师）",
        "家政服务员（母婴护理、家务服务、家庭照护）",
    ]
    assert all(r.shortage and r.category == "B" for r in rows)


def test_training_certificates_have_no_category_and_ten_digit_codes(knowledge):
    certs = [e for e in knowledge.entries if e.kind == "training_certificate"]
    assert [(e.seq, e.name, e.code, e.category) for e in certs] == [
        (159, "短视频运营", "3208990008", ""),
        (160, "跨境电商", "3208990010", ""),
    ]


def test_section_header_repeated_at_page_breaks_does_not_restart_kinds(knowledge):
    # the 专项职业能力证书 cell reappears at seq 40, 79 and 124 of 附件2
    e = knowledge.by_key["s100000108"]
    assert (e.kind, e.seq, e.name) == ("special_ability", 40, "AUTOCAD建筑设计")


def test_shortage_word_bookmark_removed(knowledge):
    assert knowledge.by_code["4-02-07-09"][0].shortage
    import csv

    with open(DATA_DIR / "2024" / "shortage.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    (row,) = [r for r in rows if r["code"] == "4-02-07-09"]
    assert (row["name"], row["printed"]) == ("快件处理员", "快件处理员")
    assert "书签" in row["note"]


def test_transition_two_codes_in_one_cell(knowledge):
    rows = [t for t in knowledge.transitions if t.current_code == "4140507"]
    assert sorted(t.legacy_code for t in rows) == ["4139900", "4139901"]
    assert all("两个编码" in t.note for t in rows)


def test_transition_odd_code_kept(knowledge):
    (row,) = [t for t in knowledge.transitions if t.current_name == "劳动保障协理员"]
    assert row.legacy_code == "A407990200"


def test_transition_blank_cells_of_tool_fitter_belong_to_row_above(knowledge):
    (row,) = [t for t in knowledge.transitions if t.current_name == "工具钳工"]
    assert (row.legacy_category, row.legacy_code, row.legacy_name) == ("A", "6200101", "钳工")
    assert "合并单元格" in row.note


def test_transition_blank_categories_stay_blank(knowledge):
    blank = {t.current_name for t in knowledge.transitions if not t.legacy_category}
    assert blank == {"营养师", "眼镜验光师", "糕点面包烘焙师"}


def test_legacy_code_4070503_appears_for_two_occupations(knowledge):
    rows = [t for t in knowledge.transitions if t.legacy_code == "4070503"]
    assert sorted(t.current_name for t in rows) == ["智能楼宇管理员", "消防设施操作员"]


def test_bases_merged_cells(knowledge):
    assert knowledge.bases["training_certificate"]["跨境电商"] == [500, 40]  # blank = merged
    assert knowledge.bases["special_ability"] == {"A": [800, 40], "B": [600, 32], "C": [400, 24]}
    for cat in "ABC":
        assert knowledge.bases["certificate"][cat]["PASS"][1] is None  # 合格: no hours printed
    assert knowledge.bases["other"]["项目制培训"]["amount"] is None


def _seed_attachment1(seed_text):
    rows = _extractor().table_rows(seed_text)
    start = next(i for i, r in enumerate(rows) if r[1] == ["#TEXT", "附件1"])
    end = next(i for i, r in enumerate(rows) if r[1] == ["#TEXT", "附件2"])
    return [cells for _, cells in rows[start:end] if cells[0] != "#TEXT"][1:]


def test_every_cell_of_attachment1_matches_the_notice(knowledge, seed_text):
    cells = _seed_attachment1(seed_text)
    bases = knowledge.bases
    levels = {v: k for k, v in bases["levels"].items()}
    checked = 0
    cat = None
    for row in cells:
        if row[1] in ("A类", "B类", "C类") and row[2] in levels:
            cat = row[1][0]
        if (
            cat
            and row[2] in levels
            and len(row) >= 4
            and row[0] in ("", "职业资格证书、职业技能等级证书、培训合格证书")
        ):
            amount, hours = bases["certificate"][cat][levels[row[2]]]
            assert amount == int(row[3])
            assert hours == (int(row[4]) if len(row) > 4 and row[4] else None)
            checked += 1
    assert checked == 18
    appraisal = {
        r[1]: int(r[2])
        for r in cells[cells.index(next(r for r in cells if r[0] == "职业技能鉴定补贴")) :]
    }
    assert {levels[k]: v for k, v in appraisal.items()} == bases["appraisal"]
    special = [
        r for r in cells if r[1] in ("A类", "B类", "C类") and r[2] in ("专项职业能力证书", "")
    ]
    assert {r[1][0]: [int(r[3]), int(r[4])] for r in special} == bases["special_ability"]
    cy = [r for r in cells if "（" in r[1] and r[1].replace("\n", "").endswith("类）")]
    assert {r[1].replace("\n", "")[-3]: int(r[3]) for r in cy} == {
        k: v["amount"] for k, v in bases["entrepreneurship"].items()
    }


def test_data_files_regenerate_identically_from_the_notice(tmp_path, seed_text, monkeypatch):
    extractor = _extractor()
    monkeypatch.setattr(extractor, "OUT", tmp_path)
    seed = tmp_path / "seed.txt"
    seed.write_text(seed_text, encoding="utf-8")
    extractor.main(str(seed))
    for name in ("catalogue.csv", "shortage.csv", "transition.csv"):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / "2024" / name).read_bytes(), name


def test_copy_loads(data_copy):
    assert len(load_from(data_copy).entries) == 702


@pytest.mark.parametrize(
    "file,old,new,message",
    [
        (
            "catalogue.csv",
            "qualification,2,A,制粉工,6-01-01-02",
            "qualification,2,Z,制粉工,6-01-01-02",
            "catalogue.csv: row 2: field 'category'",
        ),
        (
            "catalogue.csv",
            "制粉工,6-01-01-02",
            "制粉工,6-01-0102",
            "catalogue.csv: row 2: field 'code'",
        ),
        (
            "catalogue.csv",
            "制油工,6-01-01-03,0,0,0",
            "制油工,6-01-01-03,0,yes,0",
            "catalogue.csv: row 3: field 'green'",
        ),
        (
            "catalogue.csv",
            "qualification,3,A",
            "qualification,2,A",
            "catalogue.csv: row 3: field 'seq'",
        ),
        (
            "shortage.csv",
            "营销员,4-01-02-01",
            "营销员,9-99-99-99",
            "shortage.csv: row 9-99-99-99: field 'code'",
        ),
        ("aliases.yaml", "电焊工: [焊工]", "电焊工: [不存在的工种]", "aliases.yaml: row 电焊工"),
        (
            "subsidy_bases.yaml",
            "L2: [3500, 56]",
            "L2: 3500",
            "subsidy_bases.yaml: row certificate.A: field 'L2'",
        ),
        (
            "transition.csv",
            "B,3020201,保卫管理员",
            "B,302020,保卫管理员",
            "transition.csv: row 1: field 'current_code'",
        ),
        ("rules.yaml", "year: 2024 ", "year: 2023 ", "2024/rules.yaml: row -: field 'year'"),
        (
            "rules.yaml",
            "online_max_percent: 40",
            "online_max_percent: 四十",
            "rules.yaml: row parameters: field 'online_max_percent'",
        ),
        (
            "rules.yaml",
            "shortage_uplift_levels: [L1, L2]",
            "shortage_uplift_levels: [技师]",
            "rules.yaml: row parameters: field 'shortage_uplift_levels'",
        ),
        (
            "rules.yaml",
            "notice: 淮人社发〔2024〕22号",
            "notice: ''",
            "rules.yaml: row -: field 'notice'",
        ),
    ],
)
def test_bad_file_names_file_row_and_field(data_copy, file, old, new, message):
    path = data_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_from(data_copy)
    assert message in str(err.value)


def test_missing_file_and_unknown_year(data_copy):
    (data_copy / "rules.yaml").unlink()
    with pytest.raises(DataError, match=r"rules\.yaml"):
        load_from(data_copy)
    with pytest.raises(DataError, match=r"no data for policy year"):
        load("1999")
    with pytest.raises(DataError):
        load("../etc")


def test_rules_cite_their_clause(knowledge):
    for clause_id, clause in knowledge.rules["clauses"].items():
        assert clause["cite"].startswith(("通知", "附件")), clause_id
        assert clause["text"]
    assert knowledge.parameters["max_claims_per_year"] == 3
    assert knowledge.parameters["shortage_uplift_percent"] == 10


def test_clause_texts_are_quotes_of_the_notice(knowledge, seed_text):
    for clause_id, clause in knowledge.rules["clauses"].items():
        if clause_id == "marks":  # our explanation of the marks, said to be ours in its text
            assert "通知正文对此没有说明" in clause["text"]
            continue
        for part in clause["text"].split("……"):
            assert part in seed_text, clause_id


def test_golden_checks_skip_with_a_reason_without_the_notice(tmp_path):
    assert conftest.SEED_MISSING == (
        "../shared/seed not present: golden checks against the notice skipped"
    )
    with pytest.raises(pytest.skip.Exception, match=re.escape(conftest.SEED_MISSING)):
        conftest.read_seed(tmp_path / "absent.txt")


def test_notice_number_titles_and_year_are_data_quoted_from_the_notice(knowledge, seed_text):
    flat = seed_text.replace("\n", "")
    assert knowledge.notice == "淮人社发〔2024〕22号" and knowledge.notice in seed_text
    assert knowledge.title in flat
    assert knowledge.subject in flat
    for number in range(1, 6):
        assert knowledge.attachment(number) in flat, number
    assert knowledge.year == "2024" == str(knowledge.rules["year"])


# ---- stable entry keys ------------------------------------------------------------------------

PAYLOAD = re.compile(r"[0-9A-Za-z:|\-\u4e00-\u9fff]+")  # what the nlp payload parser accepts


def test_entry_keys_are_unique_short_and_fit_a_button(knowledge):
    keys = [e.key for e in knowledge.entries]
    assert len(set(keys)) == len(keys) == len(knowledge.by_key) == 702
    for key in keys:
        assert re.fullmatch(r"[0-9A-Za-z-]{1,16}", key), key
        assert catalogue.KEY_PATTERN.fullmatch(key), key
        assert PAYLOAD.fullmatch(f"pick:{key}|ss|L2")
        assert len(f"pick:{key}|ss|L2".encode()) <= 64


def test_entry_keys_come_from_kind_and_code_and_name_not_the_row(knowledge):
    assert knowledge.by_name["焊工"].key == "q6180204"
    assert [(e.name, e.key) for e in knowledge.by_code["4-10-01-06"]] == [
        ("家政服务员（整理收纳师）", "q4100106-d094"),
        ("家政服务员（母婴护理、家务服务、家庭照护）", "q4100106-bdad"),
    ]
    assert knowledge.by_code["100000108"][0].key == "s100000108"
    assert knowledge.by_code["3208990008"][0].key == "t3208990008"
    for e in knowledge.entries:
        shared = len(knowledge.by_code[e.code]) > 1
        assert e.key == entry_key(e.kind, e.code, e.name, shared=shared)


def test_entry_keys_survive_renumbering_and_reordering(knowledge, data_copy):
    path = data_copy / "catalogue.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head, rows = lines[:2], lines[2:]
    renumbered = []
    for row in reversed(rows):  # every row moves, every seq changes
        kind, seq, rest = row.split(",", 2)
        renumbered.append(f"{kind},{int(seq) + 1000},{rest}")
    path.write_text("".join(head + renumbered), encoding="utf-8")
    moved = load_from(data_copy)
    old = {(e.kind, e.code, e.name): e for e in knowledge.entries}
    assert len(moved.entries) == len(old)
    for e in moved.entries:
        before = old[e.kind, e.code, e.name]
        assert e.seq == before.seq + 1000
        assert e.key == before.key
        assert dataclasses.replace(e, seq=before.seq) == before


# ---- several policy years ---------------------------------------------------------------------


def _next_year(root, year="2025", *, base="L2: [3500, 56]", new="L2: [3600, 56]", rules_year=True):
    folder = root / year
    shutil.copytree(DATA_DIR / "2024", folder)
    bases = folder / "subsidy_bases.yaml"
    text = bases.read_text(encoding="utf-8")
    assert text.count(base) == 1
    bases.write_text(text.replace(base, new), encoding="utf-8")
    if rules_year:
        rules = folder / "rules.yaml"
        text = rules.read_text(encoding="utf-8")
        rules.write_text(text.replace("year: 2024 ", f"year: {year} ", 1), encoding="utf-8")
    return folder


def test_next_year_is_a_folder(tmp_path):
    folder = _next_year(tmp_path)
    loaded = load_all(extra_dirs=[tmp_path])
    assert loaded.years == ("2024", "2025") and list(loaded) == ["2024", "2025"]
    assert loaded.latest is loaded["2025"] is loaded.get("2025")
    assert loaded.latest.year == "2025"
    assert loaded.latest.bases["certificate"]["A"]["L2"] == [3600, 56]
    assert loaded["2024"].bases["certificate"]["A"]["L2"] == [3500, 56]
    assert loaded["2024"] is load("2024")  # parsed once, shared with load()
    assert loaded.folders["2025"] == folder.resolve()
    assert loaded.get("2026") is None
    assert load_all(extra_dirs=[tmp_path]) is loaded  # cached
    assert load_all().years == ("2024",)


def test_an_extra_folder_overrides_the_packaged_year(tmp_path):
    _next_year(tmp_path, "2024", base="L1: [4300, 56]", new="L1: [4400, 56]")
    loaded = load_all([tmp_path])
    assert loaded.years == ("2024",)
    assert loaded.latest.bases["certificate"]["A"]["L1"] == [4400, 56]
    assert load("2024").bases["certificate"]["A"]["L1"] == [4300, 56]


def test_a_later_extra_dir_overrides_an_earlier_one(tmp_path):
    _next_year(tmp_path / "a", new="L2: [3600, 56]")
    _next_year(tmp_path / "b", new="L2: [3700, 56]")
    loaded = load_all([tmp_path / "a", tmp_path / "b"])
    assert loaded.latest.bases["certificate"]["A"]["L2"] == [3700, 56]


def test_a_copied_folder_must_say_its_year(tmp_path):
    _next_year(tmp_path, rules_year=False)
    with pytest.raises(DataError, match=r"2025/rules\.yaml: row -: field 'year'"):
        load_all([tmp_path])


def test_bad_extra_dirs_are_errors(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        load_all([tmp_path / "missing"])
    (tmp_path / "notes").mkdir()
    with pytest.raises(DataError, match=r"holds no <year>/ folder"):
        load_all([tmp_path])
    bad = _next_year(tmp_path / "x")
    (bad / "catalogue.csv").write_text(
        (bad / "catalogue.csv")
        .read_text(encoding="utf-8")
        .replace(",制粉工,6-01-01-02", ",制粉工,6-01-0102"),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"2025/catalogue\.csv: row 2: field 'code'"):
        load_all([tmp_path / "x"])


def test_load_defaults_to_the_latest_year_of_a_root(tmp_path):
    _next_year(tmp_path)
    assert load(root=tmp_path).year == "2025"
    assert load().year == "2024"


def test_data_dirs_from_env():
    env = {"SKILLBOT_DATA": "/srv/skillbot/data:~/more:"}
    assert data_dirs_from_env(env) == [
        Path("/srv/skillbot/data"),
        Path("~/more").expanduser(),
    ]
    assert data_dirs_from_env({}) == []
    assert data_dirs_from_env({"SKILLBOT_DATA": ""}) == []


def test_no_year_or_notice_string_in_code():
    """Every year, notice number and title comes from knowledge/data/<year>/."""
    import ast

    import calculator

    sources = [Path(catalogue.__file__), Path(policies.__file__)]
    sources += sorted(Path(calculator.__file__).parent.glob("*.py"))
    bad = re.compile(r"20\d\d年|〔20\d\d〕|\d+号|^20\d\d$")
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) not in docstrings:
                    assert not bad.search(node.value), (source.name, node.value)
