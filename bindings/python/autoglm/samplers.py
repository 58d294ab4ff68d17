"""Samplers by their Optuna names (``optuna.samplers``); each builds the C++ sampler of the same
algorithm (include/autoglm/samplers.h documents each one's behaviour and sources).

A sampler object here is a specification: ``create_study(sampler=TPESampler(seed=0))`` builds the
engine's sampler from it, so two studies given the same object get independent samplers with
the same options. Defaults are Optuna 3.1's. An option the engine does not offer, given a value
other than Optuna's default, raises ValueError naming it (docs/python.md lists them).
"""
import math as _math
import types as _types

from . import exceptions as _exc


def default_gamma(x):
    """Optuna 3.1's gamma: min(ceil(0.1 x), 25) good observations among x."""
    return min(int(_math.ceil(0.1 * x)), 25)


def hyperopt_default_gamma(x):
    """hyperopt's gamma: min(ceil(0.25 sqrt(x)), 25)."""
    return min(int(_math.ceil(0.25 * _math.sqrt(x))), 25)


def default_weights(x):
    """Observation weights, oldest first (Bergstra et al. 2013): ones below 25, then a ramp."""
    if x == 0:
        return []
    if x < 25:
        return [1.0] * x
    ramp = [1.0 / x + i * (1.0 - 1.0 / x) / (x - 25 - 1) for i in range(x - 25)] if x - 25 > 1 else [1.0 / x] * (x - 25)
    return ramp + [1.0] * 25


def _unsupported(sampler, name, value, default=None):
    if value is not default and value != default:
        raise ValueError(f"{sampler}({name}=...) is not supported by autoglm; leave it at {default!r} "
                         "(see docs/python.md, 'Differences from Optuna')")


class BaseSampler:
    """Base class. ``_spec()`` returns the engine's sampler spec ({"name": ..., options})."""

    _name = ""
    constraints_func = None

    def __init__(self, **options):
        seed = options.get("seed")
        if seed is not None and not isinstance(seed, bool) and hasattr(seed, "__index__"):
            seed = options["seed"] = int(seed)  # numpy integers too
            if not 0 <= seed < 2**64:
                raise _exc.ConfigError(f"{type(self).__name__}: option 'seed' must be an integer in 0 .. 2**64-1, "
                                       f"got {seed}")
        self._options = {k: v for k, v in options.items() if v is not None}

    def _spec(self):
        return {"name": self._name, **self._options}

    def reseed_rng(self):
        """No-op kept for Optuna compatibility (the engine seeds each worker itself)."""

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._options.items())})"


class RandomSampler(BaseSampler):
    """Independent uniform sampling (log space for log distributions)."""

    _name = "random"

    def __init__(self, seed=None):
        super().__init__(seed=seed)


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator (Bergstra et al. 2011; MOTPE for several objectives).

    ``gamma`` accepts ``default_gamma`` or ``hyperopt_default_gamma`` of this module (Optuna's
    functions of the same names); ``weights`` only ``default_weights``. ``constraints_func(trial)``
    is called on each COMPLETE or PRUNED trial and its values (<= 0 feasible) are stored in the
    trial's system attr "constraints", as Optuna does.
    """

    _name = "tpe"

    def __init__(self, consider_prior=True, prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
                 n_startup_trials=10, n_ei_candidates=24, gamma=default_gamma, weights=default_weights, seed=None,
                 *, multivariate=False, group=False, warn_independent_sampling=True, constant_liar=False,
                 constraints_func=None):
        if gamma is default_gamma or gamma is None:
            g = None
        elif gamma is hyperopt_default_gamma:
            g = "hyperopt"
        else:
            raise ValueError("TPESampler(gamma=...) accepts autoglm.samplers.default_gamma or "
                             "autoglm.samplers.hyperopt_default_gamma; other callables are not supported")
        if weights is not default_weights and weights is not None:
            raise ValueError("TPESampler(weights=...) accepts only autoglm.samplers.default_weights")
        super().__init__(consider_prior=consider_prior, prior_weight=float(prior_weight),
                         consider_magic_clip=consider_magic_clip, consider_endpoints=consider_endpoints,
                         n_startup_trials=n_startup_trials, n_ei_candidates=n_ei_candidates, gamma=g, seed=seed,
                         multivariate=multivariate, group=group, warn_independent_sampling=warn_independent_sampling,
                         constant_liar=constant_liar)
        self.constraints_func = constraints_func

    @staticmethod
    def hyperopt_parameters():
        """hyperopt's TPE settings, to pass as ``TPESampler(**TPESampler.hyperopt_parameters())``."""
        return {"consider_prior": True, "prior_weight": 1.0, "consider_magic_clip": False,
                "consider_endpoints": True, "n_startup_trials": 20, "n_ei_candidates": 24,
                "gamma": hyperopt_default_gamma, "weights": default_weights}


