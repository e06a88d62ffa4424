"""The competition submission: ``predict.py`` (self-contained, copied into dist/submission.zip by
``lib.export``) and nothing else. It keeps its own copy of ``lib.infer``'s tiling and runtime code
(it may not import ``lib``); tests/test_infer_mirror.py checks the copy."""
