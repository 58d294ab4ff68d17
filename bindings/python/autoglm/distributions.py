"""Distributions of hyperparameters, as ``optuna.distributions`` (Optuna 3.1).

A distribution is a plain value object; the engine validates it (``low > high``, ``log`` with
``low <= 0``, a step that does not divide the range, ``log`` with ``step``, empty or duplicated
choices raise ``autoglm.exceptions.ConfigError``, a ``ValueError``). Values have an external
representation (what the objective sees) and an internal one (a float: the value itself, or the
index of a categorical choice), as in Optuna; the JSON form is Optuna's
(``{"name": "FloatDistribution", "attributes": {...}}``), shared with the CLI and the storage.
"""
import decimal as _decimal
import json as _json
import math as _math
import warnings as _warnings


def _adjust_discrete_high(low, high, step):
    """Optuna's rule for a step that does not divide the range: warn and lower ``high`` to the
    last point of the grid (so [0, 1] with step 0.3 becomes [0, 0.9])."""
    if isinstance(step, int) and isinstance(low, int) and isinstance(high, int):
        r = high - low
        if step <= 0 or r % step == 0:
            return high
        adjusted = r // step * step + low
    else:
        # Non-finite bounds or a step the Decimal arithmetic cannot divide by (1e-300): leave them
        # as they are, for the engine's own message ("bounds must be finite", ...).
        if not all(_math.isfinite(v) for v in (low, high, step)):
            return high
        try:
            d_low, d_high, d_step = (_decimal.Decimal(str(v)) for v in (low, high, step))
            if d_step <= 0 or (d_high - d_low) % d_step == 0:
                return high
            adjusted = float((d_high - d_low) // d_step * d_step + d_low)
        except (ArithmeticError, ValueError, TypeError):  # decimal.InvalidOperation, overflow...
            return high
        if not _math.isfinite(adjusted):
            return high
    _warnings.warn(f"The distribution is specified by [{low}, {high}] and step={step}, but the range is not "
                   f"divisible by `step`. It will be replaced by [{low}, {adjusted}].")
    return adjusted


class BaseDistribution:
    """Base class; subclasses define ``_name``, ``_attributes()``, the two representations.
    Distributions are immutable once built (trials share them)."""

    _name = ""

    def __setattr__(self, name, value):
        if self.__dict__.get("_frozen"):
            raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead of setting {name}")
        object.__setattr__(self, name, value)

    def _attributes(self):
        raise NotImplementedError

    def _asdict(self):
        return {"name": self._name, "attributes": self._attributes()}

    def single(self):
        """True when the distribution has exactly one value."""
        raise NotImplementedError

    def __eq__(self, other):
        return isinstance(other, BaseDistribution) and self._asdict() == other._asdict()

    def __hash__(self):
        return hash(_json.dumps(self._asdict(), sort_keys=True))

    def __repr__(self):
        kwargs = ", ".join(f"{k}={v!r}" for k, v in sorted(self._attributes().items()))
        return f"{type(self).__name__}({kwargs})"


class FloatDistribution(BaseDistribution):
    """Float in [low, high]; ``log``: uniform in log space (low > 0); ``step``: low + k * step."""

    _name = "FloatDistribution"

    def __init__(self, low, high, log=False, step=None):
        if log and step is not None:
            raise ValueError("The parameter `step` is not supported when `log` is true.")
        self.low = float(low)
        self.high = float(high)
        self.log = bool(log)
        self.step = None if step is None else float(step)
        if self.low > self.high:
            raise ValueError(f"The `low` value must be smaller than or equal to the `high` value (low={low}, high={high}).")
        if self.log and self.low <= 0.0:
            raise ValueError(f"The `low` value must be larger than 0 for a log distribution (low={low}, high={high}).")
        if self.step is not None and not 0 < self.step < _math.inf:
            raise ValueError(f"The `step` value must be a finite positive value, but step={step}.")
        if self.step is not None and self.low <= self.high:
            self.high = float(_adjust_discrete_high(self.low, self.high, self.step))
        self._frozen = True

    def _attributes(self):
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}

    def single(self):
        if self.step is None:
            return self.low == self.high
        return self.high - self.low < self.step

    def _contains(self, param_value_in_internal_repr):
        v = float(param_value_in_internal_repr)
        if _math.isnan(v) or not self.low <= v <= self.high:
            return False
        if self.step is None:
            return True
        k = (v - self.low) / self.step
        return abs(k - round(k)) < 1e-8

    def to_external_repr(self, param_value_in_internal_repr):
        return float(param_value_in_internal_repr)

    def to_internal_repr(self, param_value_in_external_repr):
        return float(param_value_in_external_repr)


