"""lab.tracks.deblur.claims: verdicts of the bench's runs (synthetic runs with known numbers)."""

import pytest

from lab.tracks.deblur.claims import claim_verdicts, load, values, verdict_markdown


def run(name, seed, gain, cer, tlc_gain=None):
    rows = []
    for split in ("test_A", "heldout"):
        rows += [
            {"split": split, "method": "blurred input", "psnr": 20.0, "cer": 0.4},
            {"split": split, "method": "model", "psnr": 20.0 + gain, "cer": cer},
        ]
        if tlc_gain is not None:
            rows.append({"split": split, "method": "model + TLC", "psnr": 20.0 + tlc_gain, "cer": cer})
    return {"name": name, "seed": seed, "rows": rows}


def test_values_are_gains_over_the_blurred_input_per_seed():
    runs = [run("recipe", 0, 1.0, 0.3), run("recipe", 1, 1.2, 0.32), run("no_downsample", 0, 0.1, 0.5)]
    assert values(runs, "recipe", "test_A", "psnr") == pytest.approx([1.0, 1.2])
    assert values(runs, "recipe", "test_A", "cer") == pytest.approx([0.3, 0.32])
    assert values(runs, "recipe", "scans", "psnr") == []  # a split the runs lack


def test_verdicts_per_claim_split_and_metric():
    runs = [
        run("recipe", 0, 1.0, 0.30, 1.5),
        run("recipe", 1, 1.1, 0.31, 1.6),
        run("no_downsample", 0, 0.1, 0.50),
        run("no_downsample", 1, 0.2, 0.52),
    ]
    verdicts = claim_verdicts(runs, {"no_downsample": "the 2x downsample helps", "fixed_patch": "progressive"})
    by = {(v["variant"], v["split"], v["metric"]): v for v in verdicts}
    assert by[("no_downsample", "test_A", "psnr")]["verdict"] == "supports"
    assert by[("no_downsample", "test_A", "cer")]["verdict"] == "supports"  # lower CER is better
    assert by[("tlc", "heldout", "psnr")]["difference"] == pytest.approx(0.5)
    assert not any(v["variant"] == "fixed_patch" for v in verdicts)  # no runs: no verdict
    table = verdict_markdown(verdicts, ["no_downsample"])
    assert table.count("\n") == 1 + 4 and "支持" in table


def test_load_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"none\.json: no recorded ablation"):
        load(tmp_path / "none.json")
    with pytest.raises(TypeError):  # no default path: the caller says which recorded file
        load()


def test_chinese_summaries_quote_the_verdict_numbers():
    from lab.tracks.deblur.claims import claim_summary_zh, trust_note_zh

    runs = [
        {**run("recipe", s, 1.0 + s / 10, 0.30), "iterations": 356, "scale": 0.25, "train_minutes": 7.1} for s in (0, 1)
    ]
    runs += [
        {**run("no_downsample", s, 0.1 + s / 10, 0.50), "iterations": 356, "scale": 0.25, "train_minutes": 7.4}
        for s in (0, 1)
    ]
    verdicts = claim_verdicts(runs, {"no_downsample": "the 2x downsample helps"})
    text = claim_summary_zh(verdicts, "no_downsample")
    assert "+1.05 对 +0.15 dB（支持）" in text and "0.300 对 0.500" in text
    assert "还没有测量" in claim_summary_zh(verdicts, "fixed_patch")
    note = trust_note_zh({"runs": runs, "verdicts": verdicts})
    assert "356–356 次迭代" in note and "25%" in note and "0.07 dB" in note
    assert "判为“无法判定”" in note and "判为“持平”" in trust_note_zh(
        {"runs": runs, "verdicts": verdicts}, tie_zh="持平"
    )


def test_means_table_averages_the_seeds_and_marks_missing_splits():
    from lab.tracks.deblur.claims import means_markdown

    runs = [run("recipe", 0, 1.0, 0.30, 1.5), run("recipe", 1, 1.2, 0.34, 1.7), run("l1_only", 0, 2.0, 0.2)]
    runs[2]["rows"] = [r for r in runs[2]["rows"] if r["split"] == "test_A"]
    lines = means_markdown(runs, [("recipe", "model"), ("recipe", "model + TLC"), ("l1_only", "model")]).splitlines()
    assert lines[0] == "| 做法 | test_A | 未见字体与模糊 |"
    assert lines[2] == "| 模糊输入 | +0.00 dB / 0.400 | +0.00 dB / 0.400 |"
    assert lines[3] == "| 冠军方案损失（2 个随机种子） | +1.10 dB / 0.320 | +1.10 dB / 0.320 |"
    assert lines[4] == "| 冠军方案损失 + TLC（2 个随机种子） | +1.60 dB / 0.320 | +1.60 dB / 0.320 |"
    assert lines[5] == "| 三段都用 L1（1 个随机种子） | +2.00 dB / 0.200 | — |"


