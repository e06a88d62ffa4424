"""The 冠军方案's claims as measured ablations (a recorded ablation file, read from the path its caller gives):
the verdicts per split and metric, a table and a figure for notebooks 01, 03 and 04.

Not every ablation tests something the write-up claimed: it says progressive training was used "来加速训练过程"
(to speed training up, tested by :func:`speed_rows` from the recorded time per iteration), the MS-SSIM phase
"提升ms_ssim指标", and claims nothing for the all-data fine-tune (``COURSE_QUESTIONS``: the course's own
question, its verdict worded as such). A verdict rests on the seeds of the recorded runs (two per variant)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.claims import VERDICT_ZH, verdict

SPLITS = ("test_A", "heldout", "scans", "heldout_fonts", "heldout_blur", "mild_blur")  # the last three: cause splits
SPLIT_ZH = {
    "test_A": "test_A",
    "heldout": "未见字体与模糊",
    "scans": "真实扫描页",
    "heldout_fonts": "未见字体（训练模糊）",
    "heldout_blur": "未见模糊（训练字体）",
    "mild_blur": "训练模糊减半",
}
# variant of the bench -> the claim that the recipe beats it, in the notebooks' words
CLAIMS_ZH = {
    "no_downsample": "2 倍下采样",
    "no_gradient_filter": "梯度过滤",
    "fixed_patch": "渐进式图块",
    "no_all_data": "全量数据微调",
    "l1_only": "Charbonnier + MS-SSIM 阶段",
    "wide_blur": "只用测试页强度的模糊训练",
    "wide_blur_l1": "冠军方案（对 L1 + 0.3–1 倍模糊训练页）",
    "tlc": "TLC（演示窗口）",
}
# what the write-up (README.md of AlexZou14/BaiduDiskAI_DocRestoration_top1) says of each step, word for word;
# None: it claims nothing for it
WRITEUP_ZH = {
    "no_downsample": "采用下采样两倍后的训练数据可以极大提升网络性能",
    "no_gradient_filter": "采用了数据筛选后，我们的模型性能可以进一步提升",
    "fixed_patch": "我们采用了渐进训练的方式，来加速训练过程",
    "no_all_data": None,  # "最后，在全量数据进行finetuning": a step, no claim
    "l1_only": (
        "需要考虑如何提升ms_ssim指标。在网络第一阶段收敛后，结合Charbonnier Loss和MS_SSIM Loss进行分数性能的提升"
    ),
    "tlc": "采用了TLC的模型优化策略来进一步提升网络模型。同时也导致了一定的时间损耗",
}
# ablations that test no claim of the write-up: the course's own question, "the recipe beats the variant"
COURSE_QUESTIONS = {"no_all_data"}
COURSE_VERDICT_ZH = {"supports": "做法更好", "contradicts": "去掉后更好", "not resolved": "无法判定"}
METRIC_LABEL_ZH = {"psnr": "PSNR 增益", "cer": "CER（越低越好）", "ms_ssim": "MS-SSIM"}


def verdict_word_zh(variant: str, verdict: str) -> str:
    """The table's verdict word: 支持 / 相反 / 无法判定 for a claim of the write-up; for the course's own
    question (``COURSE_QUESTIONS``) which side was better, since there is no claim to support."""
    return (COURSE_VERDICT_ZH if variant in COURSE_QUESTIONS else VERDICT_ZH)[verdict]


# the runs' training recipes, for tables of their means
VARIANT_ZH = {
    "recipe": "冠军方案损失",
    "l1_only": "三段都用 L1",
    "wide_blur": "冠军方案损失 + 0.3–1 倍模糊训练页",
    "wide_blur_l1": "L1 + 0.3–1 倍模糊训练页",
}


METRIC_TEXT = {"psnr": "PSNR gain", "cer": "CER", "ms_ssim": "MS-SSIM"}
METRIC_ORDER = ("psnr", "ms_ssim", "cer")


# the recipe bench's runs (lab/bench/results/deblur_recipe.json, its round in r4_*) -> a Chinese label for tables
RECIPE_RUN_ZH = {
    "baseline": "第 1 轮：起点配方",
    "baseline_seed1": "第 1 轮：起点配方（随机种子 1）",
    "lr2e-3_warmup": "第 1 轮：学习率 2e-3 + 预热",
    "l1_only": "第 1 轮：只用 L1",
    "ema0.999": "第 1 轮：权重 EMA 0.999",
    "wider_w24_enc1111": "第 1 轮：加宽到 24",
    "demo_recipe": "第 3 轮：演示配方（更长）",
    "pages160": "第 3 轮：演示配方 + 160 页训练数据",
    "r4_demo": "第 4 轮：演示配方",
    "r4_demo_seed1": "第 4 轮：演示配方（随机种子 1）",
    "r4_deeper_enc1124": "第 4 轮：加深编码器 [1,1,2,4]",
    "r4_deeper_enc1124_seed1": "第 4 轮：加深编码器（随机种子 1）",
    "r4_small_patches_16x48_seed1": "第 4 轮：小图块大 batch（随机种子 1）",
    "r4_l1_only": "第 4 轮：只用 L1",
    "r4_l1_only_seed1": "第 4 轮：只用 L1（随机种子 1）",
}


def recipe_run_zh(name: str) -> str:
    """A recipe-bench run's Chinese label (:data:`RECIPE_RUN_ZH`); an unknown run is an error, so no
    internal run name reaches a table."""
    if name not in RECIPE_RUN_ZH:
        raise KeyError(f"recipe_run_zh: no Chinese label for the recipe run {name!r} (add it to RECIPE_RUN_ZH)")
    return RECIPE_RUN_ZH[name]


def load(path) -> dict:
    """The recorded runs and verdicts of the ablation file ``path``; a clear error when it does not exist."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no recorded ablation (the deblur claims bench writes it)")
    return json.loads(path.read_text(encoding="utf-8"))


