"""RepairIds: a sanitize preprocessor for nbgrader metadata that nbgrader's autograde stops on.

With ``OverwriteCells.add_missing_cells`` nbgrader 0.9.6 crashes (``KeyError: 'grade_id'``) on a
cell whose nbgrader metadata has no grade_id, and on the emptied metadata DeduplicateIds leaves
behind. RepairIds drops the nbgrader metadata of both, keeping the last of duplicated grade_ids
as DeduplicateIds does. It replaces DeduplicateIds in ``Autograde.sanitize_preprocessors``, so
the repair happens in the autograded copy and ``submitted/`` stays as the student handed it in.
"""
from collections import Counter

from nbgrader.preprocessors import DeduplicateIds
from nbgrader.utils import is_grade, is_locked, is_solution


class RepairIds(DeduplicateIds):
    """DeduplicateIds that drops, rather than empties, the metadata of the cells it demotes."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if "grade_id" not in cell.metadata.get("nbgrader", {"grade_id": None}):
                del cell.metadata["nbgrader"]
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader") == {}:
                del cell.metadata["nbgrader"]
        return nb, resources


def repair_notes(nb):
    """What RepairIds changes in `nb` (which is left as it is), in the instructor's words."""
    nameless = sum("grade_id" not in c.metadata.get("nbgrader", {"grade_id": None}) for c in nb.cells)
    ids = Counter(c.metadata.nbgrader["grade_id"] for c in nb.cells  # the cells DeduplicateIds looks at
                  if "grade_id" in c.metadata.get("nbgrader", {}) and (is_grade(c) or is_solution(c) or is_locked(c)))
    notes = [f"duplicated grade_id {i} (the last one graded)" for i, n in ids.items() if n > 1]
    if nameless:
        notes.append(f"nbgrader metadata without grade_id removed from {nameless} cell(s)")
    return notes
