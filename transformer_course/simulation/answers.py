"""A catalogue of student answers: the function bodies a class might write.

Each answer is the body of one function of the student API (`Answer(function, name, body)`).
`WRONG` answers break the contract and must lose points on their own exercise, and only there;
`HOSTILE` answers attack the grader instead of solving the exercise; `RIGHT` answers are correct
however they are written and must keep full marks.

A wrong answer is written as the mistake itself: the reference solution of its function (the
instructor's body between `### BEGIN SOLUTION` and `### END SOLUTION` in the source notebook) with
one small named edit,

    Mistake("attention_weights", "unscaled scores", replace=(" / np.sqrt(K.shape[-1])", ""))

`replace` is an (old, new) pair or a short list of pairs; `drop` a snippet, or a few, each naming
one line to delete; `signature` a new `def` line, for a student who changed a default argument (the
answer's body then starts with that line). Every snippet must occur exactly once in the body when its edit is applied,
else building the catalogue fails naming the answer, so it cannot drift from the notebook
unnoticed. The few mistakes that throw the solution away (a hard-coded value, asserts throughout,
always or never raising) give a whole `body` instead.
"""
import json
import re
from typing import NamedTuple

from .. import ASSIGNMENT, ASSIGNMENTS, NOTEBOOK
from ..course import ROOT

SOURCE = ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
SOURCES = [ROOT / "source" / assignment / f"{NOTEBOOK}.ipynb" for assignment in ASSIGNMENTS]


class Answer(NamedTuple):
    function: str
    name: str
    body: str


class CatalogueError(ValueError):
    """A wrong answer whose edit does not fit the reference solution."""


def reference_solutions(path=SOURCE):
    """{function: the instructor's body} from the code answer cells of a source notebook."""
    bodies = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", source, re.S)
        if meta.get("solution") and cell["cell_type"] == "code" and match:
            bodies[meta["grade_id"]] = match.group(1) + "\n"
    return bodies


class Mistake(NamedTuple):
    """A wrong answer: the reference body of `function` with `replace` and `drop` applied, or `body`."""
    function: str
    name: str
    replace: tuple = ()
    drop: tuple = ()
    body: str = None
    signature: str = None

    def answer(self, reference):
        """The Answer this mistake makes of `reference` ({function: body})."""
        if self.body is not None:
            if self.replace or self.drop or self.signature:
                raise self.error("give a whole body or edits, not both")
            return Answer(self.function, self.name, self.body.strip("\n") + "\n")
        if self.function not in reference:
            raise self.error("no reference solution for this function in the notebook")
        replace = [self.replace] if self.replace and isinstance(self.replace[0], str) else self.replace
        drop = [self.drop] if isinstance(self.drop, str) else self.drop
        if not replace and not drop and not self.signature:
            raise self.error("no edit")
        body = reference[self.function]
        for old, new in replace:
            self.once(body, old)
            body = body.replace(old, new)
        for snippet in drop:
            self.once(body, snippet)
            body = "".join(line for line in body.splitlines(keepends=True) if snippet not in line)
        if body == reference[self.function] and not self.signature:
            raise self.error("the edits leave the reference solution unchanged")
        if self.signature:
            if not self.signature.startswith(f"def {self.function}("):
                raise self.error(f"the signature must define {self.function}")
            body = f"{self.signature}\n{body}"
        return Answer(self.function, self.name, body)

    def once(self, body, snippet):
        count = body.count(snippet) if snippet else 0
        if count != 1:
            raise self.error(f"{snippet!r} occurs {count} times in the reference body, not once:\n{body}")

    def error(self, problem):
        return CatalogueError(f"wrong answer {self.function} / {self.name!r}: {problem}")


def _catalogue(entries):
    return [Answer(function, name, body.strip("\n") + "\n")
            for function, answers in entries.items() for name, body in answers.items()]


