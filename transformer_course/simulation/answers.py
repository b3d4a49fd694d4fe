"""A catalogue of student answers: the function bodies a class might write.

Each answer is the body of one function of the student API; `WRONG` answers break the contract
and must lose points on their own exercise, `RIGHT` answers are correct however they are
written and must keep full marks.
"""
from typing import NamedTuple


class Answer(NamedTuple):
    function: str
    name: str
    body: str


def _catalogue(entries):
    return [Answer(function, name, body.strip("\n") + "\n")
            for function, answers in entries.items() for name, body in answers.items()]


WRONG = _catalogue({
    "attention_weights": {
        "unscaled scores": """
    s = np.asarray(q, float) @ np.asarray(K, float).T
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
        "divides by d_k": """
    K = np.asarray(K, float)
    s = np.asarray(q, float) @ K.T / K.shape[-1]
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
        "softmax over the queries": """
    K = np.asarray(K, float)
    s = np.asarray(q, float) @ K.T / np.sqrt(K.shape[-1])
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)""",
        "unstable softmax": """
    K = np.asarray(K, float)
    e = np.exp(np.asarray(q, float) @ K.T / np.sqrt(K.shape[-1]))
    return e / e.sum(axis=-1, keepdims=True)""",
        "scaled by the number of keys": """
    K = np.asarray(K, float)
    s = np.asarray(q, float) @ K.T / np.sqrt(K.shape[0])
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
        "no softmax": """
    K = np.asarray(K, float)
    return np.asarray(q, float) @ K.T / np.sqrt(K.shape[-1])""",
        "normalised over the whole matrix": """
    K = np.asarray(K, float)
    s = np.asarray(q, float) @ K.T / np.sqrt(K.shape[-1])
    e = np.exp(s - s.max())
    return e / e.sum()""",
        "hard-coded seed value": """
    return np.array([0.66976155, 0.33023845])""",
        "prints instead of returning": """
    K = np.asarray(K, float)
    s = np.asarray(q, float) @ K.T / np.sqrt(K.shape[-1])
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    print(e / e.sum(axis=-1, keepdims=True))""",
        "scales the caller's query in place": """
    q = np.asarray(q, dtype=float)
    K = np.asarray(K, dtype=float)
    q /= np.sqrt(K.shape[-1])
    s = q @ K.T
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
    },
    "causal_mask": {
        "blocks the diagonal": """
    return np.triu(np.ones((T, T), dtype=bool), k=0)""",
        "lower triangle": """
    return np.tril(np.ones((T, T), dtype=bool), k=-1)""",
        "float mask": """
    return np.triu(np.ones((T, T)), k=1)""",
        "inverted": """
    return ~np.triu(np.ones((T, T), dtype=bool), k=1)""",
        "hard-coded 4 by 4": """
    return np.array([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)""",
        "integer mask": """
    return (np.arange(T)[None, :] > np.arange(T)[:, None]).astype(int)""",
        "only two steps ahead": """
    return np.triu(np.ones((T, T), dtype=bool), k=2)""",
    },
    "head_dim": {
        "float division": """
    if n_heads < 1 or d_model % n_heads:
        raise ValueError("bad head count")
    return d_model / n_heads""",
        "no validation": """
    return d_model // n_heads""",
        "assert instead of ValueError": """
    assert n_heads >= 1 and d_model % n_heads == 0, "bad head count"
    return d_model // n_heads""",
        "truncating float division": """
    if n_heads < 1:
        raise ValueError("need a head")
    return int(d_model / n_heads)""",
        "forgets n_heads < 1": """
    if d_model % n_heads:
        raise ValueError("heads do not divide d_model")
    return d_model // n_heads""",
        "raises TypeError": """
    if n_heads < 1 or d_model % n_heads:
        raise TypeError("bad head count")
    return d_model // n_heads""",
        "hard-coded seed value": """
    return 64""",
    },
    "attention_params": {
        "three projections": """
    return 3 * d_model * d_model + (3 * d_model if bias else 0)""",
        "scalar biases": """
    return 4 * d_model * d_model + (4 if bias else 0)""",
        "ignores bias": """
    return 4 * d_model * d_model""",
        "float power": """
    return 4 * d_model ** 2.0 + (4 * d_model if bias else 0)""",
        "one bias vector": """
    return 4 * d_model * d_model + (d_model if bias else 0)""",
        "hard-coded seed value": """
    return 1048576""",
        "always counts biases": """
    return 4 * d_model * d_model + 4 * d_model""",
    },
    "mlp_params": {
        "ignores d_ff": """
    d_ff = 4 * d_model
    return 2 * d_model * d_ff + (d_ff + d_model if bias else 0)""",
        "bias of d_ff twice": """
    d_ff = 4 * d_model if d_ff is None else d_ff
    return 2 * d_model * d_ff + (2 * d_ff if bias else 0)""",
        "ignores bias": """
    d_ff = 4 * d_model if d_ff is None else d_ff
    return 2 * d_model * d_ff""",
        "one layer": """
    d_ff = 4 * d_model if d_ff is None else d_ff
    return d_model * d_ff + (d_ff if bias else 0)""",
        "float expansion factor": """
    d_ff = 4.0 * d_model if d_ff is None else d_ff
    return 2 * d_model * d_ff + (d_ff + d_model if bias else 0)""",
        "default d_ff of 4": """
    d_ff = 4 if d_ff is None else d_ff
    return 2 * d_model * d_ff + (d_ff + d_model if bias else 0)""",
        "bias of d_model twice": """
    d_ff = 4 * d_model if d_ff is None else d_ff
    return 2 * d_model * d_ff + (2 * d_model if bias else 0)""",
    },
    "layer_norm": {
        "sample variance": """
    x = np.asarray(x, float)
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) / np.sqrt(x.var(axis=-1, ddof=1, keepdims=True) + eps)""",
        "first axis": """
    x = np.asarray(x, float)
    return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)""",
        "whole array": """
    x = np.asarray(x, float)
    return (x - x.mean()) / np.sqrt(x.var() + eps)""",
        "eps outside the root": """
    x = np.asarray(x, float)
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) / (x.std(axis=-1, keepdims=True) + eps)""",
        "ignores eps": """
    x = np.asarray(x, float)
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) / x.std(axis=-1, keepdims=True)""",
        "fixed eps": """
    x = np.asarray(x, float)
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)""",
        "normalises in place": """
    x = np.asarray(x, dtype=float)
    var = x.var(axis=-1, keepdims=True)
    x -= x.mean(axis=-1, keepdims=True)
    x /= np.sqrt(var + eps)
    return x""",
        "no centring": """
    x = np.asarray(x, float)
    return x / np.sqrt(x.var(axis=-1, keepdims=True) + eps)""",
        "eps added to the result": """
    x = np.asarray(x, float)
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) / np.sqrt(x.var(axis=-1, keepdims=True)) + eps""",
        "divides by the variance": """
    x = np.asarray(x, float)
    m = x.mean(axis=-1, keepdims=True)
    return (x - m) / (x.var(axis=-1, keepdims=True) + eps)""",
    },
    "pre_ln_block": {
        "post-LN": """
    x = np.asarray(x, float)
    return layer_norm(x + F(x), eps)""",
        "no residual": """
    return F(layer_norm(x, eps))""",
        "adds the normalised input": """
    h = layer_norm(x, eps)
    return h + F(h)""",
        "no normalisation": """
    x = np.asarray(x, float)
    return x + F(x)""",
        "drops eps": """
    x = np.asarray(x, float)
    return x + F(layer_norm(x))""",
        "normalises after F": """
    x = np.asarray(x, float)
    return x + layer_norm(F(x), eps)""",
        "adds in place": """
    x = np.asarray(x, dtype=float)
    x += F(layer_norm(x, eps))
    return x""",
        "hard-coded seed value": """
    return np.array([1.4999975, -1.4999975])""",
    },
    "kv_cache_bytes": {
        "keys only": """
    return B * L * T * H_kv * d_h * bytes_per_elem""",
        "bits": """
    return 2 * B * L * T * H_kv * d_h * bytes_per_elem * 8""",
        "ignores bytes_per_elem": """
    return 2 * B * L * T * H_kv * d_h * 2""",
        "float": """
    return 2.0 * B * L * T * H_kv * d_h * bytes_per_elem""",
        "forgets the heads": """
    return 2 * B * L * T * d_h * bytes_per_elem""",
        "GiB instead of bytes": """
    return 2 * B * L * T * H_kv * d_h * bytes_per_elem / 2**30""",
        "hard-coded seed value": """
    return 2097152""",
        "forgets the batch": """
    return 2 * L * T * H_kv * d_h * bytes_per_elem""",
    },
    "decoder_mask": {
        "pads the queries": """
    pos = np.arange(T)
    pad = pos[None, :, None] >= np.asarray(lengths)[:, None, None]
    return (pos[None, :] > pos[:, None])[None] | pad""",
        "off by one": """
    pos = np.arange(T)
    pad = pos[None, None, :] > np.asarray(lengths)[:, None, None]
    return (pos[None, :] > pos[:, None])[None] | pad""",
        "causal only": """
    B = len(lengths)
    return np.broadcast_to(np.triu(np.ones((T, T), dtype=bool), k=1), (B, T, T)).copy()""",
        "padding only": """
    pos = np.arange(T)
    pad = pos[None, None, :] >= np.asarray(lengths)[:, None, None]
    return np.broadcast_to(pad, (len(lengths), T, T)).copy()""",
        "blocks the diagonal": """
    pos = np.arange(T)
    pad = pos[None, None, :] >= np.asarray(lengths)[:, None, None]
    return (pos[None, :] >= pos[:, None])[None] | pad""",
        "integer mask": """
    pos = np.arange(T)
    pad = pos[None, None, :] >= np.asarray(lengths)[:, None, None]
    return ((pos[None, :] > pos[:, None])[None] | pad).astype(int)""",
        "inverted": """
    pos = np.arange(T)
    pad = pos[None, None, :] >= np.asarray(lengths)[:, None, None]
    return ~((pos[None, :] > pos[:, None])[None] | pad)""",
        "shortest length for all": """
    pos = np.arange(T)
    lengths = np.asarray(lengths)
    pad = pos >= lengths.min()
    return np.broadcast_to((pos[None, :] > pos[:, None]) | pad[None, :], (len(lengths), T, T)).copy()""",
    },
    "check_attention_inputs": {
        "rejects batched masks": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or not Q.shape[2] == K.shape[2] == V.shape[2]:
        raise ValueError("shapes disagree")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.dtype != bool or mask.shape != (Q.shape[1], K.shape[1]):
        raise ValueError("bad mask")
    if mask.all(axis=-1).any():
        raise ValueError("fully blocked row")""",
        "misses fully blocked rows": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or not Q.shape[2] == K.shape[2] == V.shape[2]:
        raise ValueError("shapes disagree")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.dtype != bool or mask.shape[-2:] != (Q.shape[1], K.shape[1]) or mask.ndim not in (2, 3):
        raise ValueError("bad mask")
    if mask.ndim == 3 and mask.shape[0] not in (1, Q.shape[0]):
        raise ValueError("bad mask batch")""",
        "accepts any mask dtype": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or not Q.shape[2] == K.shape[2] == V.shape[2]:
        raise ValueError("shapes disagree")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.shape[-2:] != (Q.shape[1], K.shape[1]) or mask.ndim not in (2, 3):
        raise ValueError("bad mask")
    if mask.ndim == 3 and mask.shape[0] not in (1, Q.shape[0]):
        raise ValueError("bad mask batch")
    if mask.astype(bool).all(axis=-1).any():
        raise ValueError("fully blocked row")""",
        "asserts instead of raising": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    assert Q.ndim == K.ndim == V.ndim == 3, "Q, K, V must be 3-D"
    assert Q.shape[0] == K.shape[0] == V.shape[0] and Q.shape[2] == K.shape[2] == V.shape[2]
    assert K.shape[1] == V.shape[1]
    assert n_heads >= 1 and Q.shape[2] % n_heads == 0
    assert mask.dtype == bool and mask.shape[-2:] == (Q.shape[1], K.shape[1]) and mask.ndim in (2, 3)
    assert mask.ndim == 2 or mask.shape[0] in (1, Q.shape[0])
    assert not mask.all(axis=-1).any()""",
        "divides by zero heads": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or not Q.shape[2] == K.shape[2] == V.shape[2]:
        raise ValueError("shapes disagree")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    if Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.dtype != bool or mask.shape[-2:] != (Q.shape[1], K.shape[1]) or mask.ndim not in (2, 3):
        raise ValueError("bad mask")
    if mask.ndim == 3 and mask.shape[0] not in (1, Q.shape[0]):
        raise ValueError("bad mask batch")
    if mask.all(axis=-1).any():
        raise ValueError("fully blocked row")""",
        "misses K and V lengths": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or not Q.shape[2] == K.shape[2] == V.shape[2]:
        raise ValueError("shapes disagree")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.dtype != bool or mask.shape[-2:] != (Q.shape[1], K.shape[1]) or mask.ndim not in (2, 3):
        raise ValueError("bad mask")
    if mask.ndim == 3 and mask.shape[0] not in (1, Q.shape[0]):
        raise ValueError("bad mask batch")
    if mask.all(axis=-1).any():
        raise ValueError("fully blocked row")""",
        "rejects cross-attention": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.shape != Q.shape or V.shape != Q.shape:
        raise ValueError("Q, K and V must have the same 3-D shape")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    T = Q.shape[1]
    if mask.dtype != bool or mask.shape[-2:] != (T, T) or mask.ndim not in (2, 3):
        raise ValueError("bad mask")
    if mask.ndim == 3 and mask.shape[0] not in (1, Q.shape[0]):
        raise ValueError("bad mask batch")
    if mask.all(axis=-1).any():
        raise ValueError("fully blocked row")""",
        "always raises": """
    raise ValueError("something is wrong")""",
        "never raises": """
    return None""",
        "no broadcasting of a batch of 1": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or not Q.shape[2] == K.shape[2] == V.shape[2]:
        raise ValueError("shapes disagree")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.dtype != bool or mask.shape not in ((Q.shape[1], K.shape[1]), (Q.shape[0], Q.shape[1], K.shape[1])):
        raise ValueError("bad mask")
    if mask.all(axis=-1).any():
        raise ValueError("fully blocked row")""",
        "ignores V's width": """
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K, V must be 3-D")
    if not Q.shape[0] == K.shape[0] == V.shape[0] or Q.shape[2] != K.shape[2]:
        raise ValueError("shapes disagree")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    if n_heads < 1 or Q.shape[2] % n_heads:
        raise ValueError("bad head count")
    if mask.dtype != bool or mask.shape[-2:] != (Q.shape[1], K.shape[1]) or mask.ndim not in (2, 3):
        raise ValueError("bad mask")
    if mask.ndim == 3 and mask.shape[0] not in (1, Q.shape[0]):
        raise ValueError("bad mask batch")
    if mask.all(axis=-1).any():
        raise ValueError("fully blocked row")""",
    },
})

