; Additions to the JavaScript wheel's tags query: imports and extended classes.

(import_specifier name: (identifier) @name) @reference.import
(import_clause (identifier) @name) @reference.import
(class_heritage (identifier) @name) @reference.base
(class_heritage (member_expression property: (property_identifier) @name)) @reference.base