MISTAKES = [
    # attention_weights: the softmax over the keys of q @ K.T / sqrt(d_k)
    Mistake("attention_weights", "unscaled scores", replace=(" / np.sqrt(K.shape[-1])", "")),
    Mistake("attention_weights", "divides by d_k", replace=("np.sqrt(K.shape[-1])", "K.shape[-1]")),
    Mistake("attention_weights", "softmax over the queries",
            replace=[("scores.max(axis=-1", "scores.max(axis=0"), ("e.sum(axis=-1", "e.sum(axis=0")]),
    Mistake("attention_weights", "unstable softmax", drop="scores.max("),
    Mistake("attention_weights", "scaled by the number of keys",
            replace=("np.sqrt(K.shape[-1])", "np.sqrt(K.shape[0])")),
    Mistake("attention_weights", "no softmax", replace=("scores = q @ K.T", "return q @ K.T")),
    Mistake("attention_weights", "normalised over the whole matrix",
            replace=[("scores.max(axis=-1, keepdims=True)", "scores.max()"),
                     ("e.sum(axis=-1, keepdims=True)", "e.sum()")]),
    Mistake("attention_weights", "hard-coded seed value", body="""
    return np.array([0.66976155, 0.33023845])"""),
    Mistake("attention_weights", "prints instead of returning",
            replace=("return e / e.sum(axis=-1, keepdims=True)", "print(e / e.sum(axis=-1, keepdims=True))")),
    Mistake("attention_weights", "scales the caller's query in place",
            replace=("scores = q @ K.T / np.sqrt(K.shape[-1])",
                     "q /= np.sqrt(K.shape[-1])\n    scores = q @ K.T")),

    # causal_mask: np.triu(np.ones((T, T), dtype=bool), k=1)
    Mistake("causal_mask", "blocks the diagonal", replace=("k=1", "k=0")),
    Mistake("causal_mask", "lower triangle", replace=[("np.triu", "np.tril"), ("k=1", "k=-1")]),
    Mistake("causal_mask", "float mask", replace=(", dtype=bool", "")),
    Mistake("causal_mask", "inverted", replace=("return np.triu", "return ~np.triu")),
    Mistake("causal_mask", "hard-coded 4 by 4", body="""
    return np.array([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)"""),
    Mistake("causal_mask", "integer mask", replace=("dtype=bool", "dtype=int")),
    Mistake("causal_mask", "only two steps ahead", replace=("k=1", "k=2")),

    # head_dim: d_model // n_heads, ValueError unless 1 <= n_heads divides d_model
    Mistake("head_dim", "float division", replace=("d_model // n_heads", "d_model / n_heads")),
    Mistake("head_dim", "no validation", drop=["if n_heads < 1", "raise ValueError"]),
    Mistake("head_dim", "assert instead of ValueError",
            replace=("if n_heads < 1 or d_model % n_heads != 0:\n        raise ValueError(",
                     "assert n_heads >= 1 and d_model % n_heads == 0, (")),
    Mistake("head_dim", "truncating float division", replace=[
        ("n_heads < 1 or d_model % n_heads != 0", "n_heads < 1"),
        ("return d_model // n_heads", "return int(d_model / n_heads)")]),
    Mistake("head_dim", "forgets n_heads < 1", replace=("n_heads < 1 or ", "")),
    Mistake("head_dim", "raises TypeError", replace=("raise ValueError", "raise TypeError")),
    Mistake("head_dim", "hard-coded seed value", body="""
    return 64"""),

    # attention_params: 4 * d_model**2 weights, plus 4 * d_model biases
    Mistake("attention_params", "three projections",
            replace=[("return 4 * d_model", "return 3 * d_model"), ("(4 * d_model", "(3 * d_model")]),
    Mistake("attention_params", "scalar biases", replace=("(4 * d_model if", "(4 if")),
    Mistake("attention_params", "ignores bias", replace=(" + (4 * d_model if bias else 0)", "")),
    Mistake("attention_params", "float power", replace=("4 * d_model * d_model", "4 * d_model ** 2.0")),
    Mistake("attention_params", "one bias vector", replace=("(4 * d_model if", "(d_model if")),
    Mistake("attention_params", "hard-coded seed value", body="""
    return 1048576"""),
    Mistake("attention_params", "bias by default", signature="def attention_params(d_model, bias=True):"),
    Mistake("attention_params", "always counts biases",
            replace=("(4 * d_model if bias else 0)", "4 * d_model")),

    # mlp_params: 2 * d_model * d_ff weights (d_ff = 4 * d_model when None), plus d_ff + d_model biases
    Mistake("mlp_params", "ignores d_ff", replace=("if d_ff is None:\n        d_ff =", "d_ff =")),
    Mistake("mlp_params", "bias of d_ff twice", replace=("(d_ff + d_model if", "(2 * d_ff if")),
    Mistake("mlp_params", "ignores bias", replace=(" + (d_ff + d_model if bias else 0)", "")),
    Mistake("mlp_params", "one layer",
            replace=[("2 * d_model * d_ff", "d_model * d_ff"), ("(d_ff + d_model if", "(d_ff if")]),
    Mistake("mlp_params", "float expansion factor", replace=("d_ff = 4 * d_model", "d_ff = 4.0 * d_model")),
    Mistake("mlp_params", "default d_ff of 4", replace=("d_ff = 4 * d_model", "d_ff = 4")),
    Mistake("mlp_params", "bias of d_model twice", replace=("(d_ff + d_model if", "(2 * d_model if")),
    Mistake("mlp_params", "bias by default", signature="def mlp_params(d_model, d_ff=None, bias=True):"),
    Mistake("mlp_params", "default d_ff of 2048", signature="def mlp_params(d_model, d_ff=2048, bias=False):"),

    # layer_norm: (x - mean) / sqrt(var + eps) over the last axis
    Mistake("layer_norm", "sample variance", replace=("x.var(axis=-1,", "x.var(axis=-1, ddof=1,")),
    Mistake("layer_norm", "first axis",
            replace=[("x.mean(axis=-1", "x.mean(axis=0"), ("x.var(axis=-1", "x.var(axis=0")]),
    Mistake("layer_norm", "whole array",
            replace=[("x.mean(axis=-1, keepdims=True)", "x.mean()"),
                     ("x.var(axis=-1, keepdims=True)", "x.var()")]),
    Mistake("layer_norm", "eps outside the root", replace=("np.sqrt(var + eps)", "(np.sqrt(var) + eps)")),
    Mistake("layer_norm", "ignores eps", replace=("np.sqrt(var + eps)", "np.sqrt(var)")),
    Mistake("layer_norm", "fixed eps", replace=("var + eps", "var + 1e-5")),
    Mistake("layer_norm", "normalises in place",
            replace=("return (x - mean) / np.sqrt(var + eps)",
                     "x -= mean\n    x /= np.sqrt(var + eps)\n    return x")),
    Mistake("layer_norm", "no centring", replace=("(x - mean)", "x")),
    Mistake("layer_norm", "eps added to the result", replace=("np.sqrt(var + eps)", "np.sqrt(var) + eps")),
    Mistake("layer_norm", "divides by the variance", replace=("np.sqrt(var + eps)", "(var + eps)")),
    Mistake("layer_norm", "default eps 1e-6", signature="def layer_norm(x, eps=1e-6):"),
    Mistake("layer_norm", "BERT's default eps 1e-12", signature="def layer_norm(x, eps=1e-12):"),
    Mistake("layer_norm", "Keras' default eps 1e-3", signature="def layer_norm(x, eps=1e-3):"),

    # pre_ln_block: x + F(layer_norm(x, eps))
    Mistake("pre_ln_block", "post-LN", replace=("x + F(layer_norm(x, eps))", "layer_norm(x + F(x), eps)")),
    Mistake("pre_ln_block", "no residual", replace=("return x + F(", "return F(")),
    Mistake("pre_ln_block", "adds the normalised input",
            replace=("return x + F(layer_norm(x, eps))", "h = layer_norm(x, eps)\n    return h + F(h)")),
    Mistake("pre_ln_block", "no normalisation", replace=("F(layer_norm(x, eps))", "F(x)")),
    Mistake("pre_ln_block", "drops eps", replace=("layer_norm(x, eps)", "layer_norm(x)")),
    Mistake("pre_ln_block", "normalises after F", replace=("F(layer_norm(x, eps))", "layer_norm(F(x), eps)")),
    Mistake("pre_ln_block", "adds in place",
            replace=("return x + F(layer_norm(x, eps))", "x += F(layer_norm(x, eps))\n    return x")),
    Mistake("pre_ln_block", "default eps 1e-6", signature="def pre_ln_block(x, F, eps=1e-6):"),
    Mistake("pre_ln_block", "hard-coded seed value", body="""
    return np.array([1.4999975, -1.4999975])"""),

    # kv_cache_bytes: 2 * B * L * T * H_kv * d_h * bytes_per_elem
    Mistake("kv_cache_bytes", "keys only", replace=("return 2 * B", "return B")),
    Mistake("kv_cache_bytes", "bits", replace=("* bytes_per_elem", "* bytes_per_elem * 8")),
    Mistake("kv_cache_bytes", "ignores bytes_per_elem", replace=("* bytes_per_elem", "* 2")),
    Mistake("kv_cache_bytes", "float", replace=("return 2 *", "return 2.0 *")),
    Mistake("kv_cache_bytes", "forgets the heads", replace=(" * H_kv", "")),
    Mistake("kv_cache_bytes", "GiB instead of bytes", replace=("* bytes_per_elem", "* bytes_per_elem / 2**30")),
    Mistake("kv_cache_bytes", "hard-coded seed value", body="""
    return 2097152"""),
    Mistake("kv_cache_bytes", "forgets the batch", replace=("2 * B * L", "2 * L")),
    Mistake("kv_cache_bytes", "fp32 by default",
            signature="def kv_cache_bytes(B, L, T, H_kv, d_h, bytes_per_elem=4):"),

    # decoder_mask: the causal rule j > i or a padding key j >= length, shape (B, T, T)
    Mistake("decoder_mask", "pads the queries", replace=("pos[None, None, :] >=", "pos[None, :, None] >=")),
    Mistake("decoder_mask", "off by one", replace=(">= lengths", "> lengths")),
    Mistake("decoder_mask", "causal only",
            replace=("future[None, :, :] | padding", "np.broadcast_to(future, (len(lengths), T, T)).copy()")),
    Mistake("decoder_mask", "padding only",
            replace=("future[None, :, :] | padding", "np.broadcast_to(padding, (len(lengths), T, T)).copy()")),
    Mistake("decoder_mask", "blocks the diagonal", replace=("pos[None, :] > pos", "pos[None, :] >= pos")),
    Mistake("decoder_mask", "integer mask",
            replace=("future[None, :, :] | padding", "(future[None, :, :] | padding).astype(int)")),
    Mistake("decoder_mask", "inverted",
            replace=("future[None, :, :] | padding", "~(future[None, :, :] | padding)")),
    Mistake("decoder_mask", "shortest length for all",
            replace=("lengths = np.asarray(lengths)", "lengths = np.full(len(lengths), min(lengths))")),

    # check_attention_inputs: ValueError for any bad shape, head count or mask
    Mistake("check_attention_inputs", "rejects batched masks", replace=(", (B, T_q, T_k), (1, T_q, T_k)}", "}")),
    Mistake("check_attention_inputs", "misses fully blocked rows", drop=["if mask.all(", "fully blocked"]),
    Mistake("check_attention_inputs", "accepts any mask dtype", drop=["if mask.dtype != bool", "must be boolean"]),
    Mistake("check_attention_inputs", "asserts instead of raising", body="""
    Q, K, V, mask = (np.asarray(a) for a in (Q, K, V, mask))
    assert Q.ndim == K.ndim == V.ndim == 3, "Q, K, V must be 3-D"
    assert Q.shape[0] == K.shape[0] == V.shape[0] and Q.shape[2] == K.shape[2] == V.shape[2]
    assert K.shape[1] == V.shape[1]
    assert n_heads >= 1 and Q.shape[2] % n_heads == 0
    assert mask.dtype == bool and mask.shape[-2:] == (Q.shape[1], K.shape[1]) and mask.ndim in (2, 3)
    assert mask.ndim == 2 or mask.shape[0] in (1, Q.shape[0])
    assert not mask.all(axis=-1).any()"""),
    Mistake("check_attention_inputs", "divides by zero heads",
            replace=("head_dim(Q.shape[2], n_heads)",
                     "if Q.shape[2] % n_heads:\n        raise ValueError(\"heads do not divide d_model\")")),
    Mistake("check_attention_inputs", "misses K and V lengths",
            drop=["if K.shape[1] != V.shape[1]", "positions but V has"]),
    Mistake("check_attention_inputs", "rejects cross-attention",
            replace=("if K.shape[1] != V.shape[1]:", "if not Q.shape[1] == K.shape[1] == V.shape[1]:")),
    Mistake("check_attention_inputs", "always raises", body="""
    raise ValueError("something is wrong")"""),
    Mistake("check_attention_inputs", "never raises", body="""
    return None"""),
    Mistake("check_attention_inputs", "no broadcasting of a batch of 1", replace=(", (1, T_q, T_k)}", "}")),
    Mistake("check_attention_inputs", "ignores V's width",
            replace=("Q.shape[2] == K.shape[2] == V.shape[2]", "Q.shape[2] == K.shape[2]")),
]

