"""Helpers of the submission tests (tests/test_predict.py, tests/test_submission_faults.py and the
de-occlusion track's): copy an unzipped submission, make ``lib`` unimportable beside it, damage a
file, run predict.py as the competition does; build a session's submission once for every pytest-xdist worker."""

import pickle
import shutil
import zipfile
from pathlib import Path

from lib.export import run_submission


def fresh_copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "submission"
    shutil.copytree(folder, copy)
    return copy


def without_lib(folder: Path) -> Path:
    """``folder`` with a ``lib`` package that raises on import: the venv finds the course's lib
    through a .pth file, so a run that does not raise proves predict.py and the files beside it
    never import it (the script's folder comes first on sys.path)."""
    (folder / "lib").mkdir()
    (folder / "lib" / "__init__.py").write_text("raise ImportError('predict.py must not import the course lib')\n")
    return folder


def damage(path: Path, how: str = "half") -> None:
    """Cut a file in half, or to 0 bytes."""
    data = path.read_bytes()
    path.write_bytes(b"" if how == "empty" else data[: len(data) // 2])


def run(folder, src, out, *args):
    result, _ = run_submission(folder, src, out, *args, timeout=600)
    return result


def shared_temp_folder(tmp_path_factory, worker_id: str) -> Path:
    """A folder every pytest-xdist worker of this session sees (their temp folders' parent; pytest-xdist's own
    recipe for session fixtures built once), or this session's temp folder without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def unzipped_submission_once(tmp_path_factory, worker_id: str, name: str, build_zip):
    """A submission zip ``build_zip(zip_path)`` writes (returning its metadata), unzipped beside it: (folder,
    metadata, zip path). Built once for the whole session: the first pytest-xdist worker that asks builds it in
    ``<shared temp folder>/<name>/`` under a lock and pickles the metadata, the others wait and read it (an
    export takes tens of seconds). What is zipped must be the same in every worker (seeded models), and tests
    that change the folder change a copy of it (:func:`fresh_copy`)."""
    from lib.train.launch import data_lock  # one process at a time, as for the data (a lock file in the folder)

    root = shared_temp_folder(tmp_path_factory, worker_id) / name
    folder, zip_path, built = root / "unzipped", root / "submission.zip", root / "meta.pickle"
    with data_lock(root.parent):
        if not built.is_file():
            root.mkdir(exist_ok=True)
            meta = build_zip(zip_path)
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(folder)
            built.write_bytes(pickle.dumps(meta))
    return folder, pickle.loads(built.read_bytes()), zip_path
