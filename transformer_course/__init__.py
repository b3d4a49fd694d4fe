"""The transformer-architecture course around nbgrader and its grading engine (nbgrader_sandbox).

lifecycle/ has one module per step of the instructor's workflow, plugins/ one nbgrader plugin per
module, simulation/ the simulated class; scoring, report, lab and cli sit beside them.
"""

ASSIGNMENT = "transformer_architecture"
NOTEBOOK = "exercises"
# The ten functions of the student API, in notebook order; each is the grade_id of its answer cell.
EXERCISES = ("attention_weights", "causal_mask", "head_dim", "attention_params", "mlp_params",
             "layer_norm", "pre_ln_block", "kv_cache_bytes", "decoder_mask", "check_attention_inputs")
