"""The competition submission: ``predict.py`` (self-contained, copied into dist/submission.zip by
``lib.export``) and nothing else. ``lib.infer`` imports its NumPy core."""
