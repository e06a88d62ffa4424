"""python -m lib.train --config deblur [--profile demo] [--out DIR] [--fresh] [--iters N]"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import lib  # noqa: F401  (quiet logs before paddle)

from ..config import PROFILES, active_profile
from ..env import select_device


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.train", description="Train a course model.")
    parser.add_argument("--config", default="deblur", choices=["deblur"], help="track (options in lib/configs/)")
    parser.add_argument("--profile", choices=PROFILES, default=None, help="default: $COURSE_PROFILE, else demo")
    parser.add_argument("--out", type=Path, default=None, help="run folder (default: runs/train/<track>-<profile>)")
    parser.add_argument("--fresh", action="store_true", help="delete the run folder and start over")
    parser.add_argument("--iters", type=int, default=None, help="stop after this many more iterations")
    parser.add_argument("--publish", action="store_true",
                        help="then score on test_A and copy the model to checkpoints/deblur_nafnet_<profile>/")
    args = parser.parse_args(argv)
    profile = active_profile(args.profile)
    device = select_device()
    distributed = __import__("paddle").distributed
    if distributed.get_world_size() > 1:
        distributed.init_parallel_env()
    from . import deblur_trainer, default_run_dir

    out = args.out or default_run_dir(args.config, profile)
    if args.fresh and out.exists():
        shutil.rmtree(out)
    trainer = deblur_trainer(profile, out)
    resumed = trainer.resume()
    print(f"[{profile}] {device}, run folder {out}, "
          + (f"resumed at iteration {trainer.iteration}" if resumed else "new run")
          + f", {trainer.total_iters} iterations in all", flush=True)
    trainer.fit(stop_after=args.iters)
    last = [r for r in trainer.history if "psnr" in r]
    if last:
        print(f"validation at {last[-1]['iteration']}: PSNR {last[-1]['psnr']:.2f} dB, "
              f"MS-SSIM {last[-1]['ms_ssim']:.4f}, score {last[-1]['score']:.4f}")
    if args.publish and trainer.iteration >= trainer.total_iters:
        from . import publish_deblur

        dest = publish_deblur(trainer, profile)
        print(f"published to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
