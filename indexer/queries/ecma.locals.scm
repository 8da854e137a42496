; Scopes, bindings and references shared by JavaScript and TypeScript (`; inherits: ecma`), for the
; scope model (indexer/bindings.py).
; Capture names as in python.locals.scm, plus:
;   @local.scope           a block: `let`, `const` and `class` bind in it
;   @local.definition.function  binds in the innermost function scope (`var`)
;   @local.shorthand       `{x}`: reads x under the property name x (a rename keeps the key)
;   @local.unsure          a part the grammar recovered from: its identifiers are no evidence of
;                          an unknown name (a cut-off fragment such as `}} 名字 ]) = ((` misparses)

[
  (program)
  (function_declaration)
  (function_expression)
  (generator_function_declaration)
  (generator_function)
  (arrow_function)
  (method_definition)
] @local.scope.function

[
  (statement_block)
  (for_statement)
  (for_in_statement)
  (catch_clause)
  (class_body)
] @local.scope

(function_declaration name: (identifier) @local.definition.parent)
(generator_function_declaration name: (identifier) @local.definition.parent)
(function_expression name: (identifier) @local.definition)

(variable_declaration (variable_declarator name: (identifier) @local.definition.function))
(variable_declaration (variable_declarator name: (_ (identifier) @local.definition.function)))
(lexical_declaration (variable_declarator name: (identifier) @local.definition))
(for_in_statement left: (identifier) @local.definition)

(arrow_function parameter: (identifier) @local.definition)
(rest_pattern (identifier) @local.definition)
(array_pattern (identifier) @local.definition)
(object_pattern (shorthand_property_identifier_pattern) @local.definition)
(object_pattern (pair_pattern value: (identifier) @local.definition))
(object_assignment_pattern left: (shorthand_property_identifier_pattern) @local.definition)
(catch_clause parameter: (identifier) @local.definition)

(import_clause (identifier) @local.definition)
(namespace_import (identifier) @local.definition)
(import_specifier alias: (identifier) @local.definition)
(import_specifier name: (identifier) @local.definition !alias)
(import_specifier name: (identifier) @local.ignore alias: (identifier))
(export_specifier name: (identifier) @local.reference)

(variable_declarator value: (_) @local.value)
(for_in_statement right: (_) @local.value)

(ERROR) @local.unsure

(shorthand_property_identifier) @local.shorthand

(identifier) @local.reference
