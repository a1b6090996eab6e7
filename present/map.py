"""The analysts' map: zones (KCN/CCN), communes and districts with their count of flagged firms.

Drawn offline: an Altair (Vega-Lite) chart of points at their longitude and latitude on an
equirectangular projection, with no tile server and no geo service, so that it renders in
the Streamlit page on a machine without internet. Coordinates come from the workspace's
optional area reference (`areas_table`, docs/contract.md "areas"); a workspace without it
has no map, and everything else works as before.

Each ranked firm belongs to one area: its zone when it has a ``zone_id``, else its commune
(when the ranking carries a ``commune`` column), else its district. `area_counts` is the
pure table behind the map; `area_map` draws it.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from data.reference import ZONE_AREA_KINDS, areas_path, empty_areas, normalize_place, read_areas
from vocab.formats import plain_text
from vocab.i18n import check_lang, t

#: Columns of `area_counts`, in order.
COUNT_COLUMNS: tuple[str, ...] = (
    "area_id",
    "kind",
    "name",
    "province",
    "latitude",
    "longitude",
    "enterprises",
    "high",
    "elevated",
    "flagged",
    "share_high",
)
#: Bands counted on the map: the analysts' "high + elevated".
FLAGGED_BANDS: tuple[str, ...] = ("high", "elevated")
_ZONE = "zone"  # the key group of both zone kinds: a zone_id names one zone


def areas_table(home: Path) -> pd.DataFrame:
    """The workspace's area reference: ``EWS_HOME/areas.csv`` validated
    (`data.reference.read_areas`), or an empty table when the workspace declares none.

    The page calls ``areas_table(settings.root)``; a bad file raises
    `data.reference.AreasRefused` with one line naming the row and the problem.
    """
    return read_areas(areas_path(home))


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column as str with missing (or absent) as ''."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    values = frame[column]
    return values.astype("object").where(values.notna(), "").astype("str").str.strip()


def _factor(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A text column as codes into its distinct stripped values (-1: missing, empty or absent).

    Factorized first: a national ranking holds a million firms but a few thousand places,
    so every string operation runs on the distinct values only."""
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64), np.array([], dtype=object)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    text = np.array([str(u).strip() for u in uniques], dtype=object)
    blank = np.array([not t for t in text], dtype=bool)
    codes = np.asarray(codes, dtype=np.int64)
    if blank.any():
        codes = np.where((codes >= 0) & blank[np.maximum(codes, 0)], -1, codes)
    return codes, text


