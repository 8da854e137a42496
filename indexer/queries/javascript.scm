; JavaScript tags: definitions, references and imports (aider repomap style captures).

(class_declaration name: (identifier) @name.definition.class) @definition.class
(function_declaration name: (identifier) @name.definition.function) @definition.function
(generator_function_declaration name: (identifier) @name.definition.function) @definition.function
(method_definition name: (property_identifier) @name.definition.method) @definition.method

(lexical_declaration (variable_declarator name: (identifier) @name.definition.function value: [(arrow_function) (function_expression)])) @definition.function
(variable_declaration (variable_declarator name: (identifier) @name.definition.function value: [(arrow_function) (function_expression)])) @definition.function
(program (lexical_declaration (variable_declarator name: (identifier) @name.definition.variable value: [(string) (number) (object) (array) (template_string) (true) (false) (new_expression) (call_expression)])) @definition.variable)
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name.definition.variable value: [(string) (number) (object) (array) (template_string) (true) (false) (new_expression) (call_expression)])) @definition.variable))

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (member_expression property: (property_identifier) @name.reference.call))
(new_expression constructor: (identifier) @name.reference.class)
(class_heritage (identifier) @name.reference.class)
(arguments (identifier) @name.reference.identifier)

(import_statement (import_clause (identifier) @import.name) source: (string (string_fragment) @import.module))
(import_statement (import_clause (named_imports (import_specifier name: (identifier) @import.name))) source: (string (string_fragment) @import.module))
(import_statement (import_clause (named_imports (import_specifier alias: (identifier) @import.name))) source: (string (string_fragment) @import.module))
(import_statement (import_clause (namespace_import (identifier) @import.name)) source: (string (string_fragment) @import.module))
; const x = require("m"), const { a, b: c } = require("m")
(variable_declarator name: (identifier) @import.name value: (call_expression function: (identifier) @_require arguments: (arguments (string (string_fragment) @import.module))) (#eq? @_require "require"))
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @import.name) value: (call_expression function: (identifier) @_require arguments: (arguments (string (string_fragment) @import.module))) (#eq? @_require "require"))
(variable_declarator name: (object_pattern (pair_pattern value: (identifier) @import.name)) value: (call_expression function: (identifier) @_require arguments: (arguments (string (string_fragment) @import.module))) (#eq? @_require "require"))
