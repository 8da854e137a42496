; Python tags: definitions, references and imports (aider repomap style captures).

(class_definition name: (identifier) @name.definition.class) @definition.class

(function_definition name: (identifier) @name.definition.function) @definition.function

; Module-level constants and variables (ALL_CAPS are reported as constants by the extractor).
(module (expression_statement (assignment left: (identifier) @name.definition.variable) @definition.variable))
(module (expression_statement (assignment left: (pattern_list (identifier) @name.definition.variable)) @definition.variable))

; Class attributes.
(class_definition body: (block (expression_statement (assignment left: (identifier) @name.definition.field) @definition.field)))

(call function: (identifier) @name.reference.call)
(call function: (attribute attribute: (identifier) @name.reference.call))
(argument_list (identifier) @name.reference.identifier)
(class_definition superclasses: (argument_list (identifier) @name.reference.class))
(type (identifier) @name.reference.type)
(attribute object: (identifier) @name.reference.identifier)

(import_statement name: (dotted_name) @import.module)
(import_statement name: (aliased_import name: (dotted_name) @import.module alias: (identifier) @import.name))
(import_from_statement module_name: (_) @import.module name: (dotted_name (identifier) @import.name))
(import_from_statement module_name: (_) @import.module name: (aliased_import name: (dotted_name) @import.original alias: (identifier) @import.name))