def _normal_codes(codes: np.ndarray, text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`codes` into the distinct `normalize_place` forms of `text` (two spellings, one code)."""
    normal, names = pd.factorize(pd.Series([normalize_place(t) for t in text], dtype="object"))
    lookup = np.append(np.asarray(normal, dtype=np.int64), -1)  # code -1 reads the last: -1
    mapped = lookup[codes]
    return mapped, np.asarray(names, dtype=object)


def _firm_counts(ranking: pd.DataFrame) -> pd.DataFrame:
    """Per area key (group, normalized province, id) the firms ranked, high and elevated,
    with the id and province as the ranking first writes them. A firm's area is its zone,
    else its commune, else its district; firms naming none are left out."""
    zone, zone_text = _factor(ranking, "zone_id")
    commune, commune_text = _factor(ranking, "commune")
    district, district_text = _factor(ranking, "district")
    province, province_text = _factor(ranking, "province")
    commune_n, commune_names = _normal_codes(commune, commune_text)
    district_n, district_names = _normal_codes(district, district_text)
    province_n, province_names = _normal_codes(province, province_text)
    groups = (_ZONE, "commune", "district")
    group = np.select([zone >= 0, commune >= 0, district >= 0], [0, 1, 2], -1)
    ident = np.select([group == 0, group == 1], [zone, commune_n], district_n)
    shown = np.select([group == 0, group == 1], [zone, commune], district)
    band, band_text = _factor(ranking, "band")
    is_high = np.isin(band, np.flatnonzero(band_text == "high"))
    is_elevated = np.isin(band, np.flatnonzero(band_text == "elevated"))
    keys = pd.DataFrame(
        {
            "g": group,
            "p": np.where(group == 0, -1, province_n),
            "i": ident,
            "shown": shown,
            "province": province,
            "enterprises": 1,
            "high": is_high.astype(np.int64),
            "elevated": is_elevated.astype(np.int64),
        }
    )
    keys = keys.loc[keys["g"] >= 0]
    summed = keys.groupby(["g", "p", "i"], sort=True).agg(
        enterprises=("enterprises", "sum"),
        high=("high", "sum"),
        elevated=("elevated", "sum"),
        shown=("shown", "first"),
        province=("province", "first"),
    )
    summed = summed.reset_index()
    g, p, i = (summed[c].to_numpy() for c in ("g", "p", "i"))
    ids = {0: zone_text, 1: commune_names, 2: district_names}
    shown_text = {0: zone_text, 1: commune_text, 2: district_text}
    return pd.DataFrame(
        {
            "_group": [groups[k] for k in g],
            "_province": ["" if k < 0 else province_names[k] for k in p],
            "_id": [ids[k][j] for k, j in zip(g, i, strict=True)],
            "_shown": [shown_text[k][j] for k, j in zip(g, summed["shown"].to_numpy(), strict=True)],
            "_first_province": [province_text[k] if k >= 0 else "" for k in summed["province"].to_numpy()],
            "enterprises": summed["enterprises"].to_numpy(dtype=np.int64),
            "high": summed["high"].to_numpy(dtype=np.int64),
            "elevated": summed["elevated"].to_numpy(dtype=np.int64),
        }
    )


def _area_keys(areas: pd.DataFrame) -> pd.DataFrame:
    """The area reference with the same key columns as `_firm_keys`."""
    out = areas.copy()
    kind = _text(areas, "kind")
    is_zone = kind.isin(ZONE_AREA_KINDS)
    out["_group"] = kind.where(~is_zone, _ZONE)
    out["_province"] = _text(areas, "province").map(normalize_place).where(~is_zone, "")
    out["_id"] = _text(areas, "area_id").where(is_zone, _text(areas, "area_id").map(normalize_place))
    return out.drop_duplicates(["_group", "_province", "_id"], keep="last")


def area_counts(ranking: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Per area named by the ranking: enterprises ranked, how many are ``high``, ``elevated``
    and both (``flagged``), and the share of ``high`` among the flagged (NaN when none).

    Areas come from `areas` (kind, name, province, coordinates) when it lists them; an area
    it does not list keeps its id as name, the key group as kind (``zone``, ``commune``,
    ``district``), the firms' province and no coordinates. Firms that name no area are left out. Most flagged first.
    """
    counted = _firm_counts(ranking)
    by = ["_group", "_province", "_id"]
    reference = _area_keys(areas if len(areas.columns) else empty_areas())
    merged = counted.merge(reference, on=by, how="left", validate="one_to_one")
    missing = merged["area_id"].isna()
    if missing.any():  # areas the reference does not list: as the ranking writes them
        merged.loc[missing, "area_id"] = merged.loc[missing, "_shown"]
        merged.loc[missing, "name"] = merged.loc[missing, "_shown"]
        merged.loc[missing, "kind"] = merged.loc[missing, "_group"]
        merged.loc[missing, "province"] = merged.loc[missing, "_first_province"]
    merged["flagged"] = merged["high"] + merged["elevated"]
    flagged = merged["flagged"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        merged["share_high"] = np.where(flagged > 0, merged["high"].to_numpy() / flagged, np.nan)
    out = merged.loc[:, list(COUNT_COLUMNS)].astype(
        {"latitude": "float64", "longitude": "float64", "enterprises": "int64", "high": "int64"}
    )
    out = out.astype(
        {"elevated": "int64", "flagged": "int64", "area_id": "str", "kind": "str", "name": "str"}
    )
    out["province"] = out["province"].fillna("").astype("str")
    order = out.sort_values(["flagged", "high", "enterprises"], ascending=False, kind="stable")
    return order.reset_index(drop=True)


def _kind_label(kind: str, lang: str) -> str:
    return t(f"area.{kind}", lang)


def area_map(ranking: pd.DataFrame, areas: pd.DataFrame, lang: str = "vi") -> alt.Chart | None:
    """Zones and communes as points sized by their count of high and elevated firms and
    coloured by the share of high among them; None when no area of the ranking has
    coordinates.

    Offline by construction: an equirectangular projection of longitude/latitude, no tiles.
    Names are data, shown in the tooltip as text (control characters replaced); the
    titles come from the catalogue in `lang`.
    """
    lang = check_lang(lang)
    counts = area_counts(ranking, areas)
    placed = counts.loc[counts["latitude"].notna() & counts["longitude"].notna()].copy()
    if placed.empty:
        return None
    placed["name"] = placed["name"].map(plain_text)
    placed["province"] = placed["province"].map(plain_text)
    placed["kind_label"] = placed["kind"].map(lambda k: _kind_label(str(k), lang))
    placed = placed.sort_values(["flagged", "area_id"], ascending=[True, True], kind="stable")  # big on top
    data = placed.loc[
        :,
        [
            "name",
            "kind_label",
            "province",
            "latitude",
            "longitude",
            "enterprises",
            "high",
            "flagged",
            "share_high",
        ],
    ].reset_index(drop=True)
    return (
        alt.Chart(data, title=t("map_chart_title", lang))
        .mark_circle(opacity=0.75, stroke="#333333", strokeWidth=0.5)
        .encode(
            longitude=alt.Longitude("longitude:Q"),
            latitude=alt.Latitude("latitude:Q"),
            size=alt.Size(
                "flagged:Q",
                title=t("flagged", lang),
                scale=alt.Scale(domainMin=0, range=[20, 900]),
            ),
            color=alt.Color(
                "share_high:Q",
                title=t("map_share_high", lang),
                scale=alt.Scale(domain=[0, 1], scheme="orangered"),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=t("map_area", lang)),
                alt.Tooltip("kind_label:N", title=t("kind", lang)),
                alt.Tooltip("province:N", title=t("province", lang)),
                alt.Tooltip("enterprises:Q", title=t("enterprises", lang)),
                alt.Tooltip("high:Q", title=t("band.high", lang)),
                alt.Tooltip("flagged:Q", title=t("flagged", lang)),
                alt.Tooltip("share_high:Q", title=t("map_share_high", lang), format=".0%"),
            ],
        )
        .project(type="equirectangular")
        .properties(width=560, height=560)
    )
