"""Plausible document text from built-in word lists: Chinese notices, contracts and reports, and
English business prose. Every function draws from the ``numpy.random.Generator`` it is given, so
a page's text is fixed by its seed.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- Chinese word lists
ZH_CITIES = [
    "北京",
    "上海",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "武汉",
    "苏州",
    "西安",
    "广州",
    "天津",
    "重庆",
    "长沙",
    "合肥",
    "青岛",
    "厦门",
]
ZH_NAMES = [
    "华信",
    "恒通",
    "中科",
    "瑞达",
    "金诚",
    "博远",
    "新源",
    "宏图",
    "佳和",
    "云帆",
    "安泰",
    "鼎盛",
    "智联",
    "长城",
    "海川",
    "明德",
]
ZH_INDUSTRIES = [
    "科技",
    "贸易",
    "建设工程",
    "信息技术",
    "咨询服务",
    "物流",
    "电子",
    "环保科技",
    "医疗器械",
    "文化传媒",
    "软件",
    "新能源",
]
ZH_SUBJECTS = [
    "甲方",
    "乙方",
    "本公司",
    "项目组",
    "各部门",
    "相关单位",
    "双方",
    "承包人",
    "发包人",
    "财务部",
    "技术中心",
    "办公室",
    "各级管理人员",
    "供应商",
    "采购人",
    "评审专家组",
    "监理单位",
    "人力资源部",
    "质量管理部",
    "项目负责人",
    "各分公司",
    "运营中心",
]
ZH_ACTIONS = [
    "组织开展",
    "认真落实",
    "全面推进",
    "统筹协调",
    "及时报送",
    "严格执行",
    "加强监督",
    "妥善处理",
    "进一步完善",
    "定期检查",
    "负责编制",
    "按时提交",
    "认真审核",
    "逐项核对",
    "积极配合",
    "牵头制定",
    "全面梳理",
    "抓紧推进",
    "规范开展",
    "如实填报",
]
ZH_OBJECTS = [
    "安全生产检查工作",
    "项目验收材料",
    "年度预算执行情况",
    "质量管理体系",
    "合同履行情况",
    "数据安全保护措施",
    "档案管理制度",
    "设备维护保养计划",
    "信息化建设项目",
    "季度财务报表",
    "招标采购文件",
    "员工培训计划",
    "工程进度款支付申请",
    "环境保护整改方案",
    "风险评估报告",
    "固定资产清查工作",
    "客户服务规范",
    "技术方案及实施计划",
    "应急预案演练",
    "办公用品采购清单",
    "消防安全隐患排查",
    "劳动合同续签事宜",
    "软件系统升级改造",
    "绩效考核结果",
]
ZH_GOALS = [
    "提高工作效率",
    "规范管理流程",
    "保障项目顺利实施",
    "提升服务质量",
    "加强风险防控",
    "明确双方权利义务",
    "落实安全生产责任",
    "推动业务高质量发展",
    "确保各项工作按期完成",
    "加强内部控制",
    "切实维护职工合法权益",
    "进一步优化营商环境",
    "降低运营成本",
]
ZH_TIMES = [
    "于2023年3月15日前",
    "在每季度末",
    "在本合同签订后十五个工作日内",
    "在收到通知后三日内",
    "自即日起",
    "于每月10日前",
    "在项目竣工验收后三十日内",
    "于2024年6月30日前",
    "在会议结束后",
    "于本年度内",
    "在货物到达后七日内",
    "在接到书面通知之日起五个工作日内",
]
ZH_REFS = [
    "《中华人民共和国民法典》",
    "《安全生产管理办法》",
    "本合同第五条",
    "公司章程",
    "上级主管部门的要求",
    "《会议纪要》",
    "《招标投标法》",
    "国家有关法律法规",
    "集团公司相关制度",
    "《劳动合同法》",
    "双方签订的补充协议",
    "《财务管理制度》",
]
ZH_CONDITIONS = [
    "乙方未能按期交付",
    "因不可抗力导致合同无法履行",
    "甲方逾期付款超过三十日",
    "发现产品质量问题",
    "一方违反本合同约定",
    "项目发生重大变更",
    "检查中发现安全隐患",
    "乙方提供的资料不真实",
    "市场价格发生较大波动",
    "相关政策发生调整",
]
ZH_CONSEQUENCES = [
    "承担相应的违约责任",
    "赔偿由此造成的全部损失",
    "书面通知对方并说明理由",
    "限期整改",
    "按日支付合同总价千分之三的违约金",
    "协商解决",
    "报请上级部门审批",
    "暂停支付相关款项",
    "重新组织验收",
    "依法追究相关责任",
]
ZH_RIGHTS = [
    "解除合同",
    "要求对方继续履行",
    "暂停后续工作",
    "要求更换相关人员",
    "拒绝验收",
    "向人民法院提起诉讼",
    "扣除相应保证金",
]
ZH_METRICS = [
    "营业收入",
    "净利润",
    "完成投资",
    "新增用户",
    "产品销量",
    "研发投入",
    "出口总额",
    "服务满意度",
    "合同签约额",
    "生产总值",
]
ZH_METRIC_UNITS = {
    "营业收入": "万元",
    "净利润": "万元",
    "完成投资": "亿元",
    "新增用户": "万人",
    "产品销量": "万件",
    "研发投入": "万元",
    "出口总额": "亿美元",
    "合同签约额": "万元",
    "生产总值": "亿元",
    "货物运输量": "万吨",
    "接待游客": "万人次",
}
ZH_TITLES = [
    "关于开展{year}年度安全生产大检查的通知",
    "技术服务合同",
    "{name}项目可行性研究报告",
    "会议纪要",
    "设备采购合同",
    "{year}年度工作总结",
    "项目验收报告",
    "房屋租赁协议",
    "关于调整办公时间的通知",
    "{year}年第{q}季度经营情况分析",
    "信息系统建设方案",
    "关于加强档案管理工作的意见",
    "员工培训管理办法",
    "产品质量检验报告",
    "关于召开{year}年年度股东大会的通知",
    "委托代理协议",
]
ZH_NUMERALS = "一二三四五六七八九十"
ZH_HEADINGS = [
    "项目概况",
    "主要工作内容",
    "付款方式",
    "双方权利和义务",
    "验收标准",
    "违约责任",
    "总体要求",
    "工作目标",
    "实施步骤",
    "保障措施",
    "存在的问题",
    "下一步工作安排",
    "技术指标",
    "质量保证",
    "保密条款",
    "争议解决",
    "其他事项",
    "经费预算",
    "组织机构",
    "进度安排",
]
ZH_DEPARTMENTS = ["综合办公室", "财务部", "人力资源部", "技术中心", "市场部", "安全生产部", "采购中心"]
ZH_ITEMS = [
    "服务器",
    "交换机",
    "办公桌椅",
    "打印机",
    "笔记本电脑",
    "空调",
    "监控摄像头",
    "不间断电源",
    "投影仪",
    "文件柜",
    "路由器",
    "硬盘",
    "显示器",
    "会议系统",
]

# ---------------------------------------------------------------- English word lists
EN_COMPANIES = [
    "Acme Trading Co., Ltd.",
    "Northwind Logistics Inc.",
    "Bluestone Engineering LLC",
    "Greenfield Consulting Group",
    "Summit Data Systems",
    "Harbor Medical Supplies",
    "Pioneer Energy Partners",
    "Crescent Software Ltd.",
]
EN_PARTIES = [
    "Contractor",
    "Client",
    "Supplier",
    "Purchaser",
    "Company",
    "Licensee",
    "Tenant",
    "Landlord",
    "Consultant",
    "project team",
    "Board",
    "committee",
]
EN_ACTIONS = [
    "deliver",
    "review",
    "submit",
    "approve",
    "maintain",
    "inspect",
    "update",
    "document",
    "verify",
    "complete",
    "prepare",
    "implement",
    "monitor",
    "evaluate",
]
EN_PARTICIPLES = [
    "delivered",
    "reviewed",
    "submitted",
    "approved",
    "maintained",
    "inspected",
    "updated",
    "documented",
    "verified",
    "completed",
    "prepared",
    "implemented",
    "monitored",
    "evaluated",
]
EN_OBJECTS = [
    "final report",
    "quarterly budget",
    "safety procedures",
    "technical specifications",
    "project schedule",
    "quality control records",
    "payment invoices",
    "maintenance plan",
    "risk assessment",
    "training materials",
    "inventory list",
    "software release",
    "audit findings",
    "service level metrics",
    "design documents",
    "shipping manifest",
]
EN_TIMES = [
    "within thirty (30) days",
    "before the end of each quarter",
    "no later than June 30, 2024",
    "upon written request",
    "prior to final acceptance",
    "on a monthly basis",
    "within five business days",
    "by December 31, 2023",
    "at least once a year",
]
EN_REFS = [
    "Section 4.2 of this Agreement",
    "the applicable laws and regulations",
    "the approved budget",
    "the Statement of Work",
    "the company's internal policies",
    "Annex B",
    "the minutes of the previous meeting",
    "ISO 9001 requirements",
]
EN_REMEDIES = [
    "terminate this Agreement",
    "withhold payment",
    "claim liquidated damages",
    "request a corrective action plan",
    "suspend the services",
    "seek an independent review",
]
EN_DRIVERS = [
    "higher sales volumes",
    "lower material costs",
    "strong demand in Asia",
    "the new product line",
    "improved operating efficiency",
    "favorable exchange rates",
    "growth in online orders",
    "reduced logistics expenses",
]
EN_ADVERBS = ["promptly", "carefully", "fully", "regularly", "independently", "jointly", "properly"]
EN_TITLES = [
    "SERVICE AGREEMENT",
    "Quarterly Financial Report",
    "Meeting Minutes",
    "Project Proposal",
    "Notice of Annual Inspection",
    "Purchase Order Terms",
    "Technical Evaluation Report",
    "Employee Handbook",
    "Lease Agreement",
    "Progress Report Q{q} {year}",
    "Memorandum",
]
EN_HEADINGS = [
    "Introduction",
    "Scope of Work",
    "Payment Terms",
    "Warranty",
    "Confidentiality",
    "Summary of Findings",
    "Recommendations",
    "Background",
    "Deliverables",
    "Schedule",
    "Budget Overview",
    "Termination",
    "Responsibilities",
    "Risk Management",
    "Next Steps",
    "Financial Highlights",
]
EN_ITEMS = [
    "Server rack",
    "Network switch",
    "Office chair",
    "Laser printer",
    "Laptop",
    "Air conditioner",
    "Security camera",
    "UPS unit",
    "Projector",
    "Filing cabinet",
    "Router",
    "Monitor",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

ZH_BULLETS = ["{n}. ", "（{n}）", "{n}）", "● ", "■ ", "- "]
EN_BULLETS = ["{n}. ", "({a}) ", "• ", "- ", "{n}) "]


def pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def zh_amount(rng: np.random.Generator) -> str:
    value = float(rng.integers(1, 99999)) * (10.0 ** int(rng.integers(0, 3)))
    return f"{value:,.2f}"


def zh_date(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(2018, 2025))}年{int(rng.integers(1, 13))}月{int(rng.integers(1, 29))}日"


def en_date(rng: np.random.Generator) -> str:
    return f"{pick(rng, EN_MONTHS)} {int(rng.integers(1, 29))}, {int(rng.integers(2018, 2025))}"


def zh_company(rng: np.random.Generator) -> str:
    return f"{pick(rng, ZH_CITIES)}{pick(rng, ZH_NAMES)}{pick(rng, ZH_INDUSTRIES)}有限公司"


def zh_sentence(rng: np.random.Generator) -> str:
    s, a, o = pick(rng, ZH_SUBJECTS), pick(rng, ZH_ACTIONS), pick(rng, ZH_OBJECTS)
    kind = int(rng.integers(9))
    if kind == 0:
        return f"{s}应{pick(rng, ZH_TIMES)}{a}{o}，并将结果报{pick(rng, ZH_DEPARTMENTS)}备案。"
    if kind == 1:
        return f"根据{pick(rng, ZH_REFS)}的有关规定，{s}{a}{o}。"
    if kind == 2:
        pct = rng.uniform(-15, 40)
        word = "增长" if pct >= 0 else "下降"
        metric = pick(rng, list(ZH_METRIC_UNITS))
        return (
            f"{int(rng.integers(2018, 2025))}年，{s}共完成{metric}"
            f"{rng.uniform(10, 9999):.1f}{ZH_METRIC_UNITS[metric]}，同比{word}{abs(pct):.1f}%。"
        )
    if kind == 3:
        return f"为进一步{pick(rng, ZH_GOALS)}，{s}决定{a}{o}。"
    if kind == 4:
        return f"如{pick(rng, ZH_CONDITIONS)}，{s}有权{pick(rng, ZH_RIGHTS)}，并要求对方{pick(rng, ZH_CONSEQUENCES)}。"
    if kind == 5:
        n = int(rng.integers(2, 7))
        return (
            f"本合同自双方签字盖章之日起生效，一式{ZH_NUMERALS[n - 1]}份，"
            f"双方各执{ZH_NUMERALS[n // 2 - 1]}份，具有同等法律效力。"
        )
    if kind == 6:
        return f"合同总价为人民币{zh_amount(rng)}元，{s}应{pick(rng, ZH_TIMES)}支付首期款项。"
    if kind == 7:
        return f"{s}要{pick(rng, ZH_GOALS)}，{a}{o}，确保{pick(rng, ZH_OBJECTS)}落到实处。"
    return (
        f"联系人：{pick(rng, '王李张刘陈杨赵黄周吴')}{pick(rng, ['先生', '女士', '经理', '工'])}，"
        f"联系电话：{int(rng.integers(130, 190))}{int(rng.integers(10000000, 99999999))}。"
    )


def en_sentence(rng: np.random.Generator) -> str:
    p, a, o = pick(rng, EN_PARTIES), pick(rng, EN_ACTIONS), pick(rng, EN_OBJECTS)
    kind = int(rng.integers(7))
    if kind == 0:
        return f"The {p} shall {pick(rng, EN_ADVERBS)} {a} the {o} {pick(rng, EN_TIMES)}."
    if kind == 1:
        return f"In accordance with {pick(rng, EN_REFS)}, the {p} will {a} all {o}."
    if kind == 2:
        return (
            f"Revenue for Q{int(rng.integers(1, 5))} {int(rng.integers(2018, 2025))} increased by "
            f"{rng.uniform(1, 35):.1f}% to ${rng.uniform(1, 900):.1f} million, driven mainly by "
            f"{pick(rng, EN_DRIVERS)}."
        )
    if kind == 3:
        return (
            f"If the {p} fails to {a} the {o} {pick(rng, EN_TIMES)}, the {pick(rng, EN_PARTIES)} "
            f"may {pick(rng, EN_REMEDIES)}."
        )
    if kind == 4:
        return f"Please {a} the attached {o} and return it to the {p} by {en_date(rng)}."
    if kind == 5:
        return (
            f"A total of {int(rng.integers(2, 900))} units were shipped, with an average cost of "
            f"${rng.uniform(5, 5000):,.2f} per unit."
        )
    done = EN_PARTICIPLES[EN_ACTIONS.index(a)]
    return f"All {o} must be {done} by the {p} {pick(rng, EN_TIMES)} and kept on file."


def paragraph(rng: np.random.Generator, lang: str, n_sentences: int) -> str:
    make = zh_sentence if lang == "zh" else en_sentence
    return ("" if lang == "zh" else " ").join(make(rng) for _ in range(n_sentences))


def title(rng: np.random.Generator, lang: str) -> str:
    year, q = int(rng.integers(2018, 2025)), int(rng.integers(1, 5))
    if lang == "zh":
        return pick(rng, ZH_TITLES).format(year=year, q=ZH_NUMERALS[q - 1], name=pick(rng, ZH_NAMES))
    return pick(rng, EN_TITLES).format(year=year, q=q)


def heading(rng: np.random.Generator, lang: str, number: int) -> str:
    """A numbered section heading in one of the numbering styles documents use."""
    style = int(rng.integers(4))
    if lang == "zh":
        n = ZH_NUMERALS[(number - 1) % 10]
        text = pick(rng, ZH_HEADINGS)
        return [f"{n}、{text}", f"第{n}条 {text}", f"（{n}）{text}", f"{number}.{int(rng.integers(1, 5))} {text}"][
            style
        ]
    text = pick(rng, EN_HEADINGS)
    return [
        f"{number}. {text}",
        f"Section {number}: {text}",
        f"{number}.{int(rng.integers(1, 5))} {text}",
        text.upper(),
    ][style]


def meta_line(rng: np.random.Generator, lang: str) -> str:
    """The small line under a title: document number, issuer, date."""
    if lang == "zh":
        options = [
            f"编号：{pick(rng, ['HT', 'CG', 'JS', 'XM'])}-"
            f"{int(rng.integers(2018, 2025))}-{int(rng.integers(1, 9999)):04d}",
            f"发文单位：{pick(rng, ZH_DEPARTMENTS)}    日期：{zh_date(rng)}",
            f"{pick(rng, ZH_NAMES)}发〔{int(rng.integers(2018, 2025))}〕{int(rng.integers(1, 99))}号",
            f"甲方：{zh_company(rng)}",
        ]
    else:
        options = [
            f"Ref. No. {pick(rng, ['AG', 'PO', 'QR', 'MM'])}-"
            f"{int(rng.integers(2018, 2025))}-{int(rng.integers(1, 9999)):04d}",
            f"Date: {en_date(rng)}    Prepared by: {pick(rng, EN_COMPANIES)}",
            f"Between {pick(rng, EN_COMPANIES)} and {pick(rng, EN_COMPANIES)}",
        ]
    return pick(rng, options)


def list_items(rng: np.random.Generator, lang: str, count: int) -> list[str]:
    """List items with their bullet or number, e.g. ``（1）...`` or ``• ...``."""
    bullets = ZH_BULLETS if lang == "zh" else EN_BULLETS
    bullet = pick(rng, bullets)
    items = []
    for i in range(count):
        mark = bullet.format(n=i + 1, a="abcdefghij"[i % 10])
        body = paragraph(rng, lang, 1 if rng.random() < 0.7 else 2)
        items.append(mark + body)
    return items


def table(rng: np.random.Generator, lang: str, n_rows: int) -> list[list[str]]:
    """A header row and ``n_rows`` rows of numbers, in one of a few business-table shapes."""
    kind = int(rng.integers(3))
    if kind == 0:  # itemised bill
        header = (
            ["序号", "名称", "数量", "单价（元）", "金额（元）"]
            if lang == "zh"
            else ["No.", "Item", "Qty", "Unit Price", "Amount"]
        )
        items = ZH_ITEMS if lang == "zh" else EN_ITEMS
        rows, total = [], 0.0
        for i in range(n_rows - 1):
            qty, price = int(rng.integers(1, 60)), float(rng.integers(50, 20000))
            total += qty * price
            rows.append([str(i + 1), pick(rng, items), str(qty), f"{price:,.2f}", f"{qty * price:,.2f}"])
        rows.append(["合计" if lang == "zh" else "Total", "", "", "", f"{total:,.2f}"])
        return [header, *rows]
    if kind == 1:  # indicator by year
        start = int(rng.integers(2016, 2021))
        years = [f"{y}年" if lang == "zh" else str(y) for y in range(start, start + 4)]
        header = ["指标" if lang == "zh" else "Metric", *years, "增长率" if lang == "zh" else "Growth"]
        metrics = (
            ZH_METRICS
            if lang == "zh"
            else ["Revenue", "Net income", "Orders", "Customers", "R&D spend", "Headcount", "Exports", "Margin"]
        )
        rows = []
        for i in range(n_rows):
            base = rng.uniform(10, 5000)
            values = base * np.cumprod(1 + rng.uniform(-0.1, 0.3, 4))
            rows.append(
                [
                    metrics[i % len(metrics)],
                    *(f"{v:,.1f}" for v in values),
                    f"{(values[-1] / values[0] - 1) * 100:.1f}%",
                ]
            )
        return [header, *rows]
    # schedule / responsibilities
    header = ["阶段", "开始日期", "完成日期", "负责部门"] if lang == "zh" else ["Phase", "Start", "End", "Owner"]
    rows = []
    for i in range(n_rows):
        m = int(rng.integers(1, 11))
        if lang == "zh":
            rows.append(
                [
                    f"第{ZH_NUMERALS[i % 10]}阶段",
                    f"{m}月{int(rng.integers(1, 28))}日",
                    f"{m + 1}月{int(rng.integers(1, 28))}日",
                    pick(rng, ZH_DEPARTMENTS),
                ]
            )
        else:
            rows.append(
                [
                    f"Phase {i + 1}",
                    f"{m:02d}/{int(rng.integers(1, 28)):02d}",
                    f"{m + 1:02d}/{int(rng.integers(1, 28)):02d}",
                    pick(rng, EN_PARTIES).title(),
                ]
            )
    return [header, *rows]


def chart_data(rng: np.random.Generator, lang: str) -> tuple[str, list[str], np.ndarray]:
    """Caption, category labels and values of a small chart."""
    n = int(rng.integers(4, 7))
    if rng.random() < 0.5:
        start = int(rng.integers(2015, 2020))
        labels = [str(y) for y in range(start, start + n)]
    else:
        labels = [f"Q{i % 4 + 1}" for i in range(n)] if lang == "en" else [f"{i + 1}月" for i in range(n)]
    values = rng.uniform(20, 100) * np.cumprod(1 + rng.uniform(-0.15, 0.3, n))
    number = int(rng.integers(1, 9))
    if lang == "zh":
        caption = f"图{number} {labels[0]}-{labels[-1]}{pick(rng, ZH_METRICS)}（{pick(rng, ['万元', '亿元', '万件'])}）"
    else:
        caption = f"Figure {number}. {pick(rng, ['Revenue', 'Orders', 'Shipments', 'Costs'])} by period"
    return caption, labels, values


def signature_lines(rng: np.random.Generator, lang: str) -> list[str]:
    if lang == "zh":
        return [f"甲方（盖章）：{zh_company(rng)}", "法定代表人或授权代表（签字）：", f"日期：{zh_date(rng)}"]
    return [
        f"For and on behalf of {pick(rng, EN_COMPANIES)}",
        "Authorized signature: ____________",
        f"Date: {en_date(rng)}",
    ]


def header_footer(rng: np.random.Generator, lang: str, doc_title: str) -> tuple[str, str]:
    page, total = int(rng.integers(1, 12)), int(rng.integers(12, 30))
    if lang == "zh":
        footer = pick(rng, [f"— {page} —", f"第 {page} 页 共 {total} 页", str(page)])
    else:
        footer = pick(rng, [f"Page {page} of {total}", f"- {page} -", str(page)])
    return doc_title, footer
