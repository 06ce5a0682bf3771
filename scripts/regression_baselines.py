#!/usr/bin/env python3
"""Regression baselines for `deno task bench regression`: scikit-learn's RidgeCV, RandomForestRegressor and
MLPRegressor, fitted and scored on the same train/test split mmml trains and scores on.

  regression_baselines.py DATASET SEED OUT_DIR

DATASET: diabetes (scikit-learn's bundled copy) or penguins (R's palmerpenguins CSV, body_mass_g from the
other columns). Writes OUT_DIR/train.csv and OUT_DIR/test.csv (80/20, shuffled with SEED; the label column
is `y`) and prints one JSON line: {"dataset", "seed", "rows", "baselines": {name: {"r2", "rmse"}}}.
Categorical columns are one-hot encoded and missing numbers imputed with the training mean, as a
scikit-learn user would in a Pipeline; MLPRegressor gets standardised inputs and its defaults with
early stopping (max_iter 2000).
"""
import csv
import json
import math
import sys

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

PENGUINS = "/usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv"


def load(name):
    """Rows as lists of cells (str or float), the header, and which columns are categorical."""
    if name == "diabetes":
        from sklearn.datasets import load_diabetes
        d = load_diabetes(scaled=False)
        header = list(d.feature_names) + ["y"]
        rows = [list(x) + [t] for x, t in zip(d.data, d.target)]
        return header, rows, set()
    if name == "penguins":
        with open(PENGUINS, newline="") as f:
            reader = csv.reader(f)
            head = next(reader)
            raw = [r for r in reader]
        label = head.index("body_mass_g")
        keep = [i for i, h in enumerate(head) if i != label]
        header = [head[i] for i in keep] + ["y"]
        rows = []
        for r in raw:
            if r[label] in ("", "NA"):
                continue
            rows.append([r[i] if r[i] != "NA" else "" for i in keep] + [float(r[label])])
        return header, rows, {"species", "island", "sex"}
    raise SystemExit(f"unknown dataset {name!r}: expected diabetes or penguins")


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([("%.10g" % v) if isinstance(v, float) else v for v in r])


def main():
    name, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    header, rows, categorical = load(name)
    order = np.random.default_rng(seed).permutation(len(rows))
    n_test = round(len(rows) * 0.2)
    test = [rows[i] for i in order[:n_test]]
    train = [rows[i] for i in order[n_test:]]
    write(f"{out}/train.csv", header, train)
    write(f"{out}/test.csv", header, test)

    features = header[:-1]
    cat = [i for i, h in enumerate(features) if h in categorical]
    num = [i for i, h in enumerate(features) if h not in categorical]

    def matrix(part):
        x = np.empty((len(part), len(features)), dtype=object)
        for r, row in enumerate(part):
            for c in range(len(features)):
                v = row[c]
                if c in num:
                    x[r, c] = float(v) if v != "" else np.nan
                else:
                    x[r, c] = v if v != "" else "missing"
        return x, np.array([row[-1] for row in part], dtype=float)

    xtr, ytr = matrix(train)
    xte, yte = matrix(test)
    prep = lambda scale: ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()) if scale else SimpleImputer(), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat),
    ])
    models = {
        "ridge": make_pipeline(prep(True), RidgeCV(alphas=np.logspace(-3, 3, 13))),
        "random_forest": make_pipeline(prep(False), RandomForestRegressor(random_state=seed)),
        "mlp": make_pipeline(prep(True), MLPRegressor(random_state=seed, max_iter=2000, early_stopping=True)),
    }
    baselines = {}
    for label, model in models.items():
        model.fit(xtr, ytr)
        pred = model.predict(xte)
        baselines[label] = {"r2": r2_score(yte, pred), "rmse": math.sqrt(mean_squared_error(yte, pred))}
    print(json.dumps({"dataset": name, "seed": seed, "rows": len(rows), "baselines": baselines}))


if __name__ == "__main__":
    main()
