; inherits: ecma
; JavaScript's parameters are bare patterns.

(formal_parameters (identifier) @local.definition)
(formal_parameters (assignment_pattern left: (identifier) @local.definition))
(class_declaration name: (identifier) @local.definition)
