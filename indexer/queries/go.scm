; Go tags: definitions, references and imports (aider repomap style captures).

(function_declaration name: (identifier) @name.definition.function) @definition.function
(method_declaration
  receiver: (parameter_list (parameter_declaration type: [(type_identifier) @name.scope (pointer_type (type_identifier) @name.scope)]))
  name: (field_identifier) @name.definition.method) @definition.method
(type_declaration (type_spec name: (type_identifier) @name.definition.struct type: (struct_type))) @definition.struct
(type_declaration (type_spec name: (type_identifier) @name.definition.interface type: (interface_type))) @definition.interface
(type_declaration (type_spec name: (type_identifier) @name.definition.type type: [(type_identifier) (function_type) (map_type) (slice_type) (qualified_type) (pointer_type) (channel_type) (array_type) (generic_type)])) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name.definition.constant)) @definition.constant)
(source_file (var_declaration (var_spec name: (identifier) @name.definition.variable)) @definition.variable)

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (selector_expression field: (field_identifier) @name.reference.call))
(type_identifier) @name.reference.type
(argument_list (identifier) @name.reference.identifier)

(import_spec name: (package_identifier) @import.name path: (interpreted_string_literal) @import.module)
(import_spec !name path: (interpreted_string_literal) @import.module)