def values(runs, name: str, split: str, metric: str, method: str = "model") -> list[float]:
    """``metric`` of ``method`` on ``split``, one value per seed of variant ``name`` (PSNR as the gain
    over the blurred input, which is the same page set for every run)."""
    out = []
    for run in runs:
        if run["name"] != name:
            continue
        by = {(r["split"], r["method"]): r for r in run["rows"]}
        row, blurred = by.get((split, method)), by.get((split, "blurred input"))
        if row and metric in row:
            out.append(row[metric] - (blurred[metric] if metric == "psnr" else 0.0))
    return out


def claim_verdicts(runs, claims: dict, metrics=("psnr", "cer"), *, tlc: bool = True) -> list[dict]:
    """For each claim (variant -> text) and the TLC claim (``tlc``), per split: the verdicts of "the recipe
    beats the variant" on each of ``metrics`` (PSNR gain, CER, MS-SSIM; TLC: the recipe's models with TLC
    beat them without)."""
    out = []
    extra = {"tlc": "TLC with the demo window helps"} if tlc else {}
    for name, text in {**claims, **extra}.items():
        for split in SPLITS:
            for metric in metrics:
                if name == "tlc":
                    ours = values(runs, "recipe", split, metric, "model + TLC")
                    theirs = values(runs, "recipe", split, metric)
                else:
                    ours, theirs = values(runs, "recipe", split, metric), values(runs, name, split, metric)
                if not ours or not theirs:
                    continue
                v = verdict(ours, theirs, higher_is_better=metric != "cer")
                unit = " dB" if metric == "psnr" else ""
                out.append(
                    {
                        "variant": name,
                        "claim": text,
                        "split": split,
                        "metric": metric,
                        **v,
                        "text": f"{text} ({split}, {METRIC_TEXT[metric]}): "
                        f"{v['difference']:+.3f}{unit}, spread {v['spread']:.3f}{unit}, "
                        f"{v['seeds'][0]}+{v['seeds'][1]} seeds: {v['verdict']}",
                    }
                )
    return out


