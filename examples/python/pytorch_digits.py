#!/usr/bin/python3
"""Tune a PyTorch MLP on scikit-learn's digits with autoglm, pruning unpromising trials.

The data: scikit-learn's 8x8 hand-written digits (1,797 images, 10 classes; shipped with
scikit-learn, nothing is downloaded), split once into 80% training and 20% validation with a
fixed seed. The search space: 1-3 hidden layers, the units of each (16-256, log scale), dropout,
the optimizer (Adam, or SGD with momentum), the learning rate (log scale) and the batch size.
Each trial trains for --epochs epochs and reports the validation accuracy after every epoch
(``trial.report``); the pruner (median stopping rule by default, --pruner hyperband for
Hyperband) stops trials that fall behind (``trial.should_prune`` -> ``raise
autoglm.TrialPruned``).

The script is an ordinary Optuna script: replace ``autoglm`` by ``optuna`` and it runs under
Optuna 3.1 (docs/python.md lists the differences between the two packages).

Run it (Debian: python3-torch, python3-sklearn; the package from the build tree):

    PYTHONPATH=build/python /usr/bin/python3 examples/python/pytorch_digits.py
    PYTHONPATH=build/python /usr/bin/python3 examples/python/pytorch_digits.py --n-trials 100 --n-jobs 2

With the defaults (50 trials of up to 20 epochs, about half of them pruned) it takes about 10 s on
2 cores (import and data included: 11 s); best validation accuracy about 0.975 (chance: 0.1). The trials go to sqlite:///pytorch_digits.db (--storage), study "pytorch-digits"
(--study-name); running the script again continues the same study. Watch it live, from another
shell, while it runs or afterwards:

    build/autoglm dashboard --storage sqlite:///pytorch_digits.db     # http://127.0.0.1:8080/

Threads: each trial uses one PyTorch thread (torch.set_num_threads(1), OMP_NUM_THREADS=1 unless
set); --n-jobs N runs N trials at once in threads of the engine (as Optuna's n_jobs). PyTorch
releases the GIL inside its operators, so N trials can use N cores, but only while they are in
PyTorch's kernels: the Python between two operators holds the GIL. This MLP is so small that
its time is mostly that Python (12-45 batches per epoch), so --n-jobs 2 gains little here
(measured on 2 cores: 9 s with 1, 7.5-8.5 s with 2, which also prunes fewer trials as each
decision sees fewer finished ones); a larger model or larger batches spend more time inside
PyTorch and gain more. Trials started at the same time see the
same sampler state, so results with --n-jobs > 1 vary from run to run.
"""

import argparse
import collections
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch starts its thread pool: one thread per trial

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import autoglm  # noqa: E402


def load_data(seed):
    """The digits as float tensors in [0, 1], split 80 / 20 (stratified) with ``seed``."""
    x, y = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(x / 16.0, y, test_size=0.2, random_state=seed, stratify=y)
    as_x = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    as_y = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
    return as_x(x_train), as_y(y_train), as_x(x_valid), as_y(y_valid)


def define_model(trial):
    n_layers = trial.suggest_int("n_layers", 1, 3)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    layers, in_features = [], 64
    for i in range(n_layers):
        units = trial.suggest_int(f"n_units_l{i}", 16, 256, log=True)
        layers += [nn.Linear(in_features, units), nn.ReLU(), nn.Dropout(dropout)]
        in_features = units
    layers.append(nn.Linear(in_features, 10))
    return nn.Sequential(*layers)


def define_optimizer(trial, model):
    name = trial.suggest_categorical("optimizer", ["Adam", "SGD"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    if name == "SGD":
        momentum = trial.suggest_float("momentum", 0.5, 0.99)
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return torch.optim.Adam(model.parameters(), lr=lr)


def make_objective(data, epochs, seed):
    x_train, y_train, x_valid, y_valid = data

    def objective(trial):
        # Weights drawn from torch's global generator (not reproducible with --n-jobs > 1);
        # the batches from this trial's own generator.
        torch.manual_seed(seed + trial.number)
        generator = torch.Generator().manual_seed(seed + trial.number)
        model = define_model(trial)
        optimizer = define_optimizer(trial, model)
        batch_size = trial.suggest_categorical("batch_size", [32, 64, 128])
        loss_fn = nn.CrossEntropyLoss()

        accuracy = 0.0
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(len(x_train), generator=generator)
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                optimizer.zero_grad()
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                loss.backward()
                optimizer.step()

            model.eval()
            with torch.no_grad():
                accuracy = (model(x_valid).argmax(dim=1) == y_valid).float().mean().item()

            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise autoglm.TrialPruned()
        return accuracy

    return objective


def main():
    ap = argparse.ArgumentParser(description="Tune a PyTorch MLP on scikit-learn's digits with autoglm.")
    ap.add_argument("--storage", default="sqlite:///pytorch_digits.db", help="storage URL (default: %(default)s)")
    ap.add_argument("--study-name", default="pytorch-digits", help="study name (default: %(default)s)")
    ap.add_argument("--n-trials", type=int, default=50, help="trials to run (default: %(default)s)")
    ap.add_argument("--epochs", type=int, default=20, help="epochs per trial (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=None, help="stop starting trials after this many seconds")
    ap.add_argument("--n-jobs", type=int, default=1, help="trials run at once, in threads (default: %(default)s)")
    ap.add_argument("--pruner", choices=["median", "hyperband"], default="median", help="(default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="data split, sampler and weight seed (default: %(default)s)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    data = load_data(args.seed)

    if args.pruner == "hyperband":
        pruner = autoglm.pruners.HyperbandPruner(min_resource=1, max_resource=args.epochs, reduction_factor=3)
    else:
        pruner = autoglm.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3)
    study = autoglm.create_study(
        storage=args.storage,
        study_name=args.study_name,
        direction="maximize",
        sampler=autoglm.samplers.TPESampler(seed=args.seed),
        pruner=pruner,
        load_if_exists=True,
    )

    start = time.perf_counter()
    study.optimize(make_objective(data, args.epochs, args.seed), n_trials=args.n_trials, timeout=args.timeout,
                   n_jobs=args.n_jobs)
    elapsed = time.perf_counter() - start

    trials = study.trials
    counts = collections.Counter(t.state.name for t in trials)
    print(f"\nStudy {study.study_name!r} in {args.storage}: {len(trials)} trials "
          f"(this run: {elapsed:.1f} s)")
    print("  " + ", ".join(f"{state}: {counts[state]}" for state in ("COMPLETE", "PRUNED", "FAIL", "RUNNING")
                           if counts[state]))

    best = study.best_trial
    print(f"Best trial: #{best.number}, validation accuracy {best.value:.4f}")
    for name, value in best.params.items():
        print(f"    {name}: {value}")

    try:
        importances = autoglm.importance.get_param_importances(study)
    except ValueError as e:  # fewer than 2 COMPLETE trials, e.g. with a tiny --n-trials
        print(f"Parameter importances: not available ({e})")
    else:
        print("Parameter importances (fANOVA):")
        for name, value in importances.items():
            print(f"    {name}: {value:.3f}")

    print(f"\nWatch the study: autoglm dashboard --storage {args.storage}")


if __name__ == "__main__":
    main()
