"""SIDD-Medium's folders, as the generator writes them and the track reads them."""

TRACK = "denoise"

SIDD_DATA = "SIDD_Medium_Srgb/Data"  # SIDD-Medium's scene folders, relative to the root

TEST_DATA = "test/Data"  # held-out scenes (the course's addition, same layout)

PATCHES_DIR = "SIDD_patches"  # the solution's folder: train/ (cut patches) and val/ (SIDD's validation blocks)

SIDD_VAL = f"{PATCHES_DIR}/val"

SPLITS = {"train": (0, SIDD_DATA), "test": (1, TEST_DATA)}

INPUT_DIR, GT_DIR = "input", "groundtruth"  # the solution's patch folders
