#!/usr/bin/python3
"""Writes tests/data/gp_expected.json: reference values for the GP sampler's numerics
(src/sampler/gp_model.h), computed independently of the C++ code.

 - Two small data sets (8 points; 3 continuous dimensions, and 2 continuous + 1 categorical
   dimension under a Hamming term) with fixed hyperparameters: the Matern 5/2 ARD kernel, the
   posterior mean and variance (of the latent f) at query points, the log marginal likelihood
   and its gradient w.r.t. theta = (log lambda_1..d, log signal_variance, log noise_variance),
   and the log prior with its gradient. numpy float64, dense formulas (R&W 2006 eq. 2.25-2.30,
   5.9), each dK/dtheta_j built as a full matrix.
 - log h(z) = log(phi(z) + z Phi(z)) (Ament et al. 2023) from 80-digit decimal arithmetic
   (erfc by its power series below 3 and its continued fraction above), for z from the
   well-conditioned range into the far tail.

Run with Debian's interpreter (numpy from python3-numpy):
    /usr/bin/python3 scripts/gen_gp_expected.py
"""
import json
import os
from decimal import Decimal, getcontext, MAX_EMAX, MIN_EMIN

import numpy as np

getcontext().prec = 80
getcontext().Emax = MAX_EMAX
getcontext().Emin = MIN_EMIN

PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899")


def matern52(r2):
    s = np.sqrt(5.0 * r2)
    return (1.0 + s + 5.0 / 3.0 * r2) * np.exp(-s)


def matern52_grad(r2):
    s = np.sqrt(5.0 * r2)
    return -5.0 / 6.0 * (1.0 + s) * np.exp(-s)


def deltas(A, B, categorical):
    """delta[k, i, j] for points as rows of A (a x d) and B (b x d)."""
    out = []
    for k, cat in enumerate(categorical):
        diff = A[:, k][:, None] - B[:, k][None, :]
        out.append((diff != 0).astype(float) if cat else diff * diff)
    return np.array(out)


def case(name, X, y, categorical, lam, s2, noise, Q):
    n, d = X.shape
    dl = deltas(X, X, categorical)
    r2 = np.tensordot(lam, dl, axes=1)
    K0 = s2 * matern52(r2)
    K = K0 + noise * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    lml = -0.5 * y @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * np.log(2 * np.pi)
    Kinv = np.linalg.inv(K)
    W = np.outer(alpha, alpha) - Kinv
    dKs = [lam[k] * s2 * matern52_grad(r2) * dl[k] for k in range(d)]
    dKs.append(K0)
    dKs.append(noise * np.eye(n))
    grad = [0.5 * np.sum(W * dK) for dK in dKs]

    dq = deltas(X, Q, categorical)
    Ks = s2 * matern52(np.tensordot(lam, dq, axes=1))  # (n x m)
    mean = Ks.T @ alpha
    var = s2 - np.einsum("im,im->m", Ks, np.linalg.solve(K, Ks))

    prior = -(0.1 / lam + 0.1 * lam).sum() + (np.log(s2) - s2) + (0.1 * np.log(noise) - 30.0 * noise)
    prior_grad = list(0.1 / lam - 0.1 * lam) + [1.0 - s2, 0.1 - 30.0 * noise]
    return {
        "name": name,
        "X": X.tolist(),  # rows are points
        "y": y.tolist(),
        "categorical": categorical,
        "inverse_squared_lengthscales": lam.tolist(),
        "signal_variance": s2,
        "noise_variance": noise,
        "queries": Q.tolist(),
        "kernel_row0": K0[0].tolist(),
        "mean": mean.tolist(),
        "variance": var.tolist(),
        "log_marginal_likelihood": float(lml),
        "log_marginal_likelihood_grad": [float(g) for g in grad],
        "log_prior": float(prior),
        "log_prior_grad": [float(g) for g in prior_grad],
    }


def erfc_dec(x):
    x = Decimal(x)
    if x < 3:
        # erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
        total, term, n = Decimal(0), x, 0
        while True:
            t = term / (2 * n + 1)
            total += t
            if abs(t) < Decimal(10) ** -90:
                break
            n += 1
            term = -term * x * x / n
        return 1 - 2 / PI.sqrt() * total
    # erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
    frac = x
    for k in range(4000, 0, -1):
        frac = x + (Decimal(k) / 2) / frac
    return (-x * x).exp() / PI.sqrt() / frac


def log_h_dec(z):
    z = Decimal(z)
    phi = (-z * z / 2).exp() / (2 * PI).sqrt()
    cdf = erfc_dec(-z / Decimal(2).sqrt()) / 2
    return float((phi + z * cdf).ln())


def main():
    rng = np.random.default_rng(20240607)
    X1 = rng.uniform(size=(8, 3))
    y1 = np.sin(6 * X1[:, 0]) + X1[:, 1] ** 2 - 0.5 * X1[:, 2]
    y1 = (y1 - y1.mean()) / y1.std()
    Q1 = np.vstack([rng.uniform(size=(4, 3)), X1[2]])  # the last query is an observation
    c1 = case("continuous3", X1, y1, [False, False, False], np.array([2.0, 0.5, 8.0]), 1.3, 0.05, Q1)

    X2 = np.column_stack([rng.uniform(size=8), rng.uniform(size=8), rng.integers(0, 3, size=8)]).astype(float)
    y2 = np.cos(4 * X2[:, 0]) - X2[:, 1] + 0.7 * (X2[:, 2] == 1)
    y2 = (y2 - y2.mean()) / y2.std()
    Q2 = np.column_stack([rng.uniform(size=4), rng.uniform(size=4), np.array([0.0, 1.0, 2.0, 1.0])])
    c2 = case("mixed_categorical", X2, y2, [False, False, True], np.array([1.5, 3.0, 0.7]), 0.8, 1e-3, Q2)

    zs = [8.0, 3.0, 1.0, 0.3, 0.0, -0.5, -0.999, -1.0, -1.001, -1.5, -2.0, -3.0, -5.0, -8.0, -12.0, -20.0,
          -30.0, -50.0, -100.0, -500.0, -999.0, -1001.0, -3000.0, -1e4, -1e5]
    log_h = [{"z": z, "log_h": log_h_dec(z)} for z in zs]

    out = {
        "generator": "scripts/gen_gp_expected.py (numpy %s; decimal, 80 digits)" % np.__version__,
        "cases": [c1, c2],
        "log_h": log_h,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "gp_expected.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
