; TypeScript tags: definitions, references and imports (aider repomap style captures).

(class_declaration name: (type_identifier) @name.definition.class) @definition.class
(abstract_class_declaration name: (type_identifier) @name.definition.class) @definition.class
(interface_declaration name: (type_identifier) @name.definition.interface) @definition.interface
(type_alias_declaration name: (type_identifier) @name.definition.type) @definition.type
(enum_declaration name: (identifier) @name.definition.enum) @definition.enum
(function_declaration name: (identifier) @name.definition.function) @definition.function
(generator_function_declaration name: (identifier) @name.definition.function) @definition.function
(function_signature name: (identifier) @name.definition.function) @definition.function
(method_definition name: (property_identifier) @name.definition.method) @definition.method
(method_signature name: (property_identifier) @name.definition.method) @definition.method
(abstract_method_signature name: (property_identifier) @name.definition.method) @definition.method
(module name: (identifier) @name.definition.module) @definition.module

(lexical_declaration (variable_declarator name: (identifier) @name.definition.function value: [(arrow_function) (function_expression)])) @definition.function
(program (lexical_declaration (variable_declarator name: (identifier) @name.definition.variable value: [(string) (number) (object) (array) (template_string) (true) (false) (new_expression) (call_expression) (as_expression)])) @definition.variable)
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name.definition.variable value: [(string) (number) (object) (array) (template_string) (true) (false) (new_expression) (call_expression) (as_expression)])) @definition.variable))

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (member_expression property: (property_identifier) @name.reference.call))
(new_expression constructor: (identifier) @name.reference.class)
(type_annotation (type_identifier) @name.reference.type)
(generic_type name: (type_identifier) @name.reference.type)
(extends_clause value: (identifier) @name.reference.class)
(implements_clause (type_identifier) @name.reference.interface)
(arguments (identifier) @name.reference.identifier)

(import_statement (import_clause (identifier) @import.name) source: (string (string_fragment) @import.module))
(import_statement (import_clause (named_imports (import_specifier name: (identifier) @import.name))) source: (string (string_fragment) @import.module))
(import_statement (import_clause (named_imports (import_specifier alias: (identifier) @import.name))) source: (string (string_fragment) @import.module))
(import_statement (import_clause (namespace_import (identifier) @import.name)) source: (string (string_fragment) @import.module))
