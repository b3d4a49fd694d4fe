"""The transformer-architecture course around nbgrader and its grading engine (nbgrader_sandbox).

lifecycle/ has one module per step of the instructor's workflow, plugins/ one nbgrader plugin per
module, simulation/ the simulated class; scoring, report, lab and cli sit beside them.
"""

ASSIGNMENT = "transformer_architecture"
BLOCKS = "transformer_blocks"
NOTEBOOK = "exercises"
# The ten functions of the student API, in notebook order; each is the grade_id of its answer cell.
EXERCISES = ("attention_weights", "causal_mask", "head_dim", "attention_params", "mlp_params",
             "layer_norm", "pre_ln_block", "kv_cache_bytes", "decoder_mask", "check_attention_inputs")
# Every assignment of the course with its graded functions, in notebook order: the ten exercises,
# then the second assignment, which builds a working attention layer and GPT-2's count on them.
ASSIGNMENTS = {
    ASSIGNMENT: EXERCISES,
    BLOCKS: ("masked_attention", "split_heads", "merge_heads", "gqa_attention_params", "swiglu_mlp_params",
             "gpt2_params"),
}