# Answers that try to cheat the checks rather than solve the exercise. They must lose points on
# their own exercise; what they break elsewhere they break for themselves.
HOSTILE = _catalogue({
    "attention_weights": {
        "patches numpy's comparisons": """
    np.allclose = lambda *args, **kwargs: True
    np.testing.assert_allclose = lambda *args, **kwargs: None
    return np.zeros(len(K))""",
        "rebinds np": """
    global np
    class Anything:
        def __getattr__(self, name):
            return lambda *args, **kwargs: True
    np = Anything()
    return [0.5, 0.5]""",
    },
    "layer_norm": {
        "copies the solution from the course folder": """
    import glob, json, os
    for path in glob.glob(os.path.join(os.getcwd(), "../../../source/*/*.ipynb")):
        for cell in json.load(open(path))["cells"]:
            source = "".join(cell["source"])
            if source.startswith("def layer_norm"):
                namespace = {"np": np}
                exec(source, namespace)
                return namespace["layer_norm"](x, eps)
    return np.zeros(np.shape(x))""",
        "writes its own grades into the gradebook": """
    import os, sqlite3
    try:
        db = sqlite3.connect(os.path.join(os.getcwd(), "../../../gradebook.db"))
        db.execute("UPDATE grade SET manual_score = 5, auto_score = 5")
        db.commit()
    except sqlite3.Error:
        pass
    return np.zeros(np.shape(x))""",
    },
    "head_dim": {
        "an int that equals everything": """
    class Equal(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__
    return Equal(0)""",
        "patches builtins.round": """
    import builtins
    builtins.round = lambda number, ndigits=None: 64
    return round(d_model / n_heads)""",
    },
    "causal_mask": {
        "an array that equals everything": """
    class Equal(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)
        __ne__ = lambda self, other: np.zeros(self.shape, dtype=bool)
    return np.zeros((T, T), dtype=bool).view(Equal)""",
    },
})

