"""The node types each grammar uses for what the reviewer's data flow (dataflow.py) looks at: data, one
row per language."""

from __future__ import annotations

from dataclasses import dataclass

from daima.review.rules import rules_table


@dataclass(frozen=True, kw_only=True)
class Syntax:
    """The node types one grammar uses for what the analysis looks at."""

    scopes: frozenset[str]  # nodes that bound a function's data flow
    strings: frozenset[str]  # string literals
    interpolations: frozenset[str]  # children that make a string literal interpolated
    constants: frozenset[str]  # other literals
    concat: frozenset[str]  # binary expression nodes (operator in the `operator` field)
    format_methods: frozenset[str]  # x.NAME(args) builds a string from args
    assignments: tuple[tuple[str, str, str], ...]  # (node type, target field, value field)
    augmented: frozenset[str]  # `x += y` node types
    calls: tuple[str, str, str]  # (call node type, callee field, arguments field)
    wrappers: frozenset[str]  # nodes whose single named child is the value (parentheses)
    containers: frozenset[str]  # list / array literals: constant when every element is
    blocks: frozenset[str]  # statement sequences: an assignment directly in one that holds a use reaches it
    # `name.METHOD(x)` adds x to the text or list bound to name (`sb.append(x)`, `parts.push(x)`)
    mutators: frozenset[str] = frozenset()
    # `new TYPE(args)` (a node of type `creation`) of a string builder: its text is its arguments (then
    # what `mutators` add)
    builders: frozenset[str] = frozenset()
    creation: str = ""
    # Patterns over a callee's text for calls that escape or compose safely (rules.json "sanitizers").
    sanitizers: tuple[str, ...] = ()
    # `c ? "a" : "b"` / `"a" if c else "b"`: node type and the fields of its two values (Python's has none:
    # its values are the first and last named children)
    conditional: tuple[str, str, str] = ("", "", "")
    # `Type.NAME`: node type, object field, member field. A class's UPPER_SNAKE member is a constant by
    # every style guide of these languages (`Queries.FIND_BY_NAME`); a lower-case object's is not
    # (`request.GET` is the request's data).
    member: tuple[str, str, str] = ("", "", "")
    # `for q in queries`: loop node type, target field, iterable field; q holds an element of queries
    loop: tuple[str, str, str] = ("", "", "")
    # `[f"... {n}" for n in names]`: comprehension node types, each element is the `body` field
    comprehensions: frozenset[str] = frozenset()


SYNTAX = {
    "python": Syntax(
        scopes=frozenset({"function_definition", "lambda", "module"}),
        strings=frozenset({"string", "concatenated_string"}),
        interpolations=frozenset({"interpolation"}),
        constants=frozenset({"integer", "float", "true", "false", "none"}),
        concat=frozenset({"binary_operator"}),
        format_methods=frozenset({"format", "format_map", "join"}),
        assignments=(("assignment", "left", "right"),),
        augmented=frozenset({"augmented_assignment"}),
        calls=("call", "function", "arguments"),
        wrappers=frozenset({"parenthesized_expression"}),
        containers=frozenset({"list", "tuple"}),
        blocks=frozenset({"block", "module"}),
        mutators=frozenset({"append", "extend", "insert"}),
        sanitizers=tuple(rules_table()["sanitizers"]["python"]),
        conditional=("conditional_expression", "", ""),
        member=("attribute", "object", "attribute"),
        loop=("for_statement", "left", "right"),
        comprehensions=frozenset({"list_comprehension", "set_comprehension", "generator_expression"}),
    ),
    "java": Syntax(
        scopes=frozenset({"method_declaration", "constructor_declaration", "lambda_expression", "program"}),
        strings=frozenset({"string_literal"}),
        interpolations=frozenset(),
        constants=frozenset({"decimal_integer_literal", "true", "false", "null_literal"}),
        concat=frozenset({"binary_expression"}),
        format_methods=frozenset({"format", "formatted", "concat", "join", "append", "toString"}),
        assignments=(("variable_declarator", "name", "value"), ("assignment_expression", "left", "right")),
        augmented=frozenset(),  # Java's `+=` is an assignment_expression with operator "+="
        calls=("method_invocation", "name", "arguments"),
        wrappers=frozenset({"parenthesized_expression"}),
        containers=frozenset({"array_initializer", "array_creation_expression"}),
        blocks=frozenset({"block", "constructor_body", "program"}),
        mutators=frozenset({"append", "insert", "add", "addAll"}),
        builders=frozenset({"StringBuilder", "StringBuffer", "StringJoiner", "ArrayList"}),
        creation="object_creation_expression",
        sanitizers=tuple(rules_table()["sanitizers"]["java"]),
        conditional=("ternary_expression", "consequence", "alternative"),
        member=("field_access", "object", "field"),
        loop=("enhanced_for_statement", "name", "value"),
    ),
    "javascript": Syntax(
        scopes=frozenset(
            {"function_declaration", "function_expression", "arrow_function", "method_definition", "program"}
        ),
        strings=frozenset({"string", "template_string"}),
        interpolations=frozenset({"template_substitution"}),
        constants=frozenset({"number", "true", "false", "null", "undefined"}),
        concat=frozenset({"binary_expression"}),
        format_methods=frozenset({"concat", "join", "format", "replace"}),
        assignments=(("variable_declarator", "name", "value"), ("assignment_expression", "left", "right")),
        augmented=frozenset({"augmented_assignment_expression"}),
        calls=("call_expression", "function", "arguments"),
        wrappers=frozenset({"parenthesized_expression"}),
        containers=frozenset({"array"}),
        blocks=frozenset({"statement_block", "program"}),
        mutators=frozenset({"push", "unshift"}),
        sanitizers=tuple(rules_table()["sanitizers"]["javascript"]),
        conditional=("ternary_expression", "consequence", "alternative"),
        member=("member_expression", "object", "property"),
        loop=("for_in_statement", "left", "right"),
    ),
}
