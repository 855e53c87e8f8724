"""Answer blocks: the figure first, then how it was reached, then the source.

Every figure comes from the knowledge data and the calculator; where the notice gives no figure,
the block says so and who decides.
"""

from __future__ import annotations

from calculator import hours as hrs
from calculator.codes import entrepreneurship_code
from calculator.entrepreneurship import eligible
from calculator.subsidy import Subsidy, appraisal_subsidy, remaining_claims, subsidy_for, yuan
from knowledge.catalogue import KIND_LABEL, Entry, Knowledge
from nlp.reply import Block

LEVEL_ORDER = ("L1", "L2", "L3", "L4", "L5", "PASS")


class Answers:
    """Builds blocks for one policy year's knowledge."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.k = knowledge
        self.p = knowledge.parameters
        self.levels: dict[str, str] = knowledge.bases["levels"]
        self.programmes = {p["code"]: p for p in knowledge.entrepreneurship["programmes"]}

    # ----- naming -------------------------------------------------------------------------
    def label(self, key: str) -> str:
        """A short human name for a target key."""
        if key in self.k.by_key:
            return self.k.by_key[key].name
        if key in self.programmes:
            p = self.programmes[key]
            return f"{p['abbr']}（{p['name']}）" if p["abbr"] else p["name"]
        if key == "cy:B":
            return "创业能力培训（B类）"
        if key.startswith("o:"):
            return key[2:]
        return key

    def describe(self, e: Entry) -> str:
        """One line: kind, category, code, seq — for choices and cards."""
        cat = f"{e.category}类，" if e.category else ""
        return f"{e.name}（{cat}{e.code}）"

    def _src_entry(self, e: Entry) -> str:
        return f"附件2第{e.seq}项（{KIND_LABEL[e.kind]}）"

    @property
    def practical_percent(self) -> int:
        return int(self.p["practical_min_percent"])

    def uplift_percent(self) -> int:
        return int(self.p["shortage_uplift_percent"])

    # ----- subsidy --------------------------------------------------------------------------
    def subsidy(self, key: str, level: str | None) -> Block:
        """Subsidy for a target, at one level or at every level."""
        if key in self.k.by_key:
            e = self.k.by_key[key]
            if e.kind == "qualification":
                return (
                    self._qualification_subsidy(e, level)
                    if level
                    else self._qualification_table(e)
                )
            if e.kind == "special_ability":
                amount, hours = self.k.bases["special_ability"][e.category]
                lines = [f"专项职业能力证书 {e.category}类，最低 {hours} 课时"]
                if level and level != "PASS":
                    lines.append("专项职业能力不分等级，按类别补贴")
                return Block(
                    f"{e.name}（专项职业能力）：{amount} 元/人",
                    lines,
                    f"附件1；{self._src_entry(e)}",
                    int(amount),
                )
            amount, hours = self.k.bases["training_certificate"][e.name]
            lines = [f"最低 {hours} 课时"]
            note = self.k.bases.get("training_certificate_notes", {}).get(e.name)
            if note:
                lines.append(note)
            if level and level != "PASS":
                lines.append("培训合格证书不分等级")
            return Block(
                f"{e.name}（培训合格证书）：{amount} 元/人",
                lines,
                f"附件1；{self._src_entry(e)}",
                int(amount),
            )
        if key in self.programmes or key == "cy:B":
            cat = self.category_of(key)
            row = self.k.bases["entrepreneurship"][cat]
            return Block(
                f"{self.label(key)}：{row['amount']} 元/人",
                [
                    f"创业培训{cat}类（{row['level']}），最低 {row['hours']} 课时",
                    f"{cat}类包括：{row['certificate']}",
                ],
                "附件1；通知第三条",
                int(row["amount"]),
            )
        if key.startswith("o:"):
            row = self.k.bases["other"][key[2:]]
            if row["amount"] is None:
                return Block(
                    f"{key[2:]}：附件1未规定统一补贴金额",
                    [f"附件1写明：{row['rule']}", "通知没有给出具体金额"],
                    "附件1",
                )
            return Block(
                f"{key[2:]}：{row['amount']} 元/人",
                [f"{row['certificate']}，最低 {row['hours']} 课时"],
                "附件1",
                int(row["amount"]),
            )
        return self.local_code(key)

    def level_subsidy(self, e: Entry, level: str) -> tuple[Subsidy, int | None]:
        """附件1's base for the level, uplift applied (as the chat answers), and minimum hours."""
        return self._level_subsidy(e, level)

    def _level_subsidy(self, e: Entry, level: str) -> tuple[Subsidy, int | None]:
        """附件1's base for the entry's category and level, with 通知第一条's uplift applied."""
        base, min_hours = self.k.bases["certificate"][e.category][level]
        uplift_levels = tuple(self.p["shortage_uplift_levels"])
        s = subsidy_for(
            base,
            level,
            shortage=e.shortage,
            percent=self.uplift_percent(),
            uplift_levels=uplift_levels,
        )
        return s, min_hours

    def _qualification_subsidy(self, e: Entry, level: str) -> Block:
        s, min_hours = self._level_subsidy(e, level)
        base, pct = s.base, self.uplift_percent()
        name = self.levels[level]
        lines = []
        if s.uplifted:
            lines.append(
                f"基准 {base} 元（{e.category}类 {name}），列入紧缺型职业目录，"
                f"技师及以上上浮 {pct}% → {yuan(s.amount)} 元"
            )
            source = f"附件1；附件3第{e.shortage_seq}项；通知第一条"
        elif e.shortage:
            lines.append(
                f"基准 {base} 元（{e.category}类 {name}）；已列入紧缺型职业目录，"
                f"但上浮 {pct}% 只适用于技师及以上，{name}按基准执行"
            )
            source = f"附件1；附件3第{e.shortage_seq}项；通知第一条"
        else:
            lines.append(
                f"基准 {base} 元（{e.category}类 {name}），未列入紧缺型职业目录，按基准执行"
            )
            source = f"附件1；{self._src_entry(e)}"
        lines.append(f"最低课时：{min_hours}" if min_hours else "附件1未列出合格等级的最低课时")
        return Block(f"{e.name} {name}：{yuan(s.amount)} 元/人", lines, source, int(s.amount))

    def _qualification_table(self, e: Entry) -> Block:
        pct = self.uplift_percent()
        lines = []
        for level in LEVEL_ORDER:
            s, min_hours = self._level_subsidy(e, level)
            how = f"（基准 {s.base} 元 +{pct}%）" if s.uplifted else ""
            hours_text = f"，最低 {min_hours} 课时" if min_hours else ""
            lines.append(f"{self.levels[level]}：{yuan(s.amount)} 元{how}{hours_text}")
        status = (
            f"列入紧缺型职业目录（附件3第{e.shortage_seq}项），技师及以上上浮 {pct}%"
            if e.shortage
            else "未列入紧缺型职业目录，按基准执行"
        )
        lines.append(status)
        head = f"{e.name}（{e.category}类，{e.code}）补贴标准（元/人）："
        return Block(
            head, lines, f"附件1；{self._src_entry(e)}" + ("；通知第一条" if e.shortage else "")
        )

    # ----- hours and online ------------------------------------------------------------------
    def hours(self, key: str, level: str | None) -> Block:
        """Minimum class hours for a target (附件1)."""
        e = self.k.by_key.get(key)
        if e and e.kind == "qualification":
            row = self.k.bases["certificate"][e.category]
            if level:
                h = row[level][1]
                head = (
                    f"{e.name} {self.levels[level]}：最低 {h} 课时"
                    if h
                    else f"{e.name} {self.levels[level]}：附件1未列出最低课时"
                )
                per = self.p["minutes_per_class_hour"]
                return Block(head, [f"{e.category}类；每培训{per}分钟为1课时"], "附件1")
            lines = [f"{self.levels[lv]}：{row[lv][1]} 课时" for lv in LEVEL_ORDER if row[lv][1]]
            return Block(
                f"{e.name}（{e.category}类）最低课时：",
                [*lines, "合格等级附件1未列出最低课时"],
                "附件1",
            )
        return self.subsidy(key, level)  # special abilities, certificates: one figure and hours

    def min_hours_of(self, key: str, level: str | None) -> int | None:
        e = self.k.by_key.get(key)
        if e is None:
            return None
        if e.kind == "qualification":
            return self.k.bases["certificate"][e.category][level][1] if level else None
        if e.kind == "special_ability":
            return int(self.k.bases["special_ability"][e.category][1])
        return int(self.k.bases["training_certificate"][e.name][1])

    def online(self, key: str, level: str | None, total: int | None) -> Block:
        """Online share for a target (通知第四条; 附件1备注2)."""
        pct = int(self.p["online_max_percent"])
        e = self.k.by_key.get(key)
        if e is None:
            return Block(
                f"{self.label(key)}：通知未对其线上课时比例作专门规定",
                [
                    f"通知第四条的{self.p['online_max_percent']}%规定针对职业（工种）指导目录中的职业（工种）"
                ],
                "通知第四条",
            )
        if e.kind == "special_ability":
            return Block(f"{e.name}：专项职业能力培训原则上采用线下集中培训", [], "附件1备注2")
        if e.online_over_40:
            return Block(
                f"{e.name}：可以线上培训，线上课时可超过总课时数的{pct}%",
                ["目录中该职业（工种）带“*”标识"],
                f"通知第四条；{self._src_entry(e)}",
            )
        lines = ["目录中该职业（工种）不带“*”标识，为理论和实操相结合的培训项目"]
        basis = total or self.min_hours_of(key, level)
        if not basis and e.kind == "qualification":
            mins = sorted({h for _, h in self.k.bases["certificate"][e.category].values() if h})
            lines.append(
                "按最低课时计："
                + "；".join(f"{h} 课时线上最多 {hrs.max_online_hours(h, pct)} 课时" for h in mins)
            )
        if basis:
            which = "总" if total else "最低"
            lines.append(
                f"按{which} {basis} 课时计，线上最多 {hrs.max_online_hours(basis, pct)} 课时，"
                f"实操不少于 {hrs.min_practical_hours(basis, self.practical_percent)} 课时"
            )
        return Block(
            f"{e.name}：可以线上培训，但线上课时原则上不超过总课时数的{pct}%",
            lines,
            f"通知第四条；附件1备注2；{self._src_entry(e)}",
        )

    # ----- code, shortage, transition ------------------------------------------------------
    def code(self, key: str) -> Block:
        """The code of a target."""
        e = self.k.by_key.get(key)
        if e:
            marks = [
                m for m, on in (("*", e.online_over_40), ("L", e.green), ("S", e.digital)) if on
            ]
            lines = [f"{KIND_LABEL[e.kind]}" + (f"，{e.category}类" if e.category else "")]
            if marks:
                lines.append(f"目录标识：{' '.join(marks)}（原表写作「{e.printed}」）")
            return Block(f"{e.name}的编码：{e.code}", lines, self._src_entry(e))
        if key in self.programmes:
            p = self.programmes[key]
            return Block(
                f"{self.label(key)}的编码：{p['code']}",
                [f"马兰花中国创业培训项目，全省统一编码；补贴按创业培训{p['category']}类"],
                "附件5",
            )
        if key == "cy:B":
            return self.local_code(None)
        if key.startswith("o:"):
            return Block(f"{key[2:]}：通知未给出编码", [], "附件1")
        return self.local_code(key)

    def shortage(self, key: str) -> Block:
        """Whether a target is in 附件3."""
        e = self.k.by_key.get(key)
        pct = self.uplift_percent()
        if e and e.shortage:
            return Block(
                f"是，{e.name}属于紧缺型职业（工种）",
                [
                    f"列入《{self.k.attachment(3)}》第{e.shortage_seq}项",
                    f"技师及以上补贴标准在基准上提高{pct}%",
                ],
                "附件3；通知第一条",
            )
        name = e.name if e else self.label(key)
        why = (
            "附件3只收录职业（工种），专项职业能力和培训合格证书不在其中"
            if e and e.kind != "qualification"
            else "附件3中没有该职业（工种）"
        )
        return Block(
            f"否，{name}不属于紧缺型职业（工种）", [why, "补贴按附件1基准执行，不上浮"], "附件3"
        )

    def transition(self, key: str) -> Block:
        """附件4 rows for a current occupation."""
        e = self.k.by_key.get(key)
        if e is None or e.kind != "qualification":
            return Block(f"{self.label(key)}：附件4对照表中没有该项", [], "附件4")
        compact = e.code.replace("-", "")
        rows = [t for t in self.k.transitions if t.current_code == compact]
        if not rows:
            return Block(
                f"{e.name}（{e.code}）：附件4对照表中没有它的过渡信息",
                ["名称和编码按《职业分类大典（2022年版）》执行"],
                "附件4；通知第一条",
            )
        lines = []
        for t in rows:
            cat = f"{t.legacy_category}类 " if t.legacy_category else ""
            lines.append(f"{t.situation}：过渡期间系统中为 {cat}{t.legacy_code} {t.legacy_name}")
            if t.note:
                lines.append(f"（{t.note}）")
        return Block(f"现行目录名称：{e.name}（{e.code}）", lines, "附件4；通知第五条")

    # ----- entrepreneurship ------------------------------------------------------------------
    def local_code(
        self, key: str | None, city: str | None = None, seq: int | None = None
    ) -> Block:
        """Local personalised entrepreneurship codes JCB + city + seq (附件5)."""
        cities: list[str] = self.k.entrepreneurship["cities"]
        rule = self.k.entrepreneurship["local_rule"]
        if key and key.startswith("JCB") and len(key) == 8:
            num, s = int(key[3:5]), int(key[6:8])
            where = (
                f"{cities[num - 1]}市"
                if 1 <= num <= len(cities)
                else f"（市级代码超出江苏省{len(cities)}个设区市）"
            )
            return Block(f"{key}：{where}第{s}个地方个性化创业培训项目", [rule], "附件5")
        if city:
            n = cities.index(city) + 1
            s = seq or 1
            code = entrepreneurship_code(n, s, self.k.entrepreneurship["local_prefix"])
            lines = [f"{city}市市级代码 {n:02d}，第{s}个项目序号 {s:02d}", rule]
            if city not in self.k.entrepreneurship["cities_stated_in_notice"]:
                stated = self.k.entrepreneurship["cities_stated_in_notice"]
                said = "、".join(f"{c}{n:02d}" for c, n in stated.items())
                lines.append(f"附件5只写明{said}，其余按江苏省设区市排列顺序推得")
            return Block(f"{city}市第{s}个地方个性化创业培训项目编码：{code}", lines, "附件5")
        home = self.k.city
        example = entrepreneurship_code(
            cities.index(home) + 1, 1, self.k.entrepreneurship["local_prefix"]
        )
        return Block(
            "地方个性化创业培训项目编码：JCB+市级代码+序号",
            [rule, f"例如{home}市第1个：{example}"],
            "附件5",
        )

    def entrepreneurship_overview(self) -> Block:
        lines = []
        for cat, row in self.k.bases["entrepreneurship"].items():
            codes = "、".join(
                f"{self.label(c)} {c}" for c, p in self.programmes.items() if p["category"] == cat
            )
            lines.append(
                f"{cat}类 {row['level']}：{row['amount']} 元/人，最低 {row['hours']} 课时；{codes}"
            )
        lines.append(self.k.clause("entrepreneurship_order")["text"])
        return Block("创业培训补贴与编码：", lines, "附件1；附件5；通知第三条")

    def category_of(self, key: str) -> str:
        """Entrepreneurship class (A–D) of a programme key."""
        return "B" if key == "cy:B" else str(self.programmes[key]["category"])

    def eligibility(self, taken: list[str], second: str) -> Block:
        """Whether ``second`` is subsidised after the programmes ``taken`` (通知第三条)."""
        cats = [self.category_of(k) for k in taken]
        b = self.category_of(second)
        result = eligible(cats, b)
        row = self.k.bases["entrepreneurship"][b]
        if result.subsidised:
            lines = [f"先参加{'、'.join(cats)}类、再参加{b}类，符合由低到高逐级参加的要求"]
            lines += [
                f"{self.label(k)}（{c}类）：{self.k.bases['entrepreneurship'][c]['amount']} 元/人"
                for k, c in zip(taken, cats, strict=True)
            ]
            return Block(
                f"{self.label(second)}可以享受补贴：{row['amount']} 元/人",
                lines,
                "通知第三条；附件1",
                int(row["amount"]),
            )
        if result.reason == "lower_after_higher":
            first = next(k for k, c in zip(taken, cats, strict=True) if c > b)
            why = (
                f"先参加高类别（{self.category_of(first)}类 {self.label(first)}）、"
                f"后参加低类别（{b}类）培训项目的，对低类别培训项目不予补贴"
            )
        else:
            first = next(k for k, c in zip(taken, cats, strict=True) if c == b)
            why = (
                f"{self.label(first)}与{self.label(second)}同属{b}类，"
                "参加同一类别培训项目只可享受一次职业培训补贴"
            )
        return Block(f"{self.label(second)}不予补贴", [why], "通知第三条")

    # ----- level-only and policy --------------------------------------------------------------
    def appraisal(self, level: str | None) -> Block:
        table: dict[str, int] = self.k.bases["appraisal"]
        if level and level in table:
            return Block(
                f"{self.levels[level]}职业技能鉴定补贴：{appraisal_subsidy(table, level)} 元/人",
                [],
                "附件1",
                appraisal_subsidy(table, level),
            )
        lines = [f"{self.levels[lv]}：{amount} 元" for lv, amount in table.items()]
        if level == "PASS":
            lines.append("附件1未列出合格等级的鉴定补贴")
        return Block("职业技能鉴定补贴（元/人）：", lines, "附件1")

    def special_overview(self, category: str | None = None) -> Block:
        """附件1's special-ability bases: every category, or the one asked."""
        lines = [
            f"{cat}类：{amount} 元/人，最低 {hours} 课时"
            for cat, (amount, hours) in self.k.bases["special_ability"].items()
            if category in (None, cat)
        ]
        lines.append(self.k.clause("special_offline")["text"] + "（附件1备注2）")
        return Block("专项职业能力证书补贴（按附件2所列类别）：", lines, "附件1")

    def certificate_overview(self) -> Block:
        lines = [
            f"{e.name}（{e.code}）：{self.k.bases['training_certificate'][e.name][0]} 元/人，"
            f"最低 {self.k.bases['training_certificate'][e.name][1]} 课时"
            for e in self.k.entries
            if e.kind == "training_certificate"
        ]
        row = self.k.bases["other"]["职工岗前培训"]
        lines.append(
            f"职工岗前培训（培训合格证书）：{row['amount']} 元/人，最低 {row['hours']} 课时"
        )
        cats = "、".join(
            f"{c}类 {r['PASS'][0]} 元" for c, r in self.k.bases["certificate"].items()
        )
        lines.append(f"目录内职业（工种）取得合格等级的：{cats}（附件1未列最低课时）")
        seqs = "、".join(str(e.seq) for e in self.k.entries if e.kind == "training_certificate")
        return Block(f"培训合格证书项目（附件2第{seqs}项）及补贴：", lines, "附件1；附件2")

    def bases_overview(self, level: str | None, category: str | None = None) -> Block:
        lines = []
        for cat, row in self.k.bases["certificate"].items():
            if category and cat != category:
                continue
            if level:
                lines.append(f"{cat}类 {self.levels[level]}：{row[level][0]} 元")
            else:
                lines.append(
                    f"{cat}类："
                    + "，".join(f"{self.levels[lv]} {row[lv][0]}" for lv in LEVEL_ORDER)
                )
        lines.append(
            f"紧缺型职业（工种）技师及以上再上浮{self.uplift_percent()}%；请告诉我具体工种，我来算"
        )
        return Block("职业资格/职业技能等级证书补贴基准（元/人）：", lines, "附件1；通知第一条")

    def institutions(self, stars: int | None) -> Block:
        extra = []
        if stars is not None and stars > 3:
            word = "零一二三四五"[stars] if stars <= 5 else str(stars)
            extra.append(
                f"{word}星级机构不属于三星级以下，不在“原则上不支持”之列；"
                "能否参与以属地人社部门建立的补贴性培训机构清单为准（通知第二条）"
            )
        return self.clause("institutions", extra)

    def clause(self, clause_id: str, extra: list[str] | None = None) -> Block:
        c = self.k.clause(clause_id)
        return Block(c["text"], extra or [], c["cite"])

    def hours_overview(self, levels: list[str]) -> Block:
        """Minimum class hours by level (附件1): the same for A, B and C."""
        rows = self.k.bases["certificate"]
        lines = []
        for level in levels or list(LEVEL_ORDER):
            hours = {row[level][1] for row in rows.values()}
            if hours == {None}:
                lines.append(f"{self.levels[level]}：附件1未列出最低课时")
            elif len(hours) == 1:
                lines.append(f"{self.levels[level]}：最低 {hours.pop()} 课时（A、B、C类相同）")
            else:
                lines.append(
                    f"{self.levels[level]}："
                    + "，".join(f"{cat}类 {row[level][1]} 课时" for cat, row in rows.items())
                )
        lines.append("每培训45分钟为1课时（附件1备注2）")
        return Block("职业资格/职业技能等级证书最低课时：", lines, "附件1")

    def notice(self) -> Block:
        rules = self.k.rules
        return Block(
            f"{rules['notice']}",
            [
                rules["title"],
                f"主送：{rules['addressees']}",
                rules["publication"],
                "自{}年{}月{}日起实施".format(*map(int, str(self.p["effective_date"]).split("-"))),
            ],
            "通知",
        )

    def claims(self, used: int | None, asked: int | None = None) -> Block:
        """通知第一条's yearly limit, said as a plain yes or no when the question gives counts."""
        limit = int(self.p["max_claims_per_year"])
        head = f"每年最多申领 {limit} 次培训补贴"
        if used is not None:
            left = remaining_claims(used, limit)
            head = (
                f"还可以领：每年最多 {limit} 次，您今年已申领 {used} 次，还可再申领 {left} 次"
                if left
                else f"不能再领了：每年最多申领 {limit} 次，您今年已申领 {used} 次"
            )
        elif asked is not None:
            head = (
                f"可以：每年最多申领 {limit} 次培训补贴，{asked} 次没有超过"
                if asked <= limit
                else f"不可以：每年最多申领 {limit} 次培训补贴，{asked} 次超过了"
            )
        lines = [self.k.clause("claims_per_year")["text"], "通知按每年计算申领次数"]
        return Block(head, lines, "通知第一条")

    def uncovered(self, what: str) -> Block:
        """A subsidy this notice does not deal with: say so, and where to ask."""
        return Block(
            f"本通知不涉及「{what}」",
            [
                f"{self.k.rules['notice']}只规定政府补贴性职业技能培训的补贴标准、目录和要求，"
                f"没有规定{what}，也不能用这里的培训补贴标准代替",
                "请咨询当地人力资源社会保障部门（或就业、社保经办机构）",
                "通知的" + self.k.clause("contacts")["text"],
            ],
            self.k.rules["notice"],
        )

    def class_hour(self, minutes: int | None, total_hours: int | None = None) -> Block:
        """附件1备注2's class hour; minutes to class hours, or class hours to time."""
        per = int(self.p["minutes_per_class_hour"])
        extra = [f"{minutes} 分钟折合{hrs.class_hours(minutes, per)}个课时"] if minutes else []
        if total_hours and not minutes:  # 56课时折合多少小时
            spent = total_hours * per
            extra.append(f"{total_hours} 课时 × {per} 分钟 = {spent} 分钟，合 {spent / 60:g} 小时")
        return Block(f"每培训{per}分钟为1课时", extra, "附件1备注2")

    def marks(self) -> Block:
        pct = int(self.p["online_max_percent"])
        c = self.k.clause("marks")
        online = self.k.clause("online")["text"]
        return Block(
            f"带“*”的职业（工种）线上培训课时可超过总课时数的{pct}%；不带“*”的原则上不超过{pct}%",
            [online, c["text"], "标识的其他含义请咨询：" + self.k.clause("contacts")["text"]],
            "通知第四条；附件2",
        )
