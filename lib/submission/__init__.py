"""The competition submission: ``predict.py``, the command line that dist/submission.zip runs
(copied there by ``lib.export`` with lib/infer's standalone modules as ``infer/``, which it imports
instead of ``lib``), and nothing else."""
