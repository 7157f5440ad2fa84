"""JSON + arrays encoding of fitted results, with no pickle.

Every value becomes plain JSON; arrays are set aside (saved as ``.npy`` with
``allow_pickle=False``) and referenced by key. Non-JSON types are tagged objects
``{"$t": tag, ...}``, and decoding rebuilds only types from fixed allow-lists: Aurora's
result dataclasses, registered families and links, formulaic's enums, contrasts and
``ModelSpec``. Nothing in a file can name arbitrary code to import or run.
"""
from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from aurora.errors import AuroraError

__all__ = ["Encoder", "Decoder", "StoreError"]


class StoreError(AuroraError):
    """A result cannot be saved, or a file is not a readable Aurora result."""


def _dataclasses() -> dict[str, type]:
    from aurora.compile.factor_coding import CodedFactor
    from aurora.compile.frame import FrameInfo
    from aurora.compile.plan import ModelPlan
    from aurora.compile.spec import ModelSpec
    from aurora.engine.glm import GLMEstimates
    from aurora.engine.pirls import IRLSResult, IterationRecord
    from aurora.compile.smooth_terms import PenaltyBlock, SmoothSpec
    from aurora.engine.smoothing import OuterIteration, SmoothingFit

    return {c.__name__: c for c in (CodedFactor, FrameInfo, ModelPlan, ModelSpec, GLMEstimates, IRLSResult,
                                    IterationRecord, PenaltyBlock, SmoothSpec, SmoothingFit,
                                    OuterIteration)}


def _enums() -> dict[str, type[enum.Enum]]:
    from formulaic.materializers.types.enums import ClusterBy, NAAction
    from formulaic.parser.types.factor import Factor
    from formulaic.utils.sentinels import Sentinel

    return {"Factor.Kind": Factor.Kind, "NAAction": NAAction, "ClusterBy": ClusterBy,
            "Sentinel": Sentinel}


def _contrast_classes() -> dict[str, type]:
    from formulaic.transforms import contrasts as c

    classes = (c.TreatmentContrasts, c.SASContrasts, c.SumContrasts, c.HelmertContrasts,
               c.DiffContrasts, c.PolyContrasts, c.CustomContrasts)
    return {k.__name__: k for k in classes}


def _families() -> tuple[dict[str, type], dict[str, type]]:
    from aurora.distributions.registry import FAMILIES, LINKS

    return ({c.__name__: c for c in FAMILIES.values()}, {c.__name__: c for c in LINKS.values()})


def _enum_name(value: enum.Enum) -> str:
    for name, cls in _enums().items():
        if isinstance(value, cls):
            return name
    raise StoreError(f"cannot save the enum value {value!r} ({type(value).__qualname__})")


def _formula_text(formula: Any) -> str:
    """formulaic's formula as text that parses back to the same terms.

    ``str()`` of a formula without intercept omits the ``0``, so it is written here.
    """
    terms = [str(t) for t in formula]
    if "1" in terms:
        return " + ".join(terms)
    return " + ".join(["0"] + terms)