class GridSampler(BaseSampler):
    """Grid search over ``search_space`` (name -> list of values), visited in a seeded random order."""

    _name = "grid"

    def __init__(self, search_space, seed=None):
        super().__init__(search_space={k: list(v) for k, v in search_space.items()}, seed=seed)


class QMCSampler(BaseSampler):
    """Quasi-Monte Carlo (Sobol or Halton) over the space of the first complete trial."""

    _name = "qmc"

    def __init__(self, *, qmc_type="sobol", scramble=False, seed=None, independent_sampler=None,
                 warn_asynchronous_seeding=True, warn_independent_sampling=True):
        _unsupported("QMCSampler", "independent_sampler", independent_sampler)
        super().__init__(qmc_type=qmc_type, scramble=scramble, seed=seed)


class CmaEsSampler(BaseSampler):
    """CMA-ES (Hansen 2016) on the unit-scaled internal space; IPOP restarts; CMA-ES with margin."""

    _name = "cmaes"

    def __init__(self, x0=None, sigma0=None, n_startup_trials=1, independent_sampler=None,
                 warn_independent_sampling=True, seed=None, *, consider_pruned_trials=False, restart_strategy=None,
                 popsize=None, inc_popsize=2, use_separable_cma=False, source_trials=None, with_margin=False):
        _unsupported("CmaEsSampler", "x0", x0)
        _unsupported("CmaEsSampler", "independent_sampler", independent_sampler)
        _unsupported("CmaEsSampler", "consider_pruned_trials", consider_pruned_trials, False)
        _unsupported("CmaEsSampler", "inc_popsize", inc_popsize, 2)
        _unsupported("CmaEsSampler", "use_separable_cma", use_separable_cma, False)
        _unsupported("CmaEsSampler", "source_trials", source_trials)
        super().__init__(sigma0=sigma0, n_startup_trials=n_startup_trials, seed=seed,
                         restart_strategy=restart_strategy, popsize=popsize, with_margin=with_margin)


class _Crossover:
    _name = ""

    def __repr__(self):
        return f"{type(self).__name__}()"


class UniformCrossover(_Crossover):
    """Each parameter from the second parent with probability ``swapping_prob``."""
    _name = "uniform"

    def __init__(self, swapping_prob=0.5):
        self.swapping_prob = swapping_prob


class SBXCrossover(_Crossover):
    """Simulated binary crossover (Deb & Agrawal 1995), distribution index 20."""
    _name = "sbx"

    def __init__(self, eta=None):
        _unsupported("SBXCrossover", "eta", eta)


class BLXAlphaCrossover(_Crossover):
    """BLX-alpha crossover (Eshelman & Schaffer 1993), alpha 0.5."""
    _name = "blxalpha"

    def __init__(self, alpha=0.5):
        _unsupported("BLXAlphaCrossover", "alpha", alpha, 0.5)


#: ``optuna.samplers.nsgaii.UniformCrossover`` and friends.
nsgaii = _types.SimpleNamespace(UniformCrossover=UniformCrossover, SBXCrossover=SBXCrossover,
                                BLXAlphaCrossover=BLXAlphaCrossover)


class NSGAIISampler(BaseSampler):
    """NSGA-II (Deb et al. 2002): non-dominated sorting and crowding distance, with constraints."""

    _name = "nsga2"

    def __init__(self, *, population_size=50, mutation_prob=None, crossover=None, crossover_prob=0.9,
                 swapping_prob=0.5, seed=None, constraints_func=None):
        if crossover is None:
            name = None
        elif isinstance(crossover, _Crossover):
            name = crossover._name
            if isinstance(crossover, UniformCrossover):
                swapping_prob = crossover.swapping_prob
        else:
            raise ValueError("NSGAIISampler(crossover=...) accepts UniformCrossover(), SBXCrossover() or "
                             "BLXAlphaCrossover() from autoglm.samplers.nsgaii")
        super().__init__(population_size=population_size, mutation_prob=mutation_prob, crossover=name,
                         crossover_prob=crossover_prob, swapping_prob=swapping_prob, seed=seed)
        self.constraints_func = constraints_func


class GPSampler(BaseSampler):
    """Gaussian-process Bayesian optimization (Matern 5/2 ARD kernel, log expected improvement)."""

    _name = "gp"

    def __init__(self, *, seed=None, n_startup_trials=10, deterministic_objective=False, independent_sampler=None):
        _unsupported("GPSampler", "independent_sampler", independent_sampler)
        super().__init__(seed=seed, n_startup_trials=n_startup_trials, deterministic_objective=deterministic_objective)


class AutoSampler(BaseSampler):
    """autoglm's automatic choice: GP-BO for small continuous spaces, TPE otherwise, NSGA-II for
    several objectives (include/autoglm/auto_sampler.h)."""

    _name = "auto"

    def __init__(self, *, seed=None):
        super().__init__(seed=seed)