def means_markdown(runs, rows, splits=SPLITS) -> str:
    """Markdown: the blurred input, then one row per ``(variant, method)`` of ``rows``, one column
    per split: PSNR gain over the blurred input / CER, means over the variant's seeds (with their count)."""
    from lab.claims import mean_spread

    present = [s for s in splits if any(values(runs, n, s, "cer", m) for n, m in rows)]
    blurred = {s: next(v[0] for n, _ in rows if (v := values(runs, n, s, "cer", "blurred input"))) for s in present}
    lines = [
        "| 做法 | " + " | ".join(SPLIT_ZH[s] for s in present) + " |",
        "|---" * (len(present) + 1) + "|",
        "| 模糊输入 | " + " | ".join(f"+0.00 dB / {blurred[s]:.3f}" for s in present) + " |",
    ]
    for name, method in rows:
        seeds = sum(r["name"] == name for r in runs)
        label = VARIANT_ZH[name] + (" + TLC" if method == "model + TLC" else "") + f"（{seeds} 个随机种子）"
        cells = [
            f"{mean_spread(values(runs, name, s, 'psnr', method))[0]:+.2f} dB / "
            f"{mean_spread(values(runs, name, s, 'cer', method))[0]:.3f}"
            if values(runs, name, s, "cer", method)
            else "—"
            for s in present
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def spread_text(spread: float) -> str:
    return "—（一个随机种子）" if spread != spread else f"{spread:.3f}"


def verdict_markdown(verdicts: list[dict], variants) -> str:
    """A Markdown table of the verdicts of ``variants`` (bench names, e.g. ``["no_downsample"]``)."""
    lines = [
        "| 结论 | 数据 | 指标 | 冠军方案做法 | 去掉后 | 差 | 随机种子间波动 | 随机种子数 | 判定 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return _comparison_table(verdicts, variants, lines, lambda v: verdict_word_zh(v["variant"], v["verdict"]))


def _comparison_table(verdicts: list[dict], variants, lines: list[str], word) -> str:
    """The rows of ``variants`` (in their order, then split and metric) under the header ``lines``; ``word(v)`` fills
    the last column."""
    order = list(variants)
    chosen = sorted(
        (v for v in verdicts if v["variant"] in order),
        key=lambda v: (order.index(v["variant"]), SPLITS.index(v["split"]), METRIC_ORDER.index(v["metric"])),
    )
    for v in chosen:
        fmt = {"psnr": "{:+.2f} dB", "ms_ssim": "{:.4f}"}.get(v["metric"], "{:.3f}")
        seeds = f"{v['seeds'][0]}+{v['seeds'][1]}" if "seeds" in v else "?"
        lines.append(
            f"| {CLAIMS_ZH[v['variant']]} | {SPLIT_ZH[v['split']]} | {METRIC_LABEL_ZH[v['metric']]} | "
            f"{fmt.format(v['ours'])} | {fmt.format(v['theirs'])} | {v['difference']:+.4f} | "
            f"{spread_text(v['spread'])} | {seeds} | {word(v)} |"
        )
    return "\n".join(lines)


def plot_claims(verdicts: list[dict], variants, ax=None, metric: str = "psnr"):
    """Bars of the recipe vs each variant on every split (mean over seeds, the spread as error bars)."""
    import matplotlib.pyplot as plt
    import numpy as np

    chosen = [v for v in verdicts if v["variant"] in variants and v["metric"] == metric]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 + 1.9 * len(chosen), 3.2))
    x = np.arange(len(chosen))

    def spread(s):
        return 0.0 if s != s else s  # NaN (one seed) draws no error bar

    ax.bar(
        x - 0.2,
        [v["ours"] for v in chosen],
        0.4,
        yerr=[spread(v["ours_std"]) for v in chosen],
        label="冠军方案做法",
        color="#4c72b0",
        capsize=3,
    )
    ax.bar(
        x + 0.2,
        [v["theirs"] for v in chosen],
        0.4,
        yerr=[spread(v["theirs_std"]) for v in chosen],
        label="去掉这一步",
        color="#dd8452",
        capsize=3,
    )
    ax.set_xticks(
        x,
        [
            f"{CLAIMS_ZH[v['variant']]}\n{SPLIT_ZH[v['split']]}\n{verdict_word_zh(v['variant'], v['verdict'])}"
            for v in chosen
        ],
        fontsize=8,
    )
    ax.set_ylabel({"psnr": "PSNR 增益 (dB)", "ms_ssim": "MS-SSIM"}.get(metric, "CER（越低越好）"))
    ax.axhline(0, color="grey", lw=0.8)
    ax.legend(fontsize=8)
    return ax


def claim_summary_zh(verdicts: list[dict], variant: str) -> str:
    """One Chinese sentence per claim: the PSNR gain and CER of the recipe vs the variant on each split,
    with each verdict (for a notebook's 小结)."""
    parts = []
    for split in SPLITS:
        by = {v["metric"]: v for v in verdicts if v["variant"] == variant and v["split"] == split}
        if "psnr" not in by:
            continue
        word = {m: verdict_word_zh(variant, v["verdict"]) for m, v in by.items()}
        text = (
            f"{SPLIT_ZH[split]} PSNR 增益 {by['psnr']['ours']:+.2f} 对 {by['psnr']['theirs']:+.2f} dB（{word['psnr']}）"
        )
        if "ms_ssim" in by:
            text += f"、MS-SSIM {by['ms_ssim']['ours']:.4f} 对 {by['ms_ssim']['theirs']:.4f}（{word['ms_ssim']}）"
        if "cer" in by:
            text += f"、CER {by['cer']['ours']:.3f} 对 {by['cer']['theirs']:.3f}（{word['cer']}）"
        parts.append(text)
    seeds = next((v["seeds"] for v in verdicts if v["variant"] == variant and "seeds" in v), None)
    tail = f"（每种做法 {min(seeds)} 个随机种子）" if seeds else ""
    return f"**{CLAIMS_ZH[variant]}**：" + "；".join(parts) + tail if parts else f"**{CLAIMS_ZH[variant]}**：还没有测量"