BLOCKS_MISTAKES = [
    # masked_attention: softmax(Q K^T / sqrt(d_k) with -inf where blocked) @ V
    Mistake("masked_attention", "unscaled scores", replace=(" / np.sqrt(Q.shape[-1])", "")),
    Mistake("masked_attention", "scaled by d_v", replace=("np.sqrt(Q.shape[-1])", "np.sqrt(V.shape[-1])")),
    Mistake("masked_attention", "inverted mask",
            replace=("np.where(mask, -np.inf, scores)", "np.where(mask, scores, -np.inf)")),
    Mistake("masked_attention", "ignores the mask", drop="scores = np.where(mask"),
    Mistake("masked_attention", "masks after the softmax",
            replace=[("        scores = np.where(mask, -np.inf, scores)\n", ""),
                     ("    return weights @ V", "    if mask is not None:\n        weights = np.where(mask, 0.0, weights)\n"
                                              "    return weights @ V")]),
    Mistake("masked_attention", "softmax over the queries",
            replace=[("scores.max(axis=-1", "scores.max(axis=-2"), ("weights.sum(axis=-1", "weights.sum(axis=-2")]),
    Mistake("masked_attention", "returns the weights", replace=("return weights @ V", "return weights")),
    Mistake("masked_attention", "unstable softmax", drop="scores = scores - scores.max("),
    Mistake("masked_attention", "NaN for a fully blocked query",
            drop=["if mask.all(axis=-1).any()", "raise ValueError(\"a query has every key"]),
    Mistake("masked_attention", "K.T on a batch", replace=("np.swapaxes(K, -1, -2)", "K.T")),
    Mistake("masked_attention", "scales the caller's queries in place",
            replace=[(" / np.sqrt(Q.shape[-1])", ""), ("    scores = Q @", "    Q /= np.sqrt(Q.shape[-1])\n    scores = Q @")]),

    # split_heads: (B, T, d) -> (B, H, T, d_h) by reshape to (B, T, H, d_h) and transpose
    Mistake("split_heads", "reshape without transpose",
            replace=("x.reshape(B, T, n_heads, d_model // n_heads).transpose(0, 2, 1, 3)",
                     "x.reshape(B, n_heads, T, d_model // n_heads)")),
    Mistake("split_heads", "interleaved heads",
            replace=("x.reshape(B, T, n_heads, d_model // n_heads).transpose(0, 2, 1, 3)",
                     "x.reshape(B, T, d_model // n_heads, n_heads).transpose(0, 3, 1, 2)")),
    Mistake("split_heads", "last two axes swapped", replace=(".transpose(0, 2, 1, 3)", ".transpose(0, 2, 3, 1)")),
    Mistake("split_heads", "forgets n_heads < 1", replace=("n_heads < 1 or ", "")),
    Mistake("split_heads", "float head dimension", replace=("d_model // n_heads)", "d_model / n_heads)")),

    # merge_heads: (B, H, T, d_h) -> (B, T, H d_h) by transpose and reshape
    Mistake("merge_heads", "reshape without transpose", replace=("x.transpose(0, 2, 1, 3).reshape", "x.reshape")),
    Mistake("merge_heads", "interleaved features", replace=("x.transpose(0, 2, 1, 3)", "x.transpose(0, 2, 3, 1)")),
    Mistake("merge_heads", "keeps the head axis",
            replace=("return x.transpose(0, 2, 1, 3).reshape(B, T, H * d_h)", "return x.transpose(0, 2, 1, 3)")),
    Mistake("merge_heads", "hard-coded example", body="""
    return np.arange(8).reshape(1, 2, 4)"""),

    # gqa_attention_params: 2 d^2 + 2 d H_kv d_h
    Mistake("gqa_attention_params", "ignores the KV heads",
            replace=("2 * d_model * n_kv_heads * d_head", "2 * d_model * d_model")),
    Mistake("gqa_attention_params", "forgets the head dimension", replace=("n_kv_heads * d_head", "n_kv_heads")),
    Mistake("gqa_attention_params", "group size for KV heads",
            replace=("n_kv_heads * d_head", "(n_heads // n_kv_heads) * d_head")),
    Mistake("gqa_attention_params", "only one of K and V", replace=("2 * d_model * n_kv_heads", "d_model * n_kv_heads")),
    Mistake("gqa_attention_params", "float head dimension", replace=("d_model // n_heads", "d_model / n_heads")),
    Mistake("gqa_attention_params", "no validation",
            drop=["if n_heads < 1", "raise ValueError", "f\"d_model={d_model}"]),

    # swiglu_mlp_params: 3 d d_ff
    Mistake("swiglu_mlp_params", "two matrices", replace=("3 *", "2 *")),
    Mistake("swiglu_mlp_params", "ignores d_ff", replace=("d_model * d_ff", "d_model * 4 * d_model")),
    Mistake("swiglu_mlp_params", "counts biases", replace=("3 * d_model * d_ff", "3 * d_model * d_ff + 2 * d_ff + d_model")),
    Mistake("swiglu_mlp_params", "8/3 rule instead of d_ff", replace=("d_model * d_ff", "d_model * (8 * d_model // 3)")),
    Mistake("swiglu_mlp_params", "hard-coded example", body="""
    return 135266304"""),

    # gpt2_params: embeddings + L blocks (attention and MLP with biases, two LayerNorms) + final LayerNorm
    Mistake("gpt2_params", "no position embedding", replace=(" + context * d_model", "")),
    Mistake("gpt2_params", "no biases", replace=[("attention_params(d_model, bias=True)", "attention_params(d_model)"),
                                                 ("mlp_params(d_model, bias=True)", "mlp_params(d_model)")]),
    Mistake("gpt2_params", "no LayerNorms in the blocks", replace=(" + 2 * (2 * d_model)", "")),
    Mistake("gpt2_params", "LayerNorms without a shift", replace=("2 * (2 * d_model)", "2 * d_model")),
    Mistake("gpt2_params", "no final LayerNorm", replace=("n_layers * block + 2 * d_model", "n_layers * block")),
    Mistake("gpt2_params", "untied output layer", replace=("return embeddings", "return vocab_size * d_model + embeddings")),
    Mistake("gpt2_params", "rule of thumb", body="""
    return 12 * n_layers * d_model ** 2"""),
    Mistake("gpt2_params", "hard-coded example", body="""
    return 124439808"""),
]