class IntDistribution(BaseDistribution):
    """Integer in [low, high] (both inclusive); ``step`` >= 1; ``log`` needs low >= 1, step 1."""

    _name = "IntDistribution"

    def __init__(self, low, high, log=False, step=1):
        if log and step != 1:
            raise ValueError("Samplers and other components in Optuna only accept step is 1 when `log` argument is True.")
        self.low = int(low)
        self.high = int(high)
        self.log = bool(log)
        self.step = int(step)
        if self.low > self.high:
            raise ValueError(f"The `low` value must be smaller than or equal to the `high` value (low={low}, high={high}).")
        if self.log and self.low < 1:
            raise ValueError(f"The `low` value must be equal to or greater than 1 for a log distribution (low={low}, high={high}).")
        if self.step <= 0:
            raise ValueError(f"The `step` value must be non-zero positive value, but step={step}.")
        if self.low <= self.high:
            self.high = _adjust_discrete_high(self.low, self.high, self.step)
        self._frozen = True

    def _attributes(self):
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}

    def single(self):
        return self.high - self.low < self.step

    def _contains(self, param_value_in_internal_repr):
        v = float(param_value_in_internal_repr)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def to_external_repr(self, param_value_in_internal_repr):
        return int(param_value_in_internal_repr)

    def to_internal_repr(self, param_value_in_external_repr):
        return float(param_value_in_external_repr)


class CategoricalDistribution(BaseDistribution):
    """One of ``choices`` (None, bool, int, float or str); the internal value is the index."""

    _name = "CategoricalDistribution"

    def __init__(self, choices):
        self.choices = tuple(choices)
        if not self.choices:
            raise ValueError("The `choices` must contain one or more elements.")
        self._frozen = True

    def _attributes(self):
        return {"choices": list(self.choices)}

    def __repr__(self):
        return f"CategoricalDistribution(choices={self.choices!r})"

    def single(self):
        return len(self.choices) == 1

    def _contains(self, param_value_in_internal_repr):
        i = int(param_value_in_internal_repr)
        return 0 <= i < len(self.choices) and i == param_value_in_internal_repr

    def to_external_repr(self, param_value_in_internal_repr):
        return self.choices[int(param_value_in_internal_repr)]

    def to_internal_repr(self, param_value_in_external_repr):
        for i, c in enumerate(self.choices):
            if type(c) is type(param_value_in_external_repr) and c == param_value_in_external_repr:
                return i
        for i, c in enumerate(self.choices):
            if c == param_value_in_external_repr:
                return i
        raise ValueError(f"'{param_value_in_external_repr}' not in {self.choices}.")


# Optuna's deprecated distributions (still accepted by Optuna 3.1) map onto the three above.
def UniformDistribution(low, high):
    """Deprecated in Optuna 3: FloatDistribution(low, high)."""
    return FloatDistribution(low, high)


def LogUniformDistribution(low, high):
    """Deprecated in Optuna 3: FloatDistribution(low, high, log=True)."""
    return FloatDistribution(low, high, log=True)


def DiscreteUniformDistribution(low, high, q):
    """Deprecated in Optuna 3: FloatDistribution(low, high, step=q)."""
    return FloatDistribution(low, high, step=q)


def IntUniformDistribution(low, high, step=1):
    """Deprecated in Optuna 3: IntDistribution(low, high, step=step)."""
    return IntDistribution(low, high, step=step)


def IntLogUniformDistribution(low, high, step=1):
    """Deprecated in Optuna 3: IntDistribution(low, high, log=True, step=step)."""
    return IntDistribution(low, high, log=True, step=step)


def _from_dict(d):
    name, a = d["name"], d["attributes"]
    if name == "FloatDistribution":
        return FloatDistribution(a["low"], a["high"], log=a.get("log", False), step=a.get("step"))
    if name == "IntDistribution":
        return IntDistribution(a["low"], a["high"], log=a.get("log", False), step=a.get("step", 1))
    if name == "CategoricalDistribution":
        return CategoricalDistribution(a["choices"])
    legacy = {
        "UniformDistribution": lambda: FloatDistribution(a["low"], a["high"]),
        "LogUniformDistribution": lambda: FloatDistribution(a["low"], a["high"], log=True),
        "DiscreteUniformDistribution": lambda: FloatDistribution(a["low"], a["high"], step=a["q"]),
        "IntUniformDistribution": lambda: IntDistribution(a["low"], a["high"], step=a.get("step", 1)),
        "IntLogUniformDistribution": lambda: IntDistribution(a["low"], a["high"], log=True, step=a.get("step", 1)),
    }
    if name in legacy:
        return legacy[name]()
    raise ValueError(f"Unknown distribution class: {name}")


def distribution_to_json(dist):
    """Optuna's JSON text of a distribution."""
    return _json.dumps(dist._asdict())


def json_to_distribution(json_str):
    """The distribution of Optuna's JSON text (the deprecated classes included)."""
    return _from_dict(_json.loads(json_str))


def check_distribution_compatibility(dist_old, dist_new):
    """Raises ValueError when two distributions cannot share a parameter name across trials."""
    if type(dist_old) is not type(dist_new):
        raise ValueError("Cannot set different distribution kind to the same parameter name.")
    if isinstance(dist_old, CategoricalDistribution) and dist_old.choices != dist_new.choices:
        raise ValueError(
            CategoricalDistribution.__name__ + " does not support dynamic value space.")