def test_ms_ssim_verdicts_and_the_course_question_wording():
    from lab.tracks.deblur.claims import verdict_word_zh, with_ms_ssim

    runs = []
    for name, base in (("recipe", 0.90), ("l1_only", 0.95), ("no_all_data", 0.90)):
        for seed in (0, 1):
            r = run(name, seed, 1.0, 0.3)
            for row in r["rows"]:
                row["ms_ssim"] = base + seed * 0.001
            runs.append(r)
    verdicts = with_ms_ssim({"runs": runs, "verdicts": []}, ["l1_only", "no_all_data"])
    by = {(v["variant"], v["split"]): v for v in verdicts}
    assert {v["metric"] for v in verdicts} == {"ms_ssim"} and not any(v["variant"] == "tlc" for v in verdicts)
    assert by[("l1_only", "test_A")]["difference"] == pytest.approx(-0.05)
    assert by[("l1_only", "test_A")]["verdict"] == "contradicts"  # higher MS-SSIM is better
    assert by[("no_all_data", "test_A")]["verdict"] == "not resolved"
    assert verdict_word_zh("l1_only", "supports") == "支持"
    assert verdict_word_zh("no_all_data", "supports") == "做法更好"  # no claim of the write-up to support
    table = verdict_markdown(verdicts, ["no_all_data", "l1_only"])
    assert "| MS-SSIM |" in table and "| 2+2 |" in table
    assert table.index("全量数据微调") < table.index("Charbonnier")  # in the order asked for


def test_speed_rows_time_each_schedule_from_the_recorded_rates():
    from lab.tracks.deblur.claims import speed_rows

    record = {
        "stages": [
            {"batch_size": 8, "patch_size": 64, "iterations_per_second": 2.0},
            {"batch_size": 4, "patch_size": 128, "iterations_per_second": 0.5},
        ]
    }
    runs = [
        {
            "name": "recipe",
            "train_pixels": 100,
            "stages": [
                {"batch_size": 8, "patch_size": 64, "iters": 60},
                {"batch_size": 4, "patch_size": 128, "iters": 30},
            ],
        },
        {"name": "fixed_patch", "train_pixels": 100, "stages": [{"batch_size": 4, "patch_size": 128, "iters": 45}]},
    ]
    rows = {r["variant"]: r for r in speed_rows(record, runs)}
    assert rows["recipe"]["minutes"] == pytest.approx((60 / 2.0 + 30 / 0.5) / 60)
    assert rows["recipe"]["seconds_per_iteration"] == pytest.approx(90 / 90)
    assert rows["fixed_patch"]["minutes"] == pytest.approx(90 / 60)
    with pytest.raises(ValueError, match="no recorded rate"):
        speed_rows({"stages": record["stages"][:1]}, runs)
    with pytest.raises(ValueError, match="no recorded run"):
        speed_rows(record, runs[:1])


def test_every_recorded_recipe_run_has_a_chinese_label():
    import json
    from pathlib import Path

    from lab.tracks.deblur.claims import recipe_run_zh

    runs = json.loads((Path(__file__).parents[3] / "lab/bench/results/deblur_recipe.json").read_text(encoding="utf-8"))
    labels = [recipe_run_zh(r["name"]) for r in runs["runs"]]
    assert len(set(labels)) == len(labels) and all("第" in label for label in labels)
    with pytest.raises(KeyError, match="no Chinese label"):
        recipe_run_zh("r9_unknown")


def test_a_claim_in_two_parts_and_the_measurements_own_verdicts():
    from lab.tracks.deblur.claims import (
        claim_parts_zh,
        measured_counts_zh,
        measured_markdown,
        measured_word_zh,
        plot_measured,
    )

    runs = [
        run("recipe", 0, 1.0, 0.30),
        run("recipe", 1, 1.2, 0.32),
        run("no_downsample", 0, 0.1, 0.50),
        run("no_downsample", 1, 0.3, 0.52),
        run("no_gradient_filter", 0, 1.05, 0.31),
        run("no_gradient_filter", 1, 1.15, 0.31),
    ]
    verdicts = claim_verdicts(runs, {"no_downsample": "downsample", "no_gradient_filter": "filter"}, tlc=False)
    said, measured = claim_parts_zh(verdicts, "no_downsample", cited="README.md")
    assert said == "说法：“采用下采样两倍后的训练数据可以极大提升网络性能”（README.md）"
    # recipe 1.1 - variant 0.2 = +0.9 dB against the larger seed spread 0.141: the measurement's own word
    assert measured.startswith("测得：做 2 倍下采样 − 不做 2 倍下采样 = +0.900 dB（PSNR），随机种子间波动 ±0.141 dB")
    assert measured.endswith("做 2 倍下采样好于不做 2 倍下采样")
    by = {(v["variant"], v["split"], v["metric"]): v for v in verdicts}
    assert measured_word_zh(by[("no_downsample", "test_A", "cer")]) == "好于"  # lower CER is better
    assert measured_word_zh(by[("no_gradient_filter", "test_A", "psnr")]) == "持平"  # 0.0 within the spread
    assert measured_counts_zh(verdicts, "no_downsample").endswith("4 项测量（2 组数据 × PSNR 增益、CER）：好于 4")
    assert measured_counts_zh(verdicts, "fixed_patch").endswith("还没有测量")
    table = measured_markdown(verdicts, ["no_gradient_filter", "no_downsample"])
    assert table.count("\n") == 1 + 8 and "支持" not in table and "相反" not in table
    assert table.index("梯度过滤") < table.index("2 倍下采样")  # in the order asked for
    with pytest.raises(ValueError, match="claims nothing"):
        claim_parts_zh(verdicts, "no_all_data", cited="README.md")
    with pytest.raises(KeyError, match="no recorded comparison"):
        claim_parts_zh(verdicts, "no_downsample", cited="README.md", split="scans")
    ax = plot_measured(verdicts, ["no_downsample"])
    assert [t.get_text().splitlines()[-1] for t in ax.get_xticklabels()] == ["好于", "好于"]