REFERENCE = {function: body for path in SOURCES for function, body in reference_solutions(path).items()}
WRONG = [mistake.answer(REFERENCE) for mistake in MISTAKES + BLOCKS_MISTAKES]

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

    # The second assignment (transformer_blocks).
    "masked_attention": {
        "-1e9 instead of -inf": """
    Q, K, V = np.asarray(Q, float), np.asarray(K, float), np.asarray(V, float)
    s = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.sqrt(K.shape[-1])
    if mask is not None:
        m = np.asarray(mask, bool) | np.zeros(s.shape, bool)
        if m.all(axis=-1).any():
            raise ValueError("a query with every key blocked")
        s = np.where(m, -1e9, s)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ V""",
        "einsum": """
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    s = np.einsum("...qd,...kd->...qk", Q, K) / np.sqrt(Q.shape[-1])
    blocked = np.zeros(s.shape, bool) if mask is None else np.broadcast_to(np.asarray(mask, bool), s.shape)
    if blocked.all(axis=-1).any():
        raise ValueError("a query with no key to attend to")
    s = np.where(blocked, -np.inf, s)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    return np.einsum("...qk,...kv->...qv", w, V)""",
        "additive bias": """
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    bias = 0.0
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if np.any(np.all(mask | np.zeros(Q.shape[:-1] + (K.shape[-2],), bool), axis=-1)):
            raise ValueError("every key is blocked for some query")
        bias = np.where(mask, -np.inf, 0.0)
    s = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1]) + bias
    s -= s.max(axis=-1, keepdims=True)
    w = np.exp(s)
    return w / w.sum(axis=-1, keepdims=True) @ V""",
    },
    "split_heads": {
        "swapaxes": """
    x = np.asarray(x)
    B, T, d = x.shape
    if n_heads < 1 or d % n_heads:
        raise ValueError("n_heads must divide d_model")
    return np.swapaxes(x.reshape(B, T, n_heads, -1), 1, 2)""",
        "stack of slices": """
    x = np.asarray(x)
    if n_heads < 1 or x.shape[-1] % n_heads:
        raise ValueError("bad n_heads")
    d_h = x.shape[-1] // n_heads
    return np.stack([x[..., h * d_h:(h + 1) * d_h] for h in range(n_heads)], axis=1)""",
    },
    "merge_heads": {
        "concatenate": """
    x = np.asarray(x)
    return np.concatenate(list(x.transpose(1, 0, 2, 3)), axis=-1)""",
        "swapaxes": """
    x = np.asarray(x)
    return np.swapaxes(x, 1, 2).reshape(x.shape[0], x.shape[2], -1)""",
    },
    "gqa_attention_params": {
        "kv width": """
    if not (n_heads >= 1 and n_kv_heads >= 1 and d_model % n_heads == 0 and n_heads % n_kv_heads == 0):
        raise ValueError("invalid head counts")
    kv_width = n_kv_heads * (d_model // n_heads)
    return d_model * d_model * 2 + d_model * kv_width * 2""",
        "numpy shapes": """
    if n_heads <= 0 or n_kv_heads <= 0 or d_model % n_heads != 0 or n_heads % n_kv_heads != 0:
        raise ValueError(f"bad heads {n_heads}/{n_kv_heads} for d_model {d_model}")
    kv = n_kv_heads * d_model // n_heads
    return np.sum([np.prod(shape) for shape in [(d_model, d_model), (d_model, kv), (d_model, kv), (d_model, d_model)]])""",
    },
    "swiglu_mlp_params": {
        "three shapes": """
    return sum(a * b for a, b in [(d_model, d_ff), (d_model, d_ff), (d_ff, d_model)])""",
        "numpy product": """
    return int(np.prod([3, d_model, d_ff]))""",
    },
    "gpt2_params": {
        "by hand": """
    d = d_model
    per_block = (4 * d * d + 4 * d) + (8 * d * d + 5 * d) + 4 * d
    return (vocab_size + context) * d + n_layers * per_block + 2 * d""",
        "sums the parts": """
    parts = [vocab_size * d_model, context * d_model]
    for _ in range(n_layers):
        parts += [attention_params(d_model, True), mlp_params(d_model, 4 * d_model, True), 2 * d_model, 2 * d_model]
    parts.append(2 * d_model)
    return sum(parts)""",
    },
})
