; inherits: ecma
; TypeScript wraps each parameter and names its types apart from its values.

(required_parameter pattern: (identifier) @local.definition)
(optional_parameter pattern: (identifier) @local.definition)

(type_alias_declaration name: (type_identifier) @local.definition)
(interface_declaration name: (type_identifier) @local.definition)
(enum_declaration name: (identifier) @local.definition)
(type_parameter name: (type_identifier) @local.definition)
(class_declaration name: (type_identifier) @local.definition)
(abstract_class_declaration name: (type_identifier) @local.definition)

;   @local.reference.type  a type name: types live apart from values, and the compiler's lib files
;                          (`Record`, `Partial`) declare types no index holds
(type_identifier) @local.reference.type
