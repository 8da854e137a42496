"""Attributes read on an instance of one of the document's own classes that the class does not have.

`sum(商品.价格 for 商品 in 商品列表)` where `商品列表: list[商品]` and the dataclass 商品 has the fields 名称,
单价 and 数量: `价格` is a name the model brought from elsewhere (another file's code, or an English
reading of it), and reading it raises AttributeError. Names and keyword arguments are checked elsewhere
(names.py); attributes are not, because in general nothing says what an object has. This check speaks
only when the document says it all:
- the class is defined at the top level of the document, with no base class and no decorator but
  `dataclass`, and no `__getattr__`, `__getattribute__` or `__slots__`: its attributes are its class-level
  names (annotated fields, assignments, methods) and what its methods assign to `self.…`;
- the receiver is a parameter annotated with the class, or a loop or comprehension variable over a
  parameter annotated `list[Class]` (or `List`, `Sequence`, `Iterable`, `tuple`, `set`, `frozenset` of it).
Python only.
"""

from __future__ import annotations

import tree_sitter as ts

_CONTAINERS = {
    "list",
    "List",
    "Sequence",
    "Iterable",
    "Iterator",
    "tuple",
    "Tuple",
    "set",
    "Set",
    "frozenset",
}
_OPEN_ENDED = {"__getattr__", "__getattribute__", "__slots__"}
_EVERY_OBJECT = set(dir(object)) | {"__dict__", "__dataclass_fields__", "__match_args__"}


def unknown_attributes(tree: ts.Tree | None, start_byte: int, end_byte: int) -> dict[str, set[str]]:
    """Attributes read in [start_byte, end_byte) (the completion) on an instance of a document class
    that the class does not have, in order, each with the attributes its class does have."""
    if tree is None:
        return {}
    classes = _closed_classes(tree.root_node)
    if not classes:
        return {}
    found: dict[str, set[str]] = {}
    for node in _attributes_in(tree.root_node, start_byte, end_byte):
        receiver, name = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if receiver is None or name is None or receiver.type != "identifier" or _assigned_to(node):
            continue
        fields = classes.get(_class_of(_text(receiver), node) or "")
        attribute = _text(name)
        if fields is not None and attribute not in fields and attribute not in _EVERY_OBJECT:
            found.setdefault(attribute, set()).update(fields)
    return found


def _text(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _attributes_in(node: ts.Node, start: int, end: int):
    if node.end_byte <= start or node.start_byte >= end:
        return
    if node.type == "attribute" and node.start_byte >= start:
        yield node
    for child in node.children:
        yield from _attributes_in(child, start, end)


def _assigned_to(attribute: ts.Node) -> bool:
    """`x.a = …` sets an attribute: it may be new, and it is not a read."""
    parent = attribute.parent
    return (
        parent is not None
        and parent.type in ("assignment", "augmented_assignment")
        and (parent.child_by_field_name("left") == attribute)
    )


def _closed_classes(root: ts.Node) -> dict[str, set[str]]:
    """The top-level classes whose attributes the document tells in full: name → attribute names."""
    classes: dict[str, set[str]] = {}
    for statement in root.children:
        decorators = []
        definition = statement
        if statement.type == "decorated_definition":
            decorators = [_text(d).lstrip("@").strip() for d in statement.children if d.type == "decorator"]
            definition = statement.child_by_field_name("definition") or statement
        if definition.type != "class_definition":
            continue
        if definition.child_by_field_name("superclasses") is not None:
            continue  # inherited attributes are not in this document
        if any(d not in ("dataclass", "dataclasses.dataclass") for d in decorators):
            continue
        body = definition.child_by_field_name("body")
        fields = _class_attributes(body) if body is not None else None
        if fields is not None:
            classes[_text(definition.child_by_field_name("name"))] = fields
    return classes


def _class_attributes(body: ts.Node) -> set[str] | None:
    """Class-level names and `self.…` assignments in its methods; None when the class is open-ended."""
    names: set[str] = set()
    for statement in body.children:
        inner = (
            statement.child_by_field_name("definition") if statement.type == "decorated_definition" else None
        )
        node = inner or statement
        if node.type == "function_definition":
            names.add(_text(node.child_by_field_name("name")))
            names |= _self_assignments(node)
        elif node.type == "class_definition":
            names.add(_text(node.child_by_field_name("name")))
        elif node.type == "expression_statement":
            for child in node.children:
                target = child.child_by_field_name("left") if child.type == "assignment" else None
                if target is not None and target.type == "identifier":
                    names.add(_text(target))
    return None if names & _OPEN_ENDED else names


def _self_assignments(function: ts.Node) -> set[str]:
    names: set[str] = set()
    stack = [function]
    while stack:
        node = stack.pop()
        if node.type in ("assignment", "augmented_assignment"):
            target = node.child_by_field_name("left")
            receiver = target.child_by_field_name("object") if target is not None else None
            if target is not None and target.type == "attribute" and _text(receiver) == "self":
                names.add(_text(target.child_by_field_name("attribute")))
        stack.extend(node.children)
    return names


def _class_of(name: str, use: ts.Node) -> str | None:
    """The document class `name` holds an instance of at `use`, when the code says so plainly."""
    node: ts.Node | None = use
    while node is not None:
        if node.type in (
            "generator_expression",
            "list_comprehension",
            "set_comprehension",
            "dictionary_comprehension",
        ):
            for clause in node.children:
                if clause.type == "for_in_clause" and _text(clause.child_by_field_name("left")) == name:
                    return _element_class(clause.child_by_field_name("right"), node)
        if node.type == "for_statement" and _text(node.child_by_field_name("left")) == name:
            return _element_class(node.child_by_field_name("right"), node)
        if node.type == "function_definition":
            return _bound_in_function(name, node)
        node = node.parent
    return None


def _bound_in_function(name: str, function: ts.Node) -> str | None:
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.children if parameters is not None else ():
        if parameter.type in ("typed_parameter", "typed_default_parameter"):
            identifier = next((c for c in parameter.children if c.type == "identifier"), None)
            annotation = parameter.child_by_field_name("type")
            if _text(identifier) == name and annotation is not None and annotation.named_child_count:
                plain = annotation.named_children[0]
                return _text(plain) if plain.type == "identifier" else None
    return None


def _element_class(iterable: ts.Node | None, scope: ts.Node) -> str | None:
    """The class of the elements of a parameter annotated `list[Class]` (and the like)."""
    if iterable is None or iterable.type != "identifier":
        return None
    function: ts.Node | None = scope
    while function is not None and function.type != "function_definition":
        function = function.parent
    parameters = function.child_by_field_name("parameters") if function is not None else None
    for parameter in parameters.children if parameters is not None else ():
        identifier = next((c for c in parameter.children if c.type == "identifier"), None)
        annotation = parameter.child_by_field_name("type")
        if _text(identifier) != _text(iterable) or annotation is None:
            continue
        generic = annotation.named_children[0] if annotation.named_child_count else None
        if generic is None or generic.type != "generic_type":
            return None
        container = next((c for c in generic.children if c.type == "identifier"), None)
        arguments = next((c for c in generic.children if c.type == "type_parameter"), None)
        if _text(container) not in _CONTAINERS or arguments is None or not arguments.named_child_count:
            return None
        element = arguments.named_children[0]
        inner = element.named_children[0] if element.type == "type" and element.named_child_count else element
        return _text(inner) if inner.type == "identifier" else None
    return None
