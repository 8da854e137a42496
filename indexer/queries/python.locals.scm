; Scopes, bindings and references of Python, for the scope model (indexer/bindings.py).
; Capture names:
;   @local.scope.function  a scope whose bindings hold in all of it (Python hoists every binding)
;   @local.scope.comprehension  the same, for code that runs where it is written, not later
;   @local.scope.class     the same, but invisible to the scopes nested in it (methods do not see
;                          class-level names unqualified)
;   @local.definition         binds a name in the innermost scope around it
;   @local.definition.parent  binds in the scope around that one (a def or class binds its name
;                             where it is written, not inside itself)
;   @local.definition.function  binds in the innermost function around it (`:=` in a comprehension)
;   @local.value      the value a definition binds: read before the name is bound (`x = x + 1`)
;   @local.update     a definition that reads the name first (`n += 1`)
;   @local.unlisted   binds names the file does not list (`from m import *`)
;   @local.declaration.global / .nonlocal   `global x` / `nonlocal x`: the function's bindings of x
;                                          belong to the module / the enclosing function
;   @local.outside    a part of a scope's node that is read in the scope around it (a default
;                     value, a class's bases)
;   @local.kills      the target of an assignment statement written straight in a function's or
;                     the module's body: everything after it reads the new value (a value web
;                     starts there, ScopeTable.web)
;   @local.ignore     an identifier that is no variable (attribute names, keyword argument names,
;                     module paths)
;   @local.reference  every other identifier reads a variable

[
  (module)
  (function_definition)
  (lambda)
] @local.scope.function

[
  (list_comprehension)
  (set_comprehension)
  (dictionary_comprehension)
  (generator_expression)
] @local.scope.comprehension

(class_definition) @local.scope.class

(function_definition name: (identifier) @local.definition.parent)
(class_definition name: (identifier) @local.definition.parent)

; Parameters
(parameters (identifier) @local.definition)
(lambda_parameters (identifier) @local.definition)
(default_parameter name: (identifier) @local.definition)
(typed_parameter (identifier) @local.definition)
(typed_default_parameter name: (identifier) @local.definition)
(list_splat_pattern (identifier) @local.definition)
(dictionary_splat_pattern (identifier) @local.definition)

; Assignments and loops
(assignment left: (identifier) @local.definition)
(augmented_assignment left: (identifier) @local.definition @local.update)
(pattern_list (identifier) @local.definition)
(tuple_pattern (identifier) @local.definition)
(list_pattern (identifier) @local.definition)
(for_statement left: (identifier) @local.definition)
(for_in_clause left: (identifier) @local.definition)
(named_expression name: (identifier) @local.definition.function)
(as_pattern_target (identifier) @local.definition)
(as_pattern_target (tuple (identifier) @local.definition))
(as_pattern_target (list (identifier) @local.definition))
(case_pattern (dotted_name . (identifier) @local.definition .))

; Imports bind the first name of a plain import, the imported name, or the alias
(import_statement name: (dotted_name . (identifier) @local.definition))
(import_from_statement name: (dotted_name (identifier) @local.definition))
(aliased_import alias: (identifier) @local.definition)
(aliased_import name: (dotted_name (identifier) @local.ignore))
(import_statement name: (dotted_name (identifier) @local.ignore))
(import_from_statement module_name: (dotted_name (identifier) @local.ignore))
(import_from_statement module_name: (relative_import (dotted_name (identifier) @local.ignore)))

(assignment right: (_) @local.value)
(augmented_assignment right: (_) @local.value)
(for_statement right: (_) @local.value)
(named_expression value: (_) @local.value)

(default_parameter value: (_) @local.outside)
(typed_default_parameter value: (_) @local.outside)
(class_definition superclasses: (_) @local.outside)

(function_definition body: (block (expression_statement (assignment left: (identifier) @local.kills))))
(module (expression_statement (assignment left: (identifier) @local.kills)))

(wildcard_import) @local.unlisted

(global_statement (identifier) @local.declaration.global)
(nonlocal_statement (identifier) @local.declaration.nonlocal)

(attribute attribute: (identifier) @local.ignore)
(keyword_argument name: (identifier) @local.ignore)

(identifier) @local.reference