def with_ms_ssim(data: dict, variants) -> list[dict]:
    """The recorded verdicts plus MS-SSIM verdicts of ``variants`` computed from the recorded runs (each run's
    rows carry the MS-SSIM of every split; the bench's verdicts are PSNR and CER only)."""
    extra = claim_verdicts(data["runs"], {n: CLAIMS_ZH[n] for n in variants}, ("ms_ssim",), tlc=False)
    return [*data["verdicts"], *extra]


def speed_rows(train_record: dict, runs, variants=("recipe", "fixed_patch")) -> list[dict]:
    """The write-up's speed claim ("来加速训练过程") on the recorded runs' schedules: each stage's recorded
    iterations per second (``train_record``: lab/bench/results/deblur_train.json, one process, the stages measured one
    after another on the same machine) gives each variant's training time, estimated as the sum over its stages of
    iterations / rate. A stage (batch, patch) the record lacks is an error. Rows: variant, seeds, iterations,
    training pixels, estimated minutes, and its per-seed seconds per iteration."""
    rate = {(s["batch_size"], s["patch_size"]): s["iterations_per_second"] for s in train_record["stages"]}
    out = []
    for name in variants:
        mine = [r for r in runs if r["name"] == name]
        if not mine:
            raise ValueError(f"speed_rows: no recorded run named {name!r}")
        stages = mine[0]["stages"]
        missing = [(s["batch_size"], s["patch_size"]) for s in stages if (s["batch_size"], s["patch_size"]) not in rate]
        if missing:
            raise ValueError(f"speed_rows: no recorded rate for (batch, patch) {missing}")
        seconds = sum(s["iters"] / rate[s["batch_size"], s["patch_size"]] for s in stages)
        iters = sum(s["iters"] for s in stages)
        out.append(
            {
                "variant": name,
                "seeds": len(mine),
                "iterations": iters,
                "train_pixels": mine[0]["train_pixels"],
                "minutes": seconds / 60,
                "seconds_per_iteration": seconds / iters,
                "pixels_per_second": mine[0]["train_pixels"] / seconds,
            }
        )
    return out


def trust_note_zh(data: dict, tie_zh: str = "无法判定") -> str:
    """How far the verdicts can be trusted: the runs' length, seeds and the spread they showed. ``tie_zh``: the word
    a difference within the spread gets (持平 for the measurement's own verdicts, :func:`measured_word_zh`)."""
    runs = data["runs"]
    iters = sorted({r["iterations"] for r in runs})
    seeds = sorted({r["seed"] for r in runs})
    minutes = [r["train_minutes"] for r in runs]
    spreads = [v["spread"] for v in data["verdicts"] if v["metric"] == "psnr" and v["spread"] == v["spread"]]
    return (
        f"每次训练 {iters[0]}–{iters[-1]} 次迭代（演示计划的 {runs[0]['scale']:.0%}，一个进程的 batch，"
        f"各变体训练的像素数相同），{min(minutes):.0f}–{max(minutes):.0f} 分钟"
        f"（分钟数不代表速度）；随机种子 {'、'.join(map(str, seeds))}。"
        + (
            f"每组比较以两种做法中较大的随机种子间标准差为门槛（PSNR 增益的门槛最大 {max(spreads):.2f} dB），"
            f"差别不超过门槛判为“{tie_zh}”。"
            if spreads
            else "只有一个随机种子，无法估计波动。"
        )
        + "这是很短的训练，结论只说明训练早期；冠军方案的完整训练（三次运行，共 180 万次迭代）下差别可能不同。"
    )


# ---------------------------------------------------------------- a claim in two parts, the measurement's verdict
def doing_zh(variant: str) -> tuple[str, str]:
    """The two sides of an ablation in words: (做 <step>, 不做 <step>), for a measurement's sentence."""
    step = CLAIMS_ZH[variant]
    gap = " " if step[:1].isascii() else ""  # "做 2 倍下采样", "做梯度过滤"
    return f"做{gap}{step}", f"不做{gap}{step}"


