"""F22 (reliability matrix §2.2): a dependency upgrade must not change what the model ranks.

A small blend is fitted on the tiny world (seed 3) with a fixed seed and scores the month
of `AS_OF`; its top `K` enterprises and their scores, the number scored and the mean score
are compared to `golden/tiny_blend_2023-12.json`, committed. The golden file also holds a
digest of the training rows and of the scored month's features: when those differ, the
world itself changed (the simulator, or numpy/pandas under it) and the model cannot be
compared, which the failure says apart from a changed model.

After a deliberate upgrade of pinned packages (requirements.lock), once the change in the
ranking is understood, regenerate and commit the file with:

    EWS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/reliability/test_golden.py

The same pinned packages give bit-identical scores on Python 3.11, 3.12 and 3.13 (measured);
`ABS_TOL` leaves room only for the last bits of floating-point arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from features.build import build_features, known_at
from features.sets import feature_set
from models.backtest import BLEND, build_training_frame, candidate_params, fit_at
from models.train import ModelParams, predict

GOLDEN = Path(__file__).parent / "golden" / "tiny_blend_2023-12.json"
UPDATE_ENV = "EWS_UPDATE_GOLDEN"
AS_OF = pd.Timestamp("2023-12-20")
# Written out here, not taken from the shared test parameters: the golden output moves only
# when a dependency, the data or the training code does.
PARAMS = ModelParams(max_iter=60, backtest_origins=0, calibration_months=6, seed=0, learner="blend")
K = 20
ABS_TOL = 1e-9
PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "pyarrow", "skops")


def _digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values, column by column, independent of pandas' own hashing.

    Numbers are hashed to 8 significant digits: NumPy's exp and log differ in the last bits
    between CPUs (AVX-512 or not), which moves no score of this test beyond `ABS_TOL`
    (measured), so the world is the same world either way.
    """
    h = hashlib.sha256()
    for column in frame.columns:
        values = frame[column]
        h.update(f"{column}\0".encode())
        if pd.api.types.is_datetime64_any_dtype(values):
            h.update(values.astype("datetime64[ns]").to_numpy().view("int64").tobytes())
        elif pd.api.types.is_numeric_dtype(values):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan) + 0.0  # one zero, one NaN
            h.update("\x1f".join(np.char.mod("%.8g", numbers).tolist()).encode())
        else:
            h.update("\x1f".join("\x00" if pd.isna(v) else str(v) for v in values).encode())
    return h.hexdigest()


def _golden_run(tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> dict[str, Any]:
    """Fit, score the month, and describe the result as the golden file holds it."""
    enterprises, indicators, incidents = tiny_frames
    with threadpool_limits(limits=1):
        frame = build_training_frame(enterprises, indicators, incidents, as_of=AS_OF, params=PARAMS)
        model = fit_at(frame, frame.as_of, BLEND).model
        month = build_features(enterprises, *known_at(indicators, incidents, AS_OF), [AS_OF])
        scores = predict(model, month, feature_set(candidate_params(PARAMS, BLEND).feature_set))
    order = np.argsort(-scores, kind="stable")[:K]
    ids = month["enterprise_id"].to_numpy()
    return {
        "as_of": str(AS_OF.date()),
        "learner": BLEND,
        "params": PARAMS.model_dump(mode="json"),
        "k": K,
        "inputs": {
            "training_rows": len(frame.table),
            "training_digest": _digest(frame.table),
            "scored_rows": len(month),
            "scored_digest": _digest(month),
        },
        "scored": len(scores),
        "mean_score": float(scores.mean()),
        "top": [[str(ids[i]), float(scores[i])] for i in order],
        "made_with": {"python": platform.python_version(), **{p: metadata.version(p) for p in PACKAGES}},
    }


def _golden_text(run: dict[str, Any]) -> str:
    """The golden file's text: indented JSON, one line per ranked enterprise."""
    text = json.dumps({**run, "top": "TOP"}, indent=1, ensure_ascii=False)
    top = ",\n  ".join(json.dumps(pair) for pair in run["top"])
    return text.replace('"TOP"', "[\n  " + top + "\n ]") + "\n"


def test_f22_the_golden_month_ranks_the_same_top_k_with_the_same_scores(
    tiny_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    current = _golden_run(tiny_frames)
    if os.environ.get(UPDATE_ENV) == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(_golden_text(current), encoding="utf-8")
        pytest.skip(f"{GOLDEN.name} rewritten ({UPDATE_ENV}=1): review its diff and commit it")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    since = f"golden made with {golden['made_with']}, now {current['made_with']}"
    for key in ("as_of", "learner", "params", "k"):
        assert current[key] == golden[key], f"the test's {key} changed: regenerate with {UPDATE_ENV}=1"
    assert current["inputs"] == golden["inputs"], (
        f"the tiny world itself changed (the simulator, or the packages under it), so the model "
        f"cannot be compared: {current['inputs']} != {golden['inputs']}; {since}"
    )
    got_ids = [i for i, _ in current["top"]]
    want_ids = [i for i, _ in golden["top"]]
    assert got_ids == want_ids, f"the top {K} changed: {got_ids} != {want_ids}; {since}"
    got = np.array([s for _, s in current["top"]] + [current["mean_score"]])
    want = np.array([s for _, s in golden["top"]] + [golden["mean_score"]])
    worst = float(np.max(np.abs(got - want)))
    assert current["scored"] == golden["scored"]
    assert worst <= ABS_TOL, f"scores moved by up to {worst:.3g} (> {ABS_TOL}); {since}"
