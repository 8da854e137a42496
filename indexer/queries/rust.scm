; Rust tags: definitions, references and imports (aider repomap style captures).

(struct_item name: (type_identifier) @name.definition.struct) @definition.struct
(enum_item name: (type_identifier) @name.definition.enum) @definition.enum
(union_item name: (type_identifier) @name.definition.struct) @definition.struct
(type_item name: (type_identifier) @name.definition.type) @definition.type
(trait_item name: (type_identifier) @name.definition.interface) @definition.interface
(function_item name: (identifier) @name.definition.function) @definition.function
(function_signature_item name: (identifier) @name.definition.function) @definition.function
(macro_definition name: (identifier) @name.definition.macro) @definition.macro
(mod_item name: (identifier) @name.definition.module) @definition.module
(const_item name: (identifier) @name.definition.constant) @definition.constant
(static_item name: (identifier) @name.definition.constant) @definition.constant

; Methods take the impl's type as their scope.
(impl_item type: [(type_identifier) @name.scope (generic_type type: (type_identifier) @name.scope)]) @scope

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (field_expression field: (field_identifier) @name.reference.call))
(call_expression function: (scoped_identifier name: (identifier) @name.reference.call))
(macro_invocation macro: (identifier) @name.reference.macro)
(type_identifier) @name.reference.type
(arguments (identifier) @name.reference.identifier)

(use_declaration argument: (scoped_identifier name: (identifier) @import.name) @import.module)
(use_declaration argument: (identifier) @import.name @import.module)
(use_declaration argument: (use_as_clause path: (_) @import.module alias: (identifier) @import.name))
(use_declaration argument: (scoped_use_list path: (_) @import.module list: (use_list (identifier) @import.name)))
