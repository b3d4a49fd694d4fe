"""Review: a static scan of the cells a student can edit for what tampers with the grader.

Flags assignments to attributes of NumPy, builtins or the grading helpers (the names that the
notebook's read-only code cells define at top level), rebinding those names, `global np`, `import builtins`,
`sys.modules` and paths out of the submission folder. Flagged answers are graded as usual.
"""
import ast

PATCHABLE = {"np", "numpy", "builtins", "__builtins__"}


class Tampering(ast.NodeVisitor):
    """What a cell does to the grader's world: patches, imports, sys.modules, paths outside."""

    def __init__(self, helpers):
        self.protected = PATCHABLE | set(helpers)
        self.found = []
        self.depth = 0  # inside a function a plain name is local, so rebinding it is harmless

    def visit_FunctionDef(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def root(self, node):
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    def target(self, node, verb):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and self.root(node) in self.protected:
            self.found.append(f"{verb} {ast.unparse(node)}")
        elif isinstance(node, ast.Name) and node.id in self.protected and not self.depth:
            self.found.append(f"{verb} {node.id}")
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element, verb)

    def visit_Assign(self, node):
        for target in node.targets:
            self.target(target, "assigns")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.target(node.target, "assigns")
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node):
        for target in node.targets:
            self.target(target, "deletes")

    def visit_Global(self, node):
        names = [n for n in node.names if n in self.protected]
        if names:
            self.found.append(f"global {', '.join(names)}")

    def visit_Import(self, node):
        if any(a.name == "builtins" for a in node.names):
            self.found.append("import builtins")
        self.rebinds(node)

    def visit_ImportFrom(self, node):
        if node.module == "builtins":
            self.found.append("from builtins import")
        self.rebinds(node)

    def rebinds(self, node):
        """`import x as np` or `from m import expect_close` outside a function."""
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if bound in self.protected and alias.name not in ("numpy", "builtins") and not self.depth:
                self.found.append(f"imports {alias.name} as {bound}")

    def visit_Attribute(self, node):
        if node.attr == "modules" and self.root(node) == "sys":
            self.found.append("sys.modules")
        self.generic_visit(node)

    def visit_Call(self, node):
        name = ast.unparse(node.func)
        if name == "setattr" and node.args and self.root(node.args[0]) in self.protected:
            self.found.append(f"setattr on {ast.unparse(node.args[0])}")
        self.generic_visit(node)

    def visit_Constant(self, node):
        """A path out of the submission folder: absolute or through `..`, wherever it is used
        (open, os.path.join, glob, sqlite3.connect)."""
        text = node.value
        if (isinstance(text, str) and len(text) > 1 and not any(c.isspace() for c in text)
                and (text.startswith("/") or ".." in text.split("/"))):
            self.found.append(f"path {text}")


def helper_names(reference):
    """Names that the read-only code cells (not the tests) of the gradebook define at top level."""
    names = []
    for cell in reference.values():
        if cell["cell_type"] != "code" or not cell["locked"] or cell["grade"]:
            continue
        for node in ast.parse(cell["source"]).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def review_notes(nb, reference):
    """`review: <what> (<exercise>)` for each suspicious statement of a cell the student can edit."""
    helpers = helper_names(reference)
    notes = []
    for index, cell in enumerate(nb.cells, 1):
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or reference.get(name, {}).get("locked"):
            continue
        name = name if name in reference else f"cell {index}"
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue  # nbgrader runs it and the tests fail; nothing to review
        scan = Tampering(helpers)
        scan.visit(tree)
        notes += [f"review: {what} ({name})" for what in dict.fromkeys(scan.found)]
    return notes