def measured_word_zh(v: dict) -> str:
    """One recorded comparison (the recipe - the variant) judged as a measurement alone: 好于 / 不如 / 持平 /
    无法判定 (:func:`lab.claims.measured_verdict_zh`), never as support for anyone's claim."""
    from lab.claims import measured_verdict_zh

    return measured_verdict_zh(v["difference"], v["spread"], higher_is_better=v["metric"] != "cer")


def claim_parts_zh(verdicts: list[dict], variant: str, *, cited: str, split: str = "test_A", metric: str = "psnr"):
    """The write-up's sentence on ``variant`` (:data:`WRITEUP_ZH`, from ``cited``) and what one recorded comparison
    measured (``split``, ``metric``), as :func:`lab.claims.claim_lines_zh` writes them: (说法, 测得)."""
    from lab.claims import claim_lines_zh

    quote = WRITEUP_ZH.get(variant)
    if quote is None:
        raise ValueError(f"claim_parts_zh: the write-up claims nothing for {variant!r}")
    found = [v for v in verdicts if (v["variant"], v["split"], v["metric"]) == (variant, split, metric)]
    if not found:
        raise KeyError(f"claim_parts_zh: no recorded comparison for {variant!r} on {split} ({metric})")
    a, b = doing_zh(variant)
    return claim_lines_zh(quote, cited, a, b, metric, found[0]["difference"], found[0]["spread"])


def measured_counts_zh(verdicts: list[dict], variant: str) -> str:
    """How the recorded comparisons of ``variant`` came out, counted: one line for a notebook."""
    chosen = [v for v in verdicts if v["variant"] == variant]
    if not chosen:
        return f"{CLAIMS_ZH[variant]}：还没有测量"
    words = [measured_word_zh(v) for v in chosen]
    a, b = doing_zh(variant)
    splits = len({v["split"] for v in chosen})
    short = {"psnr": "PSNR 增益", "ms_ssim": "MS-SSIM", "cer": "CER"}
    metrics = "、".join(short[m] for m in METRIC_ORDER if any(v["metric"] == m for v in chosen))
    counts = "、".join(f"{w} {words.count(w)}" for w in ("好于", "不如", "持平", "无法判定") if w in words)
    return f"{a}对{b}，全部 {len(chosen)} 项测量（{splits} 组数据 × {metrics}）：{counts}"


def measured_markdown(verdicts: list[dict], variants) -> str:
    """A Markdown table of the recorded comparisons of ``variants``, each with the measurement's own verdict
    (:func:`measured_word_zh`); the same rows and order as :func:`verdict_markdown`."""
    lines = [
        "| 这一步 | 数据 | 指标 | 做这一步 | 不做 | 差 | 随机种子间波动 | 随机种子数 | 测得 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return _comparison_table(verdicts, variants, lines, measured_word_zh)


def plot_measured(verdicts: list[dict], variants, ax=None, metric: str = "psnr"):
    """:func:`plot_claims`, each pair of bars labelled with the measurement's own verdict (:func:`measured_word_zh`)
    instead of a claim's."""
    ax = plot_claims(verdicts, variants, ax, metric)
    chosen = [v for v in verdicts if v["variant"] in variants and v["metric"] == metric]
    ax.set_xticks(
        range(len(chosen)),
        [f"{CLAIMS_ZH[v['variant']]}\n{SPLIT_ZH[v['split']]}\n{measured_word_zh(v)}" for v in chosen],
        fontsize=8,
    )
    return ax


def page_line_zh(a, b, a_name: str, b_name: str, metric: str = "psnr") -> str:
    """One model's comparison A - B page by page, the line that follows a claim measured with one run per side
    (whose spread over random seeds is unknown): the mean per-page difference with its 95 % paired bootstrap
    interval over pages (:func:`lab.tracks.deblur.readings.paired_cer_difference`, which resamples any per-page
    measure) and on how many pages A is higher / lower. It says how sure these pages are for this model, not
    whether another training run would agree."""
    from lab.tracks.deblur.readings import paired_cer_difference

    d = paired_cer_difference(a, b)
    unit = " dB" if metric == "psnr" else ""
    return (
        f"同一个模型逐页看（{d['pages']} 页）：{a_name} − {b_name} 平均 {d['mean_difference']:+.3f}{unit}"
        f"（95% 区间 {d['low']:+.3f}, {d['high']:+.3f}），"
        f"{a_name}更高 {d['worse_pages']} 页、更低 {d['better_pages']} 页"
    )