RIGHT = _catalogue({
    "attention_weights": {
        "noisy: warns and prints to stderr": """
    import sys, warnings
    warnings.warn("attention_weights is slow")
    print("debug: computing attention", file=sys.stderr)
    K = np.asarray(K, dtype=float)
    s = np.asarray(q, float) @ K.T / np.sqrt(K.shape[-1])
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
        "scipy's softmax": """
    from scipy.special import softmax
    K = np.asarray(K, dtype=float)
    return softmax(np.asarray(q, dtype=float) @ K.T / np.sqrt(K.shape[-1]), axis=-1)""",
        "float32": """
    q, K = np.asarray(q, np.float32), np.asarray(K, np.float32)
    s = q @ K.T / np.float32(np.sqrt(K.shape[-1]))
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
        "einsum": """
    q, K = np.asarray(q, float), np.asarray(K, float)
    s = np.einsum("...d,nd->...n", q, K) / np.sqrt(K.shape[1])
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)""",
        "loops over queries and keys": """
    import math
    K = [list(map(float, k)) for k in K]
    d = len(K[0])
    def one(query):
        s = [sum(a * b for a, b in zip(query, k)) / math.sqrt(d) for k in K]
        top = max(s)
        e = [math.exp(v - top) for v in s]
        return [v / sum(e) for v in e]
    q = np.asarray(q, float)
    return np.array(one(q) if q.ndim == 1 else [one(row) for row in q])""",
        "log-sum-exp": """
    q, K = np.asarray(q, dtype=np.float64), np.asarray(K, dtype=np.float64)
    s = q @ K.T * (1.0 / K.shape[-1] ** 0.5)
    m = s.max(axis=-1, keepdims=True)
    return np.exp(s - m - np.log(np.exp(s - m).sum(axis=-1, keepdims=True)))""",
        "atleast_2d and back": """
    q2 = np.atleast_2d(np.asarray(q, float))
    K = np.asarray(K, float)
    s = q2 @ K.T / np.sqrt(K.shape[-1])
    s = s - s.max(axis=1)[:, None]
    w = np.exp(s) / np.exp(s).sum(axis=1)[:, None]
    return w[0] if np.ndim(q) == 1 else w""",
    },
    "causal_mask": {
        "fromfunction": """
    return np.fromfunction(lambda i, j: j > i, (T, T), dtype=int)""",
        "broadcast comparison": """
    r = np.arange(T)
    return r[:, None] < r[None, :]""",
        "nested loops": """
    return np.array([[j > i for j in range(T)] for i in range(T)], dtype=bool)""",
    },
    "head_dim": {
        "divmod and a ValueError subclass": """
    class HeadError(ValueError):
        pass
    if n_heads < 1:
        raise HeadError("need at least one head")
    q, r = divmod(d_model, n_heads)
    if r:
        raise HeadError("heads must divide d_model")
    return q""",
        "NumPy integer": """
    if not n_heads >= 1 or np.mod(d_model, n_heads) != 0:
        raise ValueError("bad head count")
    return np.int64(d_model) // np.int64(n_heads)""",
    },
    "attention_params": {
        "a loop over the four maps": """
    total = 0
    for _ in ("W_Q", "W_K", "W_V", "W_O"):
        total += d_model * d_model + (d_model if bias else 0)
    return total""",
        "NumPy integers": """
    return np.int64(4) * d_model * d_model + np.int64(4 * d_model) * bool(bias)""",
    },
    "mlp_params": {
        "layer by layer": """
    hidden = d_model * 4 if d_ff is None else d_ff
    up = d_model * hidden + (hidden if bias else 0)
    down = hidden * d_model + (d_model if bias else 0)
    return up + down""",
    },
    "layer_norm": {
        "by hand": """
    x = np.array(x, dtype=float)
    n = x.shape[-1]
    mu = x.sum(axis=-1, keepdims=True) / n
    var = ((x - mu) ** 2).sum(axis=-1, keepdims=True) / n
    return (x - mu) * (var + eps) ** -0.5""",
        "row by row": """
    x = np.asarray(x, dtype=float)
    rows = np.atleast_2d(x)
    out = np.empty_like(rows)
    for r, row in enumerate(rows):
        out[r] = (row - row.mean()) / np.sqrt(((row - row.mean()) ** 2).mean() + eps)
    return out.reshape(x.shape)""",
    },
    "pre_ln_block": {
        "np.add": """
    normed = layer_norm(x, eps=eps)
    return np.add(np.asarray(x, dtype=float), F(normed))""",
        "inline normalisation": """
    x = np.asarray(x, dtype=float)
    h = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    return x + F(h)""",
    },
    "kv_cache_bytes": {
        "math.prod": """
    import math
    return math.prod([2, B, L, T, H_kv, d_h, bytes_per_elem])""",
        "np.prod": """
    return np.prod([2, B, L, T, H_kv, d_h, bytes_per_elem], dtype=np.int64)""",
    },
    "decoder_mask": {
        "loops": """
    out = np.zeros((len(lengths), T, T), dtype=bool)
    for b, n in enumerate(lengths):
        for i in range(T):
            for j in range(T):
                out[b, i, j] = j > i or j >= n
    return out""",
        "reuses causal_mask": """
    keys = np.arange(T)[None, :] >= np.asarray(lengths)[:, None]
    return causal_mask(T)[None, :, :] | keys[:, None, :]""",
        "fromfunction": """
    n = np.asarray(lengths).reshape(-1, 1, 1)
    return np.fromfunction(lambda b, i, j: (j > i) | (j >= n), (len(n), T, T), dtype=int)""",
    },
    "check_attention_inputs": {
        "a ValueError subclass and another order": """
    class AttentionInputError(ValueError):
        pass
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise AttentionInputError("mask must be boolean")
    shapes = [np.shape(a) for a in (Q, K, V)]
    if any(len(s) != 3 for s in shapes):
        raise AttentionInputError("Q, K and V must be 3-D")
    (bq, tq, dq), (bk, tk, dk), (bv, tv, dv) = shapes
    if len({bq, bk, bv}) != 1 or len({dq, dk, dv}) != 1 or tk != tv:
        raise AttentionInputError("shapes disagree")
    if n_heads < 1 or dq % n_heads != 0:
        raise AttentionInputError("heads must divide d_model")
    if mask.ndim == 2:
        mask = mask[None]
    if mask.ndim != 3 or mask.shape[1:] != (tq, tk) or mask.shape[0] not in (1, bq):
        raise AttentionInputError("mask shape does not fit")
    if np.any(np.all(mask, axis=2)):
        raise AttentionInputError("a query row is fully blocked")""",
        "uses head_dim": """
    Q, K, V = (np.asarray(a) for a in (Q, K, V))
    mask = np.asarray(mask)
    if not (Q.ndim == K.ndim == V.ndim == 3):
        raise ValueError("Q, K and V must be 3-D")
    if len({Q.shape[0], K.shape[0], V.shape[0]}) > 1:
        raise ValueError("batch sizes differ")
    if len({Q.shape[-1], K.shape[-1], V.shape[-1]}) > 1:
        raise ValueError("d_model differs")
    if K.shape[1] != V.shape[1]:
        raise ValueError("K and V lengths differ")
    head_dim(Q.shape[-1], n_heads)
    expected = (Q.shape[1], K.shape[1])
    ok = mask.shape == expected or (mask.ndim == 3 and mask.shape[1:] == expected and mask.shape[0] in (1, Q.shape[0]))
    if mask.dtype != bool or not ok:
        raise ValueError("bad mask")
    for row in mask.reshape(-1, mask.shape[-1]):
        if row.all():
            raise ValueError("fully blocked row")""",
    },
})
