; References for C++ (the wheel's tags query has definitions only).

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.attribute
(base_class_clause (type_identifier) @name) @reference.base
(type_identifier) @name @reference.name
