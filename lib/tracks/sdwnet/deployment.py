"""What the SDWNet solution ships: the network edge-padded by its ``min_size`` (any size from 1 x 1 goes through,
:class:`lib.models.sdwnet.EdgePadded`), no TLC (no global pooling), ``dist/sdwnet_submission.zip``, and the app's
tab: the exported network beside unsharp masking, with the OCR text of the input and both results."""

from __future__ import annotations

from lib.evaluate.deconvolution import unsharp
from lib.tracks.deployment import Classical, Deployment

UNSHARP = Classical(
    "unsharp mask", "反锐化掩模", unsharp, {"radius": 3.0, "amount": 1.0}, {"radius": "半径", "amount": "强度"}
)


class SDWNetDeployment(Deployment):
    tlc = False
    submission_zip = "sdwnet_submission.zip"
    title_zh = "模糊文档去模糊（SDWNet）"
    intro_zh = "SDWNet（空洞卷积 + 小波分支）恢复同样的模糊文档；右边是经典的反锐化掩模，差异图显示各自改动了哪里。"
    example_source = ("deblur", "test_A/blur_image/00002.png")
    ocr = True
    classical = UNSHARP
    card_metrics = (("psnr", "PSNR", "{:.2f} dB"), ("ms_ssim", "MS-SSIM", "{:.3f}"))

    def deployed(self, model, profile=None):
        """The network edge-padded by its ``min_size``, as the submission runs it."""
        from lib.models.sdwnet import EdgePadded

        deployed = EdgePadded(model)
        deployed.eval()
        return deployed

    def build_submission(self, model, out_zip=None, **options) -> dict:
        """The network edge-padded by its ``min_size`` (1 x 1 to any size goes through), exported and packed like
        every track (lib.export); no TLC."""
        deployed = self.deployed(model)
        if getattr(model, "checkpoint_path", None) is not None:
            deployed.checkpoint_path = model.checkpoint_path
        options.pop("tlc", None)
        return super().build_submission(deployed, out_zip, **options)
