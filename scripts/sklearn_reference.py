#!/usr/bin/python3
"""Reference values for fundus-train's metric tests, computed by scikit-learn.

Builds fixed input vectors (ties in scores, a class absent, a single class, multi-label with
constant columns, ...) and writes them together with every scikit-learn value to
test/eval/sklearn-reference.json. The tests read that file; they never run Python.

Metrics scikit-learn does not have (ECE, sensitivity at a fixed specificity, macro means over
the classes whose AUC is defined, multiclass Brier in sklearn 1.2) are computed here with
numpy from the definitions each report states in its `conventions`, independently of the TypeScript code.

Run with Debian's scikit-learn (apt-get install -y python3-sklearn python3-numpy):
    /usr/bin/python3 scripts/sklearn_reference.py
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as skm

warnings.simplefilter("ignore")  # undefined-metric warnings are expected for the edge cases

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "eval", "sklearn-reference.json")


def num(x):
    """A float for JSON, or None for NaN (an undefined value)."""
    x = float(x)
    return None if np.isnan(x) else x


def has_both(y):
    return 0 < int(np.sum(y)) < len(y)


# ---------- metrics defined here (not in scikit-learn) ----------


def calibration_bins(labels, probs, n_bins=15):
    """Per bin of top-class confidence, bins (lower, upper]: the mask of its cases."""
    conf = probs.max(axis=1)
    edges = np.array([i / n_bins for i in range(n_bins + 1)])
    masks = []
    for b in range(n_bins):
        inside = (conf > edges[b]) & (conf <= edges[b + 1])
        if b == 0:
            inside |= conf == 0  # a confidence of exactly 0 belongs to the first bin
        masks.append(inside)
    return masks


def ece(labels, probs, n_bins=15):
    """Expected calibration error: sum over bins of (|B|/n) |mean confidence - accuracy|."""
    conf = probs.max(axis=1)
    right = (probs.argmax(axis=1) == labels).astype(float)
    total = 0.0
    for inside in calibration_bins(labels, probs, n_bins):
        if inside.any():
            total += inside.sum() / len(conf) * abs(conf[inside].mean() - right[inside].mean())
    return total


def sens_at_spec(y, score, specificity):
    """Sensitivity at a specificity, linear interpolation on the full ROC curve (all thresholds).

    If curve points have exactly that specificity, the highest sensitivity among them; otherwise
    the line between the last point with higher specificity and the next one, read at the
    target. Specificity is tn / negatives from counts, not 1 - fpr (0.9 must meet 9 of 10).
    """
    fpr, tpr, _ = skm.roc_curve(y, score, drop_intermediate=False)
    negatives = int(np.sum(np.asarray(y) == 0))
    fps = np.rint(fpr * negatives)
    tnr = (negatives - fps) / negatives  # non-increasing along the curve
    a = int(np.sum(tnr >= specificity)) - 1  # last point with specificity >= target
    if tnr[a] == specificity or a + 1 == len(tnr):
        return float(tpr[a])
    b = a + 1
    return float(tpr[a] + (tnr[a] - specificity) / (tnr[a] - tnr[b]) * (tpr[b] - tpr[a]))


def brier_multiclass(labels, probs):
    onehot = np.eye(probs.shape[1])[labels]
    return float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))


# ---------- single-label (binary, multiclass) ----------


def single_label_case(name, classes, labels, probs, ordinal_from=None, notes=""):
    labels = np.asarray(labels, dtype=int)
    probs = np.asarray(probs, dtype=float)
    k = len(classes)
    full = list(range(k))
    pred = probs.argmax(axis=1)
    binary = k == 2

    per_class_auc, curves = [], []
    for c in full:
        y = (labels == c).astype(int)
        if has_both(y):
            per_class_auc.append(num(skm.roc_auc_score(y, probs[:, c])))
            fpr, tpr, thr = skm.roc_curve(y, probs[:, c], drop_intermediate=False)
            curves.append({"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()})
        else:
            per_class_auc.append(None)
            curves.append(None)
    defined_auc = [a for a in per_class_auc if a is not None]

    p, r, f, s = skm.precision_recall_fscore_support(labels, pred, labels=full, zero_division=0)
    macro = skm.precision_recall_fscore_support(labels, pred, labels=full, zero_division=0, average="macro")
    weighted = skm.precision_recall_fscore_support(labels, pred, labels=full, zero_division=0, average="weighted")

    out = {
        "name": name,
        "notes": notes,
        "task": "binary" if binary else "multiclass",
        "classes": classes,
        "labels": labels.tolist(),
        "probs": probs.tolist(),
        "expected": {
            "accuracy": num(skm.accuracy_score(labels, pred)),
            "balanced_accuracy": num(skm.balanced_accuracy_score(labels, pred)),
            "per_class_auc": per_class_auc,
            "macro_auc": num(np.mean(defined_auc)) if defined_auc else None,
            "roc_curves": curves,
            "precision": p.tolist(),
            "recall": r.tolist(),
            "f1": f.tolist(),
            "support": s.tolist(),
            "macro_precision": num(macro[0]),
            "macro_recall": num(macro[1]),
            "macro_f1": num(macro[2]),
            "weighted_precision": num(weighted[0]),
            "weighted_recall": num(weighted[1]),
            "weighted_f1": num(weighted[2]),
            "confusion_matrix": skm.confusion_matrix(labels, pred, labels=full).tolist(),
            "kappa_quadratic": num(skm.cohen_kappa_score(labels, pred, labels=full, weights="quadratic")),
            "kappa_linear": num(skm.cohen_kappa_score(labels, pred, labels=full, weights="linear")),
            "kappa_unweighted": num(skm.cohen_kappa_score(labels, pred, labels=full)),
            "log_loss": num(skm.log_loss(labels, probs, labels=full)),
            "ece": num(ece(labels, probs)),
            # ECE does not change when a case moves between two bins that err the same way,
            # so the bin membership itself is checked too
            "calibration_bin_counts": [int(m.sum()) for m in calibration_bins(labels, probs)],
        },
    }
    e = out["expected"]
    if len(defined_auc) == k and k > 2:
        # sklearn's own macro one-vs-rest, to check that our mean is the same thing
        e["macro_auc_sklearn_ovr"] = num(skm.roc_auc_score(labels, probs, multi_class="ovr", average="macro", labels=full))
    if binary:
        y = labels
        e["auc"] = num(skm.roc_auc_score(y, probs[:, 1])) if has_both(y) else None
        e["brier"] = num(skm.brier_score_loss(y, probs[:, 1], pos_label=1))
        e["sensitivity"] = num(skm.recall_score(y, pred, pos_label=1)) if (y == 1).any() else None
        e["specificity"] = num(skm.recall_score(y, pred, pos_label=0)) if (y == 0).any() else None
        e["sensitivity_at_specificity_0.85"] = sens_at_spec(y, probs[:, 1], 0.85) if has_both(y) else None
        e["sensitivity_at_specificity_0.9"] = sens_at_spec(y, probs[:, 1], 0.9) if has_both(y) else None
    else:
        e["brier"] = brier_multiclass(labels, probs)
    if ordinal_from is not None:
        out["ordinal_from"] = ordinal_from
        for t in sorted({ordinal_from, 3}):
            y = (labels >= t).astype(int)
            score = probs[:, t:].sum(axis=1)
            e[f"referable_auc_{t}"] = num(skm.roc_auc_score(y, score)) if has_both(y) else None
    return out


# ---------- multi-label ----------


def multilabel_case(name, classes, targets, probs, custom_thresholds, notes=""):
    Y = np.asarray(targets, dtype=int)
    P = np.asarray(probs, dtype=float)
    L = len(classes)
    auc, ap = [], []
    for j in range(L):
        auc.append(num(skm.roc_auc_score(Y[:, j], P[:, j])) if has_both(Y[:, j]) else None)
        ap.append(num(skm.average_precision_score(Y[:, j], P[:, j])) if Y[:, j].any() else None)
    dauc = [a for a in auc if a is not None]
    dap = [a for a in ap if a is not None]
    pred = (P >= 0.5).astype(int)
    p, r, f, s = skm.precision_recall_fscore_support(Y, pred, zero_division=0)
    avg = {}
    for a in ("macro", "micro", "weighted"):
        vals = skm.precision_recall_fscore_support(Y, pred, zero_division=0, average=a)
        avg[a] = {"precision": num(vals[0]), "recall": num(vals[1]), "f1": num(vals[2])}
    pred_custom = (P >= np.asarray(custom_thresholds)[None, :]).astype(int)
    out = {
        "name": name,
        "notes": notes,
        "task": "multilabel",
        "classes": classes,
        "targets": Y.tolist(),
        "probs": P.tolist(),
        "custom_thresholds": list(custom_thresholds),
        "expected": {
            "per_label_auc": auc,
            "per_label_average_precision": ap,
            "macro_auc": num(np.mean(dauc)) if dauc else None,
            "micro_auc": num(skm.roc_auc_score(Y, P, average="micro")),
            "macro_average_precision": num(np.mean(dap)) if dap else None,
            "precision": p.tolist(),
            "recall": r.tolist(),
            "f1": f.tolist(),
            "support": s.tolist(),
            "averages": avg,
            "subset_accuracy": num(skm.accuracy_score(Y, pred)),
            "hamming_loss": num(skm.hamming_loss(Y, pred)),
            "f1_custom_thresholds": skm.f1_score(Y, pred_custom, zero_division=0, average=None).tolist(),
            "subset_accuracy_custom_thresholds": num(skm.accuracy_score(Y, pred_custom)),
        },
    }
    if len(dauc) == L:
        out["expected"]["macro_auc_sklearn"] = num(skm.roc_auc_score(Y, P, average="macro"))
        out["expected"]["macro_average_precision_sklearn"] = num(skm.average_precision_score(Y, P, average="macro"))
    return out


# ---------- fixed inputs ----------


def counts_to_probs(rs, n, k, total, bias_labels=None, strength=3.0):
    """Probabilities k_i / total from multinomial counts: many exact ties and some zeros."""
    rows = []
    for i in range(n):
        alpha = np.ones(k)
        if bias_labels is not None:
            alpha[bias_labels[i]] += strength
        rows.append(rs.multinomial(total, rs.dirichlet(alpha)) / total)
    return np.array(rows)


def build_cases():
    rs = np.random.RandomState(20261122)
    cases = []

    # binary with heavy ties (scores on a 0.1 grid) and a confident wrong 0/1 for log-loss clipping
    y = rs.randint(0, 2, 40)
    p1 = np.round(np.clip(0.25 * y + rs.rand(40) * 0.75, 0, 1), 1)
    p1[0], y[0] = 0.0, 1
    p1[1], y[1] = 1.0, 0
    cases.append(single_label_case("binary_ties", ["normal", "glaucoma"], y, np.stack([1 - p1, p1], axis=1),
                                   notes="scores on a 0.1 grid (ties); a 0 and a 1 probability on the wrong class"))

    # larger binary set with continuous scores (REFUGE-like prevalence)
    y = (rs.rand(400) < 0.15).astype(int)
    p1 = 1 / (1 + np.exp(-(rs.randn(400) + 1.6 * y - 1.2)))
    cases.append(single_label_case("binary_continuous", ["non-glaucoma", "glaucoma"], y, np.stack([1 - p1, p1], axis=1),
                                   notes="400 cases, 15% positive, few ties"))

    # binary where only the negative class occurs
    p1 = np.round(rs.rand(12), 2)
    cases.append(single_label_case("binary_one_class", ["normal", "glaucoma"], np.zeros(12, dtype=int),
                                   np.stack([1 - p1, p1], axis=1), notes="no positive case: AUC and sensitivity undefined"))

    # multiclass, 4 classes, probabilities on a 1/20 grid (ties)
    y = rs.randint(0, 4, 60)
    cases.append(single_label_case("multiclass4_ties", ["normal", "cataract", "glaucoma", "dr"], y,
                                   counts_to_probs(rs, 60, 4, 20, y), notes="probabilities k/20: ties and zeros"))

    # multiclass, 4 classes, class 2 never the truth (but sometimes predicted)
    y = rs.choice([0, 1, 3], 50)
    cases.append(single_label_case("multiclass4_absent", ["normal", "cataract", "glaucoma", "dr"], y,
                                   counts_to_probs(rs, 50, 4, 20, y, strength=1.0),
                                   notes="class glaucoma absent from the truth"))

    # every case of one class (a single-class resample)
    y = np.ones(15, dtype=int)
    cases.append(single_label_case("multiclass3_single_class", ["a", "b", "c"], y,
                                   counts_to_probs(rs, 15, 3, 10, y, strength=1.0), notes="only class b occurs"))

    # one class and always predicted: kappa undefined
    probs = np.tile([0.1, 0.8, 0.1], (6, 1))
    cases.append(single_label_case("multiclass3_all_one_class_predicted", ["a", "b", "c"], np.ones(6, dtype=int), probs,
                                   notes="truth and prediction all b: kappa undefined (0/0)"))

    # DR grades 0-4, skewed like EyePACS, probabilities on a 1/10 grid
    y = rs.choice(5, 80, p=[0.45, 0.15, 0.2, 0.1, 0.1])
    cases.append(single_label_case("dr5_ordinal", ["0 no DR", "1 mild", "2 moderate", "3 severe", "4 proliferative"], y,
                                   counts_to_probs(rs, 80, 5, 10, y, strength=2.0), ordinal_from=2,
                                   notes="ordinal grades; referable = grade >= 2 (and >= 3)"))

    # multi-label with constant columns (glaucoma never present, normal always present)
    n, L = 50, 4
    Y = (rs.rand(n, L) < 0.4).astype(int)
    Y[:, 2] = 0
    Y[:, 3] = 1
    P = np.round(np.clip(0.3 * Y + rs.rand(n, L) * 0.7, 0, 1), 2)
    cases.append(multilabel_case("multilabel_constant_columns", ["cataract", "dr", "glaucoma", "normal_fundus"], Y, P,
                                 [0.3, 0.6, 0.5, 0.45], notes="glaucoma all 0, normal_fundus all 1; scores on a 0.01 grid"))

    # multi-label, every label varies
    n, L = 60, 3
    Y = (rs.rand(n, L) < 0.35).astype(int)
    P = np.round(np.clip(0.35 * Y + rs.rand(n, L) * 0.65, 0, 1), 1)
    cases.append(multilabel_case("multilabel_ties", ["cataract", "dr", "glaucoma"], Y, P, [0.4, 0.5, 0.7],
                                 notes="scores on a 0.1 grid (ties)"))
    return cases


def main():
    values = np.array([0.61, 0.7, 0.55, 0.9, 0.42, 0.8, 0.77, 0.66, 0.59, 0.73, 0.5])
    doc = {
        "generated_by": "scripts/sklearn_reference.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "cases": build_cases(),
        "percentile": {
            "values": values.tolist(),
            "q": [0.025, 0.25, 0.5, 0.975],
            "expected": [float(np.percentile(values, q * 100)) for q in [0.025, 0.25, 0.5, 0.975]],
        },
    }
    with open(OUT, "w") as fh:
        json.dump(doc, fh, allow_nan=False)
        fh.write("\n")
    print(f"wrote {len(doc['cases'])} cases to {os.path.normpath(OUT)} (scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    main()
