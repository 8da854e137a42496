; inherits: typescript

; A lower-case JSX tag is an HTML element, not a variable.
((jsx_opening_element name: (identifier) @local.ignore) (#match? @local.ignore "^[a-z]"))
((jsx_closing_element name: (identifier) @local.ignore) (#match? @local.ignore "^[a-z]"))
((jsx_self_closing_element name: (identifier) @local.ignore) (#match? @local.ignore "^[a-z]"))
