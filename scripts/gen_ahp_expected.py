#!/usr/bin/python3
"""Writes tests/data/ahp_expected.json: reference values for the Analytic Hierarchy Process
weights (include/autoglm/ahp.h, src/multi_objective/ahp.cc), computed independently of the
C++ code with numpy.linalg.eig.

For every matrix: the Perron (principal right) eigenvector normalized to sum 1 (weights), its
eigenvalue lambda_max, CI = (lambda_max - n) / (n - 1), CR = CI / RI(n) with Saaty's random
index (1.49 for n > 10; CR = 0 for n <= 2), and the most inconsistent judgement: the (i, j),
i < j, maximizing max(e, 1/e) with e = a_ij * w_j / w_i.

Source: T. L. Saaty, "The Analytic Hierarchy Process", McGraw-Hill, 1980.

Run with Debian's interpreter (numpy from python3-numpy):
    /usr/bin/python3 scripts/gen_ahp_expected.py
"""
import json
import os

import numpy as np

RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}


def ahp(a):
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[0]
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    v = vecs[:, k]
    v = v / v[np.argmax(np.abs(v))]  # removes the arbitrary (complex) phase
    w = v.real / v.real.sum()
    assert np.all(w > 0)
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    cr = 0.0 if n <= 2 else ci / RI.get(n, 1.49)
    worst = (-1, -1, 1.0)
    devs = []
    for i in range(n):
        for j in range(i + 1, n):
            e = a[i, j] * w[j] / w[i]
            d = max(e, 1.0 / e)
            devs.append(d)
            if d > worst[2]:
                worst = (i, j, d)
    devs.sort(reverse=True)
    # The worst pair is well defined only without a tie (consistent matrices; every 3x3
    # reciprocal matrix has the same deviation on all three pairs).
    unique = len(devs) == 1 or devs[0] - devs[1] > 1e-6
    return {
        "weights": [float(x) for x in w],
        "lambda_max": lam,
        "consistency_index": float(ci),
        "consistency_ratio": float(cr),
        "worst_i": worst[0],
        "worst_j": worst[1],
        "worst_ratio": float(worst[2]),
        "worst_unique": bool(unique and worst[2] > 1.0 + 1e-6),
    }


def consistent(g):
    g = np.asarray(g, dtype=np.float64)
    return (g[:, None] / g[None, :]).tolist()


def case(name, matrix, note, max_cr=0.1):
    out = {"name": name, "note": note, "matrix": [[float(x) for x in row] for row in matrix],
           "max_consistency_ratio": max_cr}
    out.update(ahp(matrix))
    out["accepted"] = out["consistency_ratio"] <= max_cr
    return out


def perturbed_11():
    g = np.array([5.0, 4.0, 3.0, 3.0, 2.0, 2.0, 1.5, 1.0, 1.0, 0.8, 0.6])
    a = g[:, None] / g[None, :]
    a[0, 2] *= 1.3
    a[2, 0] = 1.0 / a[0, 2]
    a[4, 9] /= 1.2
    a[9, 4] = 1.0 / a[4, 9]
    return a.tolist()


CASES = [
    case("textbook_3x3",
         [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]],
         "the 3x3 example found in most AHP introductions (1/3/5 scale); commonly quoted "
         "weights 0.637, 0.258, 0.105, lambda_max 3.039, CR 0.033"),
    case("consistent_4x4", consistent([4.0, 2.0, 1.0, 0.5]),
         "a_ij = g_i / g_j with g = (4, 2, 1, 0.5): CR = 0, weights = g / sum(g)"),
    case("decimal_3sig_4x4",
         [[1, 3, 5, 7], [0.333, 1, 3, 5], [0.2, 0.333, 1, 3], [0.143, 0.2, 0.333, 1]],
         "reciprocals written with 3 significant digits (0.333, 0.143): accepted"),
    case("pair_2x2", [[1, 4], [0.25, 1]], "n = 2: always consistent, CR = 0"),
    case("moderate_5x5",
         [[1, 2, 4, 6, 9], [1 / 2, 1, 3, 4, 7], [1 / 4, 1 / 3, 1, 2, 5],
          [1 / 6, 1 / 4, 1 / 2, 1, 3], [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]],
         "five criteria, mildly inconsistent"),
    case("perturbed_11x11", perturbed_11(),
         "n = 11 > 10: RI = 1.49; consistent matrix with two judgements perturbed"),
    case("cycle_3x3",
         [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]],
         "a > b (9), b > c (9), c > a (9): refused"),
    case("one_bad_4x4",
         [[1, 2, 4, 1 / 9], [1 / 2, 1, 2, 4], [1 / 4, 1 / 2, 1, 2], [9, 1 / 4, 1 / 2, 1]],
         "consistent 1-2-4-8 chain except a_03 = 1/9: refused, worst pair (0, 3)"),
]

if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "ahp_expected.json")
    with open(path, "w") as f:
        json.dump({"generator": "scripts/gen_ahp_expected.py", "numpy": np.__version__,
                   "cases": CASES}, f, indent=1)
        f.write("\n")
    for c in CASES:
        print(c["name"], [round(x, 4) for x in c["weights"]], round(c["lambda_max"], 4),
              round(c["consistency_ratio"], 4), c["worst_i"], c["worst_j"],
              round(c["worst_ratio"], 3), c["accepted"])