class Encoder:
    """Turn a result's pieces into JSON, collecting arrays in :attr:`arrays`.

    Examples
    --------
    >>> enc = Encoder()
    >>> enc.encode({"a": (1, float("nan")), "b": np.arange(3.0)})["$t"]
    'dict'
    >>> list(enc.arrays)
    ['a0']
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, arr: np.ndarray) -> dict[str, Any]:
        if arr.dtype == object:
            if all(isinstance(v, str) for v in arr.ravel()):
                arr = arr.astype(str)
            else:
                raise StoreError("cannot save an object array holding non-text values")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(arr)
        return {"$t": "array", "ref": key}

    def encode(self, obj: Any) -> Any:  # noqa: C901 - one dispatch table, read top-down
        """Encode one value (recursively)."""
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, enum.Enum):
            return {"$t": "enum", "cls": _enum_name(obj), "name": obj.name}
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, (float, np.floating)):
            v = float(obj)
            return v if math.isfinite(v) else {"$t": "float", "v": repr(v)}
        if isinstance(obj, np.ndarray):
            return self._array(obj)
        if isinstance(obj, tuple):
            return {"$t": "tuple", "v": [self.encode(v) for v in obj]}
        if isinstance(obj, list):
            return [self.encode(v) for v in obj]
        if isinstance(obj, dict):
            return {"$t": "dict", "v": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if isinstance(obj, pd.Index):
            return self._index(obj)
        return self._special(obj)

    def _index(self, idx: pd.Index) -> dict[str, Any]:
        if isinstance(idx, pd.RangeIndex):
            return {"$t": "range_index", "v": [idx.start, idx.stop, idx.step]}
        values = idx.to_numpy()
        if values.dtype == object:
            values = np.array([str(v) for v in values], dtype=str)
        return {"$t": "index", "v": self._array(values)}

    def _special(self, obj: Any) -> Any:
        from aurora.distributions.base import Family, LinkFunction
        from aurora.formula.ast import Formula
        from formulaic import ModelSpec as FormulaicSpec
        from formulaic.transforms.contrasts import Contrasts, ContrastsState

        if isinstance(obj, Family):
            return self._family(obj)
        if isinstance(obj, LinkFunction):
            return self._link(obj)
        if isinstance(obj, Formula):
            return {"$t": "formula", "canonical": str(obj), "text": obj.text}
        if isinstance(obj, FormulaicSpec):
            return self._formulaic(obj)
        if isinstance(obj, ContrastsState):
            return {"$t": "contrasts_state", "contrasts": self.encode(obj.contrasts),
                    "levels": self.encode(obj.levels)}
        if isinstance(obj, Contrasts):
            return self._contrasts(obj)
        if dataclasses.is_dataclass(obj) and type(obj).__name__ in _dataclasses():
            fields = {f.name: self.encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            return {"$t": "dataclass", "cls": type(obj).__name__, "v": fields}
        raise StoreError(f"cannot save a value of type {type(obj).__qualname__}",
                         "save supports Aurora's built-in families, links and GLM results")

    def _family(self, fam: Any) -> dict[str, Any]:
        families, _ = _families()
        name = type(fam).__name__
        if families.get(name) is not type(fam):
            raise StoreError(f"the family {name} is not a registered Aurora family",
                             "results with user-defined families cannot be saved; refit them after loading the data")
        out = {"$t": "family", "cls": name, "link": self._link(fam.link), "params": self.encode(dict(fam.params))}
        return out

    def _link(self, link: Any) -> dict[str, Any]:
        _, links = _families()
        name = type(link).__name__
        if links.get(name) is not type(link):
            raise StoreError(f"the link {name} is not a registered Aurora link",
                             "results with user-defined links cannot be saved")
        return {"$t": "link", "cls": name, "params": self.encode(dict(link.params))}

    def _contrasts(self, obj: Any) -> dict[str, Any]:
        name = type(obj).__name__
        if _contrast_classes().get(name) is not type(obj):
            raise StoreError(f"cannot save contrasts of type {name}")
        if name == "CustomContrasts":
            fields = {"contrasts": self.encode(np.asarray(obj.contrasts)),
                      "names": self.encode(obj.contrast_names)}
        else:
            fields = {f.name: self.encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"$t": "contrasts", "cls": name, "v": fields}

    def _formulaic(self, spec: Any) -> dict[str, Any]:
        if spec.materializer_params:
            raise StoreError("cannot save a formulaic ModelSpec with materializer parameters")
        return {"$t": "formulaic_spec", "formula": _formula_text(spec.formula),
                "materializer": spec.materializer, "ensure_full_rank": bool(spec.ensure_full_rank),
                "na_action": self.encode(spec.na_action), "output": spec.output,
                "cluster_by": self.encode(spec.cluster_by),
                "transform_state": self.encode(spec.transform_state),
                "encoder_state": self.encode(spec.encoder_state),
                "columns": [list(map(str, s.columns)) for s in (spec.structure or [])]}


class Decoder:
    """Rebuild values written by :class:`Encoder` from JSON and the stored arrays."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays

    def decode(self, node: Any) -> Any:
        """Decode one JSON node (recursively)."""
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        tag = node.get("$t")
        handler = self._handlers().get(tag)
        if handler is None:
            raise StoreError(f"unknown entry type {tag!r} in the file")
        try:
            return handler(node)
        except StoreError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StoreError(f"corrupt {tag!r} entry in the file: {exc}") from exc

    def _handlers(self) -> dict[str, Callable[[dict], Any]]:
        return {
            "array": lambda n: self.arrays[n["ref"]],
            "float": lambda n: float(n["v"]),
            "tuple": lambda n: tuple(self.decode(v) for v in n["v"]),
            "dict": lambda n: {self._key(self.decode(k)): self.decode(v) for k, v in n["v"]},
            "enum": lambda n: _enums()[n["cls"]][n["name"]],
            "range_index": lambda n: pd.RangeIndex(*n["v"]),
            "index": lambda n: pd.Index(self.decode(n["v"])),
            "family": self._family,
            "link": self._link,
            "formula": self._formula,
            "formulaic_spec": self._formulaic,
            "contrasts_state": self._contrasts_state,
            "contrasts": self._contrasts,
            "dataclass": self._dataclass,
        }

    @staticmethod
    def _key(k: Any) -> Any:
        return k

    def _family(self, node: dict) -> Any:
        families, _ = _families()
        cls = families[node["cls"]]
        return cls(link=self._link(node["link"]), **self.decode(node["params"]))

    def _link(self, node: dict) -> Any:
        _, links = _families()
        return links[node["cls"]](**self.decode(node["params"]))

    def _formula(self, node: dict) -> Any:
        from aurora.formula import parse

        ast = parse(node["canonical"])
        return dataclasses.replace(ast, text=node.get("text") or ast.text)

    def _contrasts_state(self, node: dict) -> Any:
        from formulaic.transforms.contrasts import ContrastsState

        return ContrastsState(contrasts=self.decode(node["contrasts"]),
                              levels=self.decode(node["levels"]))

    def _contrasts(self, node: dict) -> Any:
        cls = _contrast_classes()[node["cls"]]
        fields = {k: self.decode(v) for k, v in node["v"].items()}
        return cls(**fields)

    def _formulaic(self, node: dict) -> Any:
        from formulaic import ModelSpec as FormulaicSpec

        return FormulaicSpec(formula=node["formula"], materializer=node["materializer"],
                             ensure_full_rank=node["ensure_full_rank"],
                             na_action=self.decode(node["na_action"]), output=node["output"],
                             cluster_by=self.decode(node["cluster_by"]),
                             transform_state=self.decode(node["transform_state"]),
                             encoder_state=self.decode(node["encoder_state"]))

    def _dataclass(self, node: dict) -> Any:
        classes = _dataclasses()
        cls = classes[node["cls"]]
        values = {k: self.decode(v) for k, v in node["v"].items()}
        known = {f.name for f in dataclasses.fields(cls)}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise StoreError(f"the file's {node['cls']} lacks the field(s) {missing}",
                             "it was written by an incompatible version of Aurora")
        return cls(**{k: v for k, v in values.items() if k in known})
