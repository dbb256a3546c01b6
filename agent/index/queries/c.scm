; References for C (the wheel's tags query has definitions only).

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.attribute
(type_identifier) @name @reference.name
