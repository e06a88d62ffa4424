"""Where each track's solution comes from, said once: what it was, what it placed, and its links.

Only the blurred-document solution won (1st on the A and B boards): it alone is "冠军方案". The others
are "原方案", named by what they were. Notebooks show :meth:`Source.markdown_zh` in their first section
(``get_track(name).source``); the README's solution lines equal the ``standing_zh`` here
(tests/test_sources.py). Every link was checked against the repository or paper it names, except the
retouching project's page: AI Studio's project address made from its number (no copy of it was at hand).
"""

from __future__ import annotations

from dataclasses import dataclass

WINNER_NAME_ZH = "冠军方案"  # the blurred-document solution only
OTHER_NAME_ZH = "原方案"


@dataclass(frozen=True)
class Source:
    name_zh: str  # what the notebooks call the solution
    standing_zh: str  # one line: what it was and what it placed
    links: tuple = ()  # (label_zh, url): the write-up or project, its repository, base repositories, papers

    def markdown_zh(self) -> str:
        """The first section's line: name, standing, then the links."""
        links = " · ".join(f"[{label}]({url})" for label, url in self.links)
        return f"**{self.name_zh}**：{self.standing_zh}" + (f"　{links}" if links else "")


NAFNET_LINKS = (
    ("NAFNet 代码", "https://github.com/megvii-research/NAFNet"),
    ("NAFNet 论文", "https://arxiv.org/abs/2204.04676"),
    ("TLC 代码", "https://github.com/megvii-research/TLC"),
    ("TLC 论文", "https://arxiv.org/abs/2112.04491"),
)

DEOCCLUSION = Source(
    OTHER_NAME_ZH,
    "百度网盘 AI 大赛“文档图片去遮挡”赛道的参赛方案，A 榜第 5 名、B 榜第 7 名。",
    (
        ("方案仓库与说明", "https://github.com/renqi1/Text_Image_Inpainting"),
        ("赛题", "https://aistudio.baidu.com/aistudio/competition/detail/479/0/introduction"),
        ("DeepFillv2 基础仓库", "https://github.com/zhaoyuzhi/deepfillv2"),
        ("DeepFillv2 论文", "https://arxiv.org/abs/1806.03589"),
        ("DeepLabV3 论文", "https://arxiv.org/abs/1706.05587"),
    ),
)

SOURCES = {
    "deblur": Source(
        WINNER_NAME_ZH,
        "百度网盘 AI 大赛“模糊文档图像恢复”比赛的第 1 名方案，A 榜、B 榜均第一。",
        (
            ("方案仓库与说明", "https://github.com/AlexZou14/BaiduDiskAI_DocRestoration_top1"),
            ("赛题榜单", "https://aistudio.baidu.com/aistudio/competition/detail/349/0/leaderboard"),
            *NAFNET_LINKS,
        ),
    ),
    "sdwnet": Source(
        OTHER_NAME_ZH,
        "NTIRE 2021 图像去模糊赛道的参赛方案（ICCV 2021 workshop 论文），在本课程的比赛中没有名次。",
        (
            ("方案仓库", "https://github.com/FlyEgle/SDWNet"),
            ("SDWNet 论文", "https://arxiv.org/abs/2110.05803"),
        ),
    ),
    "denoise": Source(
        OTHER_NAME_ZH,
        "飞桨特色模型挑战赛的论文复现作品（MIRNetV2 的 Paddle 复现，"
        "验收标准 SIDD PSNR 37 / SSIM 0.94），不是比赛名次。",
        (
            ("复现仓库", "https://github.com/sldyns/MIRNetV2_paddle"),
            ("MIRNetV2 官方仓库", "https://github.com/swz30/MIRNetv2"),
            ("MIRNetV2 论文", "https://arxiv.org/abs/2205.01649"),
        ),
    ),
    "retouch": Source(
        OTHER_NAME_ZH,
        "百度网盘 AI 大赛“美颜：祛痘祛斑”赛道的方案（AI Studio 项目 6714032），A 榜、B 榜第一，决赛未获名次。",
        (
            ("方案说明（AI Studio 项目）", "https://aistudio.baidu.com/aistudio/projectdetail/6714032"),
            ("gUNet 基础仓库", "https://github.com/IDKiro/gUNet"),
            ("gUNet 论文", "https://arxiv.org/abs/2209.11448"),
        ),
    ),
    "deocclusion": DEOCCLUSION,
    "deocclusion_seg": DEOCCLUSION,  # the same solution's segmenter
}


def source_of(track_name: str) -> Source | None:
    """The source of ``track_name``; None for a track that has none (tests' and experiments' own)."""
    return SOURCES.get(track_name)
