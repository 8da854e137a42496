"""Next-edit suggestions: after the user changes one place, the related changes elsewhere in the file.

`history.py` keeps, per document, the stretch the user has been editing and what it said before;
`proposals.py` turns that into edits away from the cursor. Exact kinds need no model: a renamed
identifier is renamed at every other identifier of the same binding (the scope model,
`indexer/bindings.py`), and a parameter added to a function's definition is added to its calls.
Pattern edits need the model: one identifier replaced by another where no binding ties the places
together (`pattern.py`).
"""
