"""The registry: only verified skops models of allowed types load; pyfunc gives probabilities."""

from __future__ import annotations

import pickle
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from mlflow import MlflowClient
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from models import champion, registry
from models.backtest import build_training_frame, fit_at
from models.registry import TRUSTED_TYPES, ModelIntegrityError, artifact_digest
from models.train import LEARNERS
from outputs import audit

from ..conftest import AS_OF, TINY_PARAMS

NAME = "labor-ews-test"


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The environment only: `mlflow.set_tracking_uri` would outlive the test (a process-wide
    # setting) and send every later test's MLflow calls to this temporary store.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def _data(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] + rng.normal(scale=0.5, size=200) > 0.8).astype(int).to_numpy()
    return X, y


def _register(tmp: Path, seed: int = 0) -> tuple[registry.ModelVersion, CalibratedClassifierCV, pd.DataFrame]:
    X, y = _data(seed)
    model = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    version = registry.log_model_version(
        model,
        model_name=NAME,
        experiment="test",
        artifact_root=(tmp / "artifacts").as_uri(),
        params={},
        metrics={},
        tags={},
        input_example=X,
        texts={},
    )
    return version, model, X


def _artifact_dir(version: str) -> Path:
    client = MlflowClient()
    model_id = str(client.get_model_version(NAME, version).source).removeprefix("models:/")
    location = client.get_logged_model(model_id).artifact_location
    return Path(location.removeprefix("file://"))


def test_every_learner_the_project_trains_fits_the_allow_list(tiny_frames) -> None:  # type: ignore[no-untyped-def]
    frame = build_training_frame(
        *tiny_frames, as_of=AS_OF, params=TINY_PARAMS.model_copy(update={"backtest_origins": 0})
    )
    for learner in LEARNERS:
        model = fit_at(frame, frame.as_of, learner).model
        assert set(sio.get_untrusted_types(data=sio.dumps(model))) <= TRUSTED_TYPES, learner


def test_pyfunc_gives_the_calibrated_probabilities_not_labels(tracking: Path) -> None:
    version, model, X = _register(tracking)
    registry.set_alias(NAME, registry.CHAMPION, version.version)
    served = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").predict(X)
    np.testing.assert_allclose(np.asarray(served), model.predict_proba(X))
    assert not set(np.unique(np.asarray(served)[:, 1])) <= {0.0, 1.0}


def _double(x: pd.DataFrame) -> pd.DataFrame:
    """A function the allow-list does not name."""
    return x * 2


class _Payload:
    """Unpickling it leaves a file behind: the proof that a pickle was executed."""

    marker: Path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def test_a_pickle_swapped_in_with_its_mlflow_digest_rewritten_is_never_executed(tracking: Path) -> None:
    version, _, _ = _register(tracking)
    audit.record_model_digest(
        tracking / "ews.db", model_name=NAME, version=version.version, digest=version.digest
    )
    champion.record_training_aliases(
        NAME, tracking / "ews.db", version.version, promoted=True, previous=None, reason="t"
    )
    # The attacker writes a pickle, points MLmodel at it and rewrites MLflow's digest tag.
    folder = _artifact_dir(version.version)
    payload = _Payload()
    payload.marker = tracking / "executed"
    (folder / "model.skops").unlink()
    (folder / "model.pkl").write_bytes(pickle.dumps(payload))
    meta = yaml.safe_load((folder / "MLmodel").read_text())
    meta["flavors"]["sklearn"].update(serialization_format="cloudpickle", pickled_model="model.pkl")
    meta["flavors"]["python_function"]["model_path"] = "model.pkl"
    (folder / "MLmodel").write_text(yaml.safe_dump(meta))
    copy = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{NAME}/{version.version}", dst_path=str(tracking / "dl")
        )
    )
    MlflowClient().set_model_version_tag(NAME, version.version, registry.DIGEST_TAG, artifact_digest(copy))

    with pytest.raises(ModelIntegrityError, match="differs from the workspace's record"):
        champion.load_champion(NAME, tracking / "ews.db")
    # Even with the digests agreeing, a model that is not skops is refused before loading.
    with pytest.raises(ModelIntegrityError, match="not in the skops format"):
        registry.load_verified(NAME, registry.CHAMPION)
    assert not payload.marker.exists()


def test_a_skops_file_holding_a_type_outside_the_allow_list_is_refused(tmp_path: Path) -> None:
    X, y = _data()
    model = Pipeline([("f", FunctionTransformer(_double)), ("m", LogisticRegression())]).fit(X, y)
    sio.dump(model, tmp_path / "model.skops")
    (tmp_path / "MLmodel").write_text(
        yaml.safe_dump(
            {"flavors": {"sklearn": {"serialization_format": "skops", "pickled_model": "model.skops"}}}
        )
    )
    with pytest.raises(ModelIntegrityError, match="outside the allow-list"):
        registry.load_skops(tmp_path, "test model")
    # A file outside the artifact is refused too.
    (tmp_path / "MLmodel").write_text(
        yaml.safe_dump(
            {"flavors": {"sklearn": {"serialization_format": "skops", "pickled_model": "../x.skops"}}}
        )
    )
    with pytest.raises(ModelIntegrityError, match="not a .skops file of the artifact"):
        registry.load_skops(tmp_path, "test model")


def test_a_model_holding_a_type_outside_the_allow_list_is_never_registered(tracking: Path) -> None:
    """MLflow is given the allow-list: such a model fails at registration, in one clear line."""
    X, y = _data()
    model = Pipeline([("f", FunctionTransformer(_double)), ("m", LogisticRegression())]).fit(X, y)
    with pytest.raises(ModelIntegrityError, match=r"outside the allow-list \(.*_double.*\); not registered"):
        registry.log_model_version(
            model,
            model_name=NAME,
            experiment="test",
            artifact_root=(tracking / "artifacts").as_uri(),
            params={},
            metrics={},
            tags={},
            input_example=X,
            texts={},
        )
    assert MlflowClient().search_model_versions(f"name='{NAME}'") == []
    version, _, _ = _register(tracking)  # the allowed types register as before
    assert version.version == "1"


def test_promote_moves_the_champion_only_to_a_version_that_verifies(tracking: Path) -> None:
    db = tracking / "ews.db"
    first, _, _ = _register(tracking, seed=0)
    second, _, _ = _register(tracking, seed=1)
    for v in (first, second):
        audit.record_model_digest(db, model_name=NAME, version=v.version, digest=v.digest)
    champion.promote_version(NAME, db, first.version, "test")
    (_artifact_dir(second.version) / "model.skops").write_bytes(b"PK\x03\x04 tampered")
    with pytest.raises(ModelIntegrityError):
        champion.promote_version(NAME, db, second.version, "test")
    current = registry.alias_version(NAME, registry.CHAMPION)
    assert current is not None and current.version == first.version
    assert registry.alias_version(NAME, registry.CANDIDATE) is None
    # A version with no digest in this workspace is refused until an operator trusts it.
    third, _, _ = _register(tracking, seed=2)
    with pytest.raises(ModelIntegrityError, match="ews models trust"):
        champion.promote_version(NAME, db, third.version, "test")
    assert "trusted" in champion.trust_version(NAME, db, third.version)
    champion.promote_version(NAME, db, third.version, "test")
    assert registry.alias_version(NAME, registry.CHAMPION).version == third.version  # type: ignore[union-attr]
