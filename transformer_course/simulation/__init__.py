"""A simulated class: the answer catalogue (answers), students who fetch, answer and submit
(classroom), and the catalogue graded with real nbgrader (mutants)."""
